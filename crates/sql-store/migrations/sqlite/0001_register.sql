-- Per-call regulatory register [SLA-9], kept at least 3 years [SEC-3]. SQLite flavour; the
-- PostgreSQL folder holds the same logical schema. Instants are INTEGER epoch milliseconds UTC.

CREATE TABLE schema_info (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

INSERT INTO schema_info (key, value) VALUES
    ('schema', 'centralino-register'),
    ('version', '1'),
    ('time_encoding', 'unix_epoch_milliseconds_utc');

CREATE TABLE calls (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    channel               TEXT    NOT NULL CHECK (channel IN ('verde', 'centralino', 'internal', 'outbound')),
    trunk                 TEXT,
    dialled               TEXT    NOT NULL,
    caller                TEXT    NOT NULL,
    sip_call_id           TEXT,
    started_at            INTEGER NOT NULL,
    operator_requested_at INTEGER,
    answered_at           INTEGER,
    ended_at              INTEGER,
    queue                 TEXT,
    agent                 TEXT,
    wait_seconds          INTEGER,
    talk_seconds          INTEGER,
    hangup_side           TEXT    CHECK (hangup_side IN ('caller', 'callee', 'system')),
    hangup_cause          TEXT,
    outcome               TEXT    CHECK (outcome IN ('answered', 'abandoned_queue', 'abandoned_ivr', 'closed',
                                                     'voicemail', 'busy', 'transferred', 'interrupted')),
    recording_path        TEXT,
    ticket_id             INTEGER
);

CREATE INDEX calls_started_at ON calls (started_at);
CREATE INDEX calls_channel_started_at ON calls (channel, started_at);
CREATE INDEX calls_open ON calls (id) WHERE ended_at IS NULL;

CREATE TABLE call_legs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id      INTEGER NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    role         TEXT    NOT NULL CHECK (role IN ('caller', 'agent', 'office', 'external')),
    peer         TEXT    NOT NULL,
    agent        TEXT,
    sip_call_id  TEXT,
    started_at   INTEGER NOT NULL,
    answered_at  INTEGER,
    ended_at     INTEGER,
    hangup_cause TEXT
);

CREATE INDEX call_legs_call_id ON call_legs (call_id);

CREATE TABLE call_events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id INTEGER NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    at      INTEGER NOT NULL,
    kind    TEXT    NOT NULL,
    agent   TEXT,
    queue   TEXT,
    detail  TEXT    NOT NULL DEFAULT '{}'
);

CREATE INDEX call_events_call_id ON call_events (call_id);
CREATE INDEX call_events_at ON call_events (at);

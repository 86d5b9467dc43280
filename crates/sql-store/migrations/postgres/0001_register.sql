-- Per-call regulatory register [SLA-9], kept at least 3 years [SEC-3]. PostgreSQL flavour; the
-- SQLite folder holds the same logical schema. Instants are BIGINT epoch milliseconds UTC.

CREATE TABLE schema_info (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

INSERT INTO schema_info (key, value) VALUES
    ('schema', 'centralino-register'),
    ('version', '1'),
    ('time_encoding', 'unix_epoch_milliseconds_utc');

CREATE TABLE calls (
    id                    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel               TEXT    NOT NULL CHECK (channel IN ('verde', 'centralino', 'internal', 'outbound')),
    trunk                 TEXT,
    dialled               TEXT    NOT NULL,
    caller                TEXT    NOT NULL,
    sip_call_id           TEXT,
    started_at            BIGINT  NOT NULL,
    operator_requested_at BIGINT,
    answered_at           BIGINT,
    ended_at              BIGINT,
    queue                 TEXT,
    agent                 TEXT,
    wait_seconds          BIGINT,
    talk_seconds          BIGINT,
    hangup_side           TEXT    CHECK (hangup_side IN ('caller', 'callee', 'system')),
    hangup_cause          TEXT,
    outcome               TEXT    CHECK (outcome IN ('answered', 'abandoned_queue', 'abandoned_ivr', 'closed',
                                                     'voicemail', 'busy', 'transferred', 'interrupted')),
    recording_path        TEXT,
    ticket_id             BIGINT
);

CREATE INDEX calls_started_at ON calls (started_at);
CREATE INDEX calls_channel_started_at ON calls (channel, started_at);
CREATE INDEX calls_open ON calls (id) WHERE ended_at IS NULL;

CREATE TABLE call_legs (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    call_id      BIGINT  NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    role         TEXT    NOT NULL CHECK (role IN ('caller', 'agent', 'office', 'external')),
    peer         TEXT    NOT NULL,
    agent        TEXT,
    sip_call_id  TEXT,
    started_at   BIGINT  NOT NULL,
    answered_at  BIGINT,
    ended_at     BIGINT,
    hangup_cause TEXT
);

CREATE INDEX call_legs_call_id ON call_legs (call_id);

CREATE TABLE call_events (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    call_id BIGINT  NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    at      BIGINT  NOT NULL,
    kind    TEXT    NOT NULL,
    agent   TEXT,
    queue   TEXT,
    detail  TEXT    NOT NULL DEFAULT '{}'
);

CREATE INDEX call_events_call_id ON call_events (call_id);
CREATE INDEX call_events_at ON call_events (at);

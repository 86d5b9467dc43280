-- The built-in CRM [CRM-1..7, CRM-11], the webhook outbox [CRM-9], the audit log and API
-- credentials [SEC-2]. SQLite flavour; the PostgreSQL folder holds the same logical schema.

UPDATE schema_info SET value = '2' WHERE key = 'version';

CREATE TABLE contacts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    phone      TEXT    NOT NULL,
    name       TEXT,
    email      TEXT,
    notes      TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE UNIQUE INDEX contacts_phone ON contacts (phone);

CREATE TABLE tickets (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id          INTEGER UNIQUE REFERENCES calls (id) ON DELETE SET NULL,
    contact_id       INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    channel          TEXT    NOT NULL,
    caller           TEXT,
    state            TEXT    NOT NULL CHECK (state IN ('open', 'data_requested', 'resolved_level1',
                                                     'assigned_level2', 'forwarded_office', 'rejected', 'closed')),
    category         TEXT,
    priority         TEXT    NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    description      TEXT,
    outcome          TEXT,
    level            INTEGER NOT NULL DEFAULT 1 CHECK (level BETWEEN 1 AND 3),
    agent            TEXT,
    office           TEXT,
    reject_reason    TEXT,
    suggested_office TEXT,
    answer           TEXT,
    offline          INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    taken_at         INTEGER,
    resolved_at      INTEGER,
    closed_at        INTEGER,
    due_at           INTEGER
);

CREATE INDEX tickets_contact ON tickets (contact_id);
CREATE INDEX tickets_caller ON tickets (caller);
CREATE INDEX tickets_created_at ON tickets (created_at);

CREATE TABLE ticket_history (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    at        INTEGER NOT NULL,
    actor     TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    detail    TEXT    NOT NULL DEFAULT '{}'
);

CREATE INDEX ticket_history_ticket ON ticket_history (ticket_id);

CREATE TABLE ticket_attachments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('voicemail', 'recording', 'email', 'fax', 'document')),
    name       TEXT    NOT NULL,
    path       TEXT    NOT NULL,
    mime       TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    sha256     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE INDEX ticket_attachments_ticket ON ticket_attachments (ticket_id);

CREATE TABLE webhook_outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint     TEXT    NOT NULL,
    event_seq    INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    delivered_at INTEGER
);

CREATE INDEX webhook_outbox_pending ON webhook_outbox (endpoint, id) WHERE delivered_at IS NULL;

CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     INTEGER NOT NULL,
    actor  TEXT    NOT NULL,
    role   TEXT    NOT NULL,
    action TEXT    NOT NULL,
    target TEXT    NOT NULL,
    result TEXT    NOT NULL CHECK (result IN ('ok', 'denied', 'failed')),
    detail TEXT
);

CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT    NOT NULL UNIQUE,
    kind       TEXT    NOT NULL CHECK (kind IN ('session', 'api')),
    username   TEXT    NOT NULL,
    role       TEXT    NOT NULL,
    label      TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER
);

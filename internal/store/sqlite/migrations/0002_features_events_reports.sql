-- Origin and RP ID allow lists on apps, and the tables behind auth
-- configurations, events, dispatched e-mails, authenticator lists, periodic
-- reports and rate limits. Conventions as in 0001: INTEGER unix microseconds
-- (UTC) for times and durations, INTEGER 0/1 for booleans, JSON arrays in
-- TEXT for lists, no foreign keys (DeleteApp clears each tenant table).

ALTER TABLE apps ADD COLUMN allowed_origins TEXT NOT NULL DEFAULT '[]';
ALTER TABLE apps ADD COLUMN allowed_rp_ids  TEXT NOT NULL DEFAULT '[]';

-- ttl is in microseconds; edited_by is '' when never edited.
CREATE TABLE auth_configs (
    app_id            TEXT    NOT NULL,
    purpose           TEXT    NOT NULL,
    user_verification TEXT    NOT NULL,
    ttl               INTEGER NOT NULL,
    hints             TEXT    NOT NULL,
    created_by        TEXT    NOT NULL,
    created_on        INTEGER,
    edited_by         TEXT    NOT NULL,
    edited_on         INTEGER,
    last_used_on      INTEGER,
    PRIMARY KEY (app_id, purpose)
) WITHOUT ROWID;

-- Event ids are UUIDs, unique across apps.
CREATE TABLE events (
    id           TEXT    NOT NULL PRIMARY KEY,
    app_id       TEXT    NOT NULL,
    performed_at INTEGER NOT NULL,
    type         INTEGER NOT NULL,
    message      TEXT    NOT NULL,
    severity     INTEGER NOT NULL,
    performed_by TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    api_key_id   TEXT    NOT NULL
) WITHOUT ROWID;

-- Serves the newest-first page, the per-app count and the retention delete.
CREATE INDEX events_app_performed ON events (app_id, performed_at DESC, id DESC);

CREATE TABLE dispatched_emails (
    id            TEXT    NOT NULL PRIMARY KEY,
    app_id        TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    user_id       TEXT    NOT NULL,
    email_address TEXT    NOT NULL,
    link_template TEXT    NOT NULL
) WITHOUT ROWID;

-- The first serves the quota count, the second the purge across all apps.
CREATE INDEX dispatched_emails_app_created ON dispatched_emails (app_id, created_at);
CREATE INDEX dispatched_emails_created ON dispatched_emails (created_at);

CREATE TABLE authenticators (
    app_id     TEXT    NOT NULL,
    aaguid     TEXT    NOT NULL,
    is_allowed INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, aaguid)
) WITHOUT ROWID;

-- date is midnight UTC of the report's day.
CREATE TABLE credential_reports (
    app_id      TEXT    NOT NULL,
    date        INTEGER NOT NULL,
    users       INTEGER NOT NULL,
    credentials INTEGER NOT NULL,
    PRIMARY KEY (app_id, date)
) WITHOUT ROWID;

CREATE TABLE active_user_reports (
    app_id TEXT    NOT NULL,
    date   INTEGER NOT NULL,
    daily  INTEGER NOT NULL,
    weekly INTEGER NOT NULL,
    total  INTEGER NOT NULL,
    PRIMARY KEY (app_id, date)
) WITHOUT ROWID;

-- Fixed-window counters. The key names its scope (an app id is part of the
-- key when the limit is per app), so the table has no app_id column.
CREATE TABLE rate_limits (
    key          TEXT    NOT NULL,
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
) WITHOUT ROWID;

CREATE INDEX rate_limits_expires_at ON rate_limits (expires_at);

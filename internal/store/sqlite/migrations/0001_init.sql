-- Initial schema. Times are INTEGER unix microseconds (UTC); booleans are
-- INTEGER 0/1; list fields are JSON arrays in TEXT. Every tenant table is
-- keyed by app_id first. There are no foreign keys to apps on purpose (as in
-- the reference data model): DeleteApp removes each table's rows explicitly.

CREATE TABLE apps (
    id                             TEXT    NOT NULL PRIMARY KEY,
    admin_email                    TEXT    NOT NULL,
    created_at                     INTEGER NOT NULL,
    delete_at                      INTEGER,
    event_logging_enabled          INTEGER NOT NULL,
    event_logging_retention_days   INTEGER NOT NULL,
    magic_link_monthly_quota       INTEGER NOT NULL,
    max_users                      INTEGER,
    allow_attestation              INTEGER NOT NULL,
    generate_sign_in_token_enabled INTEGER NOT NULL,
    magic_links_enabled            INTEGER NOT NULL,
    developer_logging_ends_at      INTEGER
) WITHOUT ROWID;

CREATE INDEX apps_delete_at ON apps (delete_at) WHERE delete_at IS NOT NULL;

CREATE TABLE api_keys (
    app_id           TEXT    NOT NULL,
    id               TEXT    NOT NULL,
    kind             INTEGER NOT NULL,
    value            TEXT    NOT NULL,
    scopes           TEXT    NOT NULL,
    locked           INTEGER NOT NULL,
    last_locked_at   INTEGER,
    last_unlocked_at INTEGER,
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (app_id, id)
) WITHOUT ROWID;

CREATE TABLE token_keys (
    app_id     TEXT    NOT NULL,
    id         INTEGER NOT NULL,
    material   BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, id)
) WITHOUT ROWID;

CREATE TABLE consumed (
    app_id     TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, id)
) WITHOUT ROWID;

CREATE INDEX consumed_expires_at ON consumed (expires_at);

CREATE TABLE credentials (
    app_id          TEXT    NOT NULL,
    credential_id   BLOB    NOT NULL,
    user_id         TEXT    NOT NULL,
    user_handle     BLOB    NOT NULL,
    public_key      BLOB    NOT NULL,
    sign_count      INTEGER NOT NULL,
    attestation_fmt TEXT    NOT NULL,
    aaguid          BLOB,
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER NOT NULL,
    rp_id           TEXT    NOT NULL,
    origin          TEXT    NOT NULL,
    country         TEXT    NOT NULL,
    device          TEXT    NOT NULL,
    nickname        TEXT    NOT NULL,
    backup_eligible INTEGER NOT NULL,
    backup_state    INTEGER NOT NULL,
    discoverable    INTEGER,
    transports      TEXT    NOT NULL,
    PRIMARY KEY (app_id, credential_id)
) WITHOUT ROWID;

CREATE INDEX credentials_user ON credentials (app_id, user_id);

CREATE TABLE aliases (
    app_id    TEXT NOT NULL,
    hash      TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    plaintext TEXT,
    PRIMARY KEY (app_id, hash)
) WITHOUT ROWID;

CREATE INDEX aliases_user ON aliases (app_id, user_id);

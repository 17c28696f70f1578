-- Initial schema.
--
-- Conventions:
--   * times are timestamptz (microsecond precision); the store reads them
--     back in UTC;
--   * binary values (credential ids, keys, handles) are bytea;
--   * lists are text[];
--   * uint32 values (signature counters, token key ids) are bigint;
--   * text columns that are compared, sorted or paged on carry COLLATE "C",
--     so ORDER BY follows the bytes of the value whatever the database's
--     default collation is, and the indexes on them serve those orders;
--   * every tenant table is keyed by app_id first. There are no foreign keys
--     to apps on purpose (as in the reference data model): DeleteApp removes
--     each table's rows explicitly.

CREATE TABLE apps (
    id                             text COLLATE "C" NOT NULL PRIMARY KEY,
    admin_email                    text        NOT NULL,
    created_at                     timestamptz NOT NULL,
    delete_at                      timestamptz,
    event_logging_enabled          boolean     NOT NULL,
    event_logging_retention_days   bigint      NOT NULL,
    magic_link_monthly_quota       bigint      NOT NULL,
    max_users                      bigint,
    allow_attestation              boolean     NOT NULL,
    generate_sign_in_token_enabled boolean     NOT NULL,
    magic_links_enabled            boolean     NOT NULL,
    developer_logging_ends_at      timestamptz,
    allowed_origins                text[]      NOT NULL DEFAULT '{}',
    allowed_rp_ids                 text[]      NOT NULL DEFAULT '{}'
);

CREATE INDEX apps_delete_at ON apps (delete_at) WHERE delete_at IS NOT NULL;

CREATE TABLE api_keys (
    app_id           text COLLATE "C" NOT NULL,
    id               text COLLATE "C" NOT NULL,
    kind             integer     NOT NULL,
    value            text        NOT NULL,
    scopes           text[]      NOT NULL,
    locked           boolean     NOT NULL,
    last_locked_at   timestamptz,
    last_unlocked_at timestamptz,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (app_id, id)
);

CREATE TABLE token_keys (
    app_id     text COLLATE "C" NOT NULL,
    id         bigint      NOT NULL,
    material   bytea       NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (app_id, id)
);

-- Single-use ids. The primary key makes the insert of ConsumeOnce succeed
-- exactly once across all instances.
CREATE TABLE consumed (
    app_id     text COLLATE "C" NOT NULL,
    id         text COLLATE "C" NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (app_id, id)
);

CREATE INDEX consumed_expires_at ON consumed (expires_at);

-- Every sign-in updates sign_count, last_used_at, device and country, none
-- of them indexed; the free space left by fillfactor lets those updates stay
-- on the same page (HOT) without touching the indexes.
CREATE TABLE credentials (
    app_id          text COLLATE "C" NOT NULL,
    credential_id   bytea       NOT NULL,
    user_id         text COLLATE "C" NOT NULL,
    user_handle     bytea       NOT NULL,
    public_key      bytea       NOT NULL,
    sign_count      bigint      NOT NULL CHECK (sign_count BETWEEN 0 AND 4294967295),
    attestation_fmt text        NOT NULL,
    aaguid          bytea,
    created_at      timestamptz NOT NULL,
    last_used_at    timestamptz NOT NULL,
    rp_id           text        NOT NULL,
    origin          text        NOT NULL,
    country         text        NOT NULL,
    device          text        NOT NULL,
    nickname        text        NOT NULL,
    backup_eligible boolean     NOT NULL,
    backup_state    boolean     NOT NULL,
    discoverable    boolean,
    transports      text[]      NOT NULL,
    PRIMARY KEY (app_id, credential_id)
) WITH (fillfactor = 90);

-- Serves ListCredentials, CountUsers, ListUsers and DeleteUser.
CREATE INDEX credentials_user ON credentials (app_id, user_id);

-- plaintext is NULL for hashed aliases.
CREATE TABLE aliases (
    app_id    text COLLATE "C" NOT NULL,
    hash      text COLLATE "C" NOT NULL,
    user_id   text COLLATE "C" NOT NULL,
    plaintext text,
    PRIMARY KEY (app_id, hash)
);

CREATE INDEX aliases_user ON aliases (app_id, user_id, hash);

-- ttl_ns is the time to live in nanoseconds (a Go time.Duration, exact);
-- edited_by is '' when never edited.
CREATE TABLE auth_configs (
    app_id            text COLLATE "C" NOT NULL,
    purpose           text COLLATE "C" NOT NULL,
    user_verification text        NOT NULL,
    ttl_ns            bigint      NOT NULL,
    hints             text[]      NOT NULL,
    created_by        text        NOT NULL,
    created_on        timestamptz,
    edited_by         text        NOT NULL,
    edited_on         timestamptz,
    last_used_on      timestamptz,
    PRIMARY KEY (app_id, purpose)
);

-- Event ids are UUIDs, unique across apps. They are kept as text so that
-- the store returns exactly what it was given.
CREATE TABLE events (
    id           text COLLATE "C" NOT NULL PRIMARY KEY,
    app_id       text COLLATE "C" NOT NULL,
    performed_at timestamptz NOT NULL,
    type         integer     NOT NULL,
    message      text        NOT NULL,
    severity     integer     NOT NULL,
    performed_by text        NOT NULL,
    subject      text        NOT NULL,
    api_key_id   text        NOT NULL
);

-- Serves the newest-first page, the per-app count and the retention delete.
CREATE INDEX events_app_performed ON events (app_id, performed_at DESC, id DESC);

CREATE TABLE dispatched_emails (
    id            text COLLATE "C" NOT NULL PRIMARY KEY,
    app_id        text COLLATE "C" NOT NULL,
    created_at    timestamptz NOT NULL,
    user_id       text        NOT NULL,
    email_address text        NOT NULL,
    link_template text        NOT NULL
);

-- The first serves the quota count, the second the purge across all apps.
CREATE INDEX dispatched_emails_app_created ON dispatched_emails (app_id, created_at);
CREATE INDEX dispatched_emails_created ON dispatched_emails (created_at);

CREATE TABLE authenticators (
    app_id     text COLLATE "C" NOT NULL,
    aaguid     text COLLATE "C" NOT NULL,
    is_allowed boolean     NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (app_id, aaguid)
);

-- day is midnight UTC of the report's day. It is a timestamptz rather than
-- a date so that values and range bounds compare exactly as given,
-- independent of the session's time zone.
CREATE TABLE credential_reports (
    app_id      text COLLATE "C" NOT NULL,
    day         timestamptz NOT NULL,
    users       bigint      NOT NULL,
    credentials bigint      NOT NULL,
    PRIMARY KEY (app_id, day)
);

CREATE TABLE active_user_reports (
    app_id text COLLATE "C" NOT NULL,
    day    timestamptz NOT NULL,
    daily  bigint      NOT NULL,
    weekly bigint      NOT NULL,
    total  bigint      NOT NULL,
    PRIMARY KEY (app_id, day)
);

-- Fixed-window counters. The key names its scope (an app id is part of the
-- key when the limit is per app), so the table has no app_id column.
CREATE TABLE rate_limits (
    key          text COLLATE "C" NOT NULL,
    window_start timestamptz NOT NULL,
    count        bigint      NOT NULL,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (key, window_start)
);

CREATE INDEX rate_limits_expires_at ON rate_limits (expires_at);

-- Console sessions, so that a sign-out holds on every instance sharing the
-- database and survives a restart. id is a hash of the secret the session
-- cookie carries. The first index serves an administrator's session list
-- and "sign out everywhere", the second the purge of expired rows.
CREATE TABLE console_sessions (
    id           TEXT    NOT NULL PRIMARY KEY,
    user_id      TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    user_agent   TEXT    NOT NULL,
    address      TEXT    NOT NULL
) WITHOUT ROWID;

CREATE INDEX console_sessions_user ON console_sessions (user_id, created_at);
CREATE INDEX console_sessions_expires_at ON console_sessions (expires_at);

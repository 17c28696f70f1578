-- Console sessions, so that a sign-out holds on every instance sharing the
-- database and survives a restart. id is a hash of the secret the session
-- cookie carries. The first index serves an administrator's session list
-- and "sign out everywhere", the second the purge of expired rows.
CREATE TABLE console_sessions (
    id           text COLLATE "C" NOT NULL PRIMARY KEY,
    user_id      text COLLATE "C" NOT NULL,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    user_agent   text        NOT NULL,
    address      text        NOT NULL
);

CREATE INDEX console_sessions_user ON console_sessions (user_id, created_at);
CREATE INDEX console_sessions_expires_at ON console_sessions (expires_at);

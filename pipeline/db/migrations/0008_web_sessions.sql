-- Sessions of the analysts' web app: signing in with an account token opens one; the cookie holds a random
-- session id, of which only the SHA-256 is stored, next to the session's CSRF token and its expiry.
CREATE TABLE web_sessions (
    session_hash        bytea       PRIMARY KEY,
    account_id          text        NOT NULL REFERENCES accounts (account_id),
    csrf_token          text        NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    expires_at          timestamptz NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);
GRANT SELECT, INSERT, DELETE ON web_sessions TO tracepipe_api;

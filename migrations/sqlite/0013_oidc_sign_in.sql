-- Sign-in with the municipality's identity provider (OpenID Connect, issue 18).

-- Who an account is at a provider: the issuer and the subject (`sub`) name one person for good.
-- The e-mail address finds the account only at the first sign-in; later sign-ins go by this row,
-- whatever the provider's address for the person has become.
CREATE TABLE oidc_identities (
    issuer          TEXT NOT NULL,
    subject         TEXT NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      INTEGER NOT NULL,                -- unix milliseconds
    last_sign_in_at INTEGER NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX oidc_identities_by_user ON oidc_identities (user_id);

-- Sign-ins under way, from `GET /login/oidc` to its callback: found by the SHA-256 of the
-- browser's flow cookie, deleted when the callback reads them (one use) or once expired.
CREATE TABLE oidc_flows (
    cookie_hash     TEXT PRIMARY KEY NOT NULL,
    state           TEXT NOT NULL,
    nonce           TEXT NOT NULL,
    pkce_verifier   TEXT NOT NULL,
    next_path       TEXT NOT NULL,                   -- where to go after signing in
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
);
CREATE INDEX oidc_flows_by_expiry ON oidc_flows (expires_at);

-- The ID token a session was started with: the `id_token_hint` of the provider's logout.
CREATE TABLE oidc_sessions (
    session_hash    TEXT PRIMARY KEY NOT NULL REFERENCES sessions (token_hash) ON DELETE CASCADE,
    issuer          TEXT NOT NULL,
    id_token        TEXT NOT NULL
);

-- People, their sessions, and who may do what on which plan.
-- Secrets (session cookies, sign-in links, invites, service tokens) are stored only as the hex
-- SHA-256 of the random value handed out; the value itself is never stored or logged.

CREATE TABLE users (
    id              TEXT PRIMARY KEY NOT NULL,      -- UUID
    email           TEXT NOT NULL UNIQUE,           -- lower-cased
    name            TEXT NOT NULL,
    password_hash   TEXT,                           -- argon2id PHC string; NULL until set
    is_admin        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      BIGINT NOT NULL                -- unix milliseconds
);

CREATE TABLE sessions (
    token_hash      TEXT PRIMARY KEY NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- One-time sign-in links: to set a password (user_id set) or to create the first administrator
-- (user_id NULL).
CREATE TABLE sign_in_links (
    token_hash      TEXT PRIMARY KEY NOT NULL,
    user_id         TEXT REFERENCES users (id) ON DELETE CASCADE,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT
);

-- The units (enheter) that write a plan, in the coordinator's order.
CREATE TABLE plan_units (
    plan_id         TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    position        BIGINT NOT NULL,
    PRIMARY KEY (plan_id, name)
);

CREATE TABLE plan_members (
    plan_id         TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role            TEXT NOT NULL,                  -- coordinator, editor, adviser, reader
    unit            TEXT,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (plan_id, user_id)
);
CREATE INDEX plan_members_by_user ON plan_members (user_id);

-- Invite links: grant a role (and unit) on one plan to the one person who accepts first.
CREATE TABLE plan_invites (
    id              TEXT PRIMARY KEY NOT NULL,
    plan_id         TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    token_hash      TEXT NOT NULL UNIQUE,
    role            TEXT NOT NULL,
    unit            TEXT,
    created_by      TEXT,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    revoked_at      BIGINT,
    accepted_by     TEXT REFERENCES users (id) ON DELETE SET NULL,
    accepted_at     BIGINT
);
CREATE INDEX plan_invites_by_plan ON plan_invites (plan_id, created_at);

-- Service tokens: a role on one plan for a program (an import job, a dashboard).
CREATE TABLE service_tokens (
    id              TEXT PRIMARY KEY NOT NULL,
    plan_id         TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    token_hash      TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL,
    unit            TEXT,
    created_at      BIGINT NOT NULL,
    revoked_at      BIGINT
);

-- The unit responsible for each section of a plan.
CREATE TABLE plan_section_units (
    plan_id         TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    section_id      TEXT NOT NULL,
    unit            TEXT NOT NULL,
    PRIMARY KEY (plan_id, section_id)
);

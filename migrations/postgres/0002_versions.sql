-- Named versions: a plan's committed state frozen under a name. A row is written once and never
-- changed; `state` is the whole Yjs document (a v1 update from the empty state).
-- The same schema as migrations/sqlite/0002, in PostgreSQL types.

CREATE TABLE plan_versions (
    id          TEXT PRIMARY KEY NOT NULL,          -- UUID
    plan_id     TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    state       BYTEA NOT NULL,
    created_at  BIGINT NOT NULL,                    -- unix milliseconds
    CONSTRAINT plan_versions_name_key UNIQUE (plan_id, name)
);

CREATE INDEX plan_versions_by_plan ON plan_versions (plan_id, created_at);

-- The cover logo of a plan: a PNG as uploaded, or an SVG as usvg wrote it again, checked before
-- it is stored (src/export/logo.rs). At most one per plan; it goes when its plan goes.
-- The same schema as migrations/sqlite/0009, in PostgreSQL types.

CREATE TABLE plan_logos (
    plan_id     TEXT PRIMARY KEY NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('png', 'svg')),
    data        BYTEA NOT NULL,
    updated_at  BIGINT NOT NULL                     -- unix milliseconds
);

-- The cover logo of a plan: a PNG as uploaded, or an SVG as usvg wrote it again, checked before
-- it is stored (src/export/logo.rs). At most one per plan; it goes when its plan goes.

CREATE TABLE plan_logos (
    plan_id     TEXT PRIMARY KEY NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('png', 'svg')),
    data        BLOB NOT NULL,
    updated_at  INTEGER NOT NULL                    -- unix milliseconds
);

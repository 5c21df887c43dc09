-- Who wrote what: each logged update names its author, and each part of a plan remembers who
-- changed it last (the log is compacted away; this table is not).

ALTER TABLE plan_updates ADD COLUMN author TEXT;      -- user:<uuid>, token:<uuid> or anonymous

CREATE TABLE plan_activity (
    plan_id         TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    target          TEXT NOT NULL,                     -- the Y.Doc root: section:<id>, tiltak, …
    actor_id        TEXT NOT NULL,
    actor_name      TEXT NOT NULL,
    actor_unit      TEXT,
    edited_at       BIGINT NOT NULL,                   -- unix milliseconds
    PRIMARY KEY (plan_id, target)
);

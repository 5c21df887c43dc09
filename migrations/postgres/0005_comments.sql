-- Comment threads: advisers, editors and coordinators discuss the plan without changing it.
-- Comments live here, never in the Y.Doc, so they never reach an export.
-- The same schema as migrations/sqlite/0005, in PostgreSQL types.

CREATE TABLE comment_threads (
    id                  TEXT PRIMARY KEY NOT NULL,      -- UUID (v7: ordered by creation)
    plan_id             TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    anchor_kind         TEXT NOT NULL CHECK (anchor_kind IN ('text', 'tiltak')),
    section_id          TEXT,                           -- text anchors: the prose section
    row_id              TEXT,                           -- tiltak anchors: the row's id
    anchor_start        BYTEA,                          -- text anchors: Yjs relative positions
    anchor_end          BYTEA,
    quote               TEXT NOT NULL DEFAULT '',       -- the text as it was when commented on
    author_id           TEXT NOT NULL,                  -- user:<uuid>, token:<uuid> or anonymous
    author_name         TEXT NOT NULL,
    author_unit         TEXT,
    created_at          BIGINT NOT NULL,                -- unix milliseconds
    resolved_at         BIGINT,
    resolved_by_id      TEXT,
    resolved_by_name    TEXT,
    resolved_by_unit    TEXT
);
CREATE INDEX comment_threads_by_plan ON comment_threads (plan_id, created_at);

CREATE TABLE comments (
    id                  TEXT PRIMARY KEY NOT NULL,      -- UUID (v7)
    thread_id           TEXT NOT NULL REFERENCES comment_threads (id) ON DELETE CASCADE,
    plan_id             TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    author_id           TEXT NOT NULL,
    author_name         TEXT NOT NULL,
    author_unit         TEXT,
    body                TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    edited_at           BIGINT
);
CREATE INDEX comments_by_thread ON comments (thread_id, created_at);
CREATE INDEX comments_by_plan ON comments (plan_id);

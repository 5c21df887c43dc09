-- Suggestions: advisers (and editors or coordinators in «Foreslå endringer») propose wording.
-- Stored beside the plan like comments, never in the Y.Doc, so a pending one never reaches an
-- export; an accepted one is applied by the server as an ordinary edit of the one who accepted.

CREATE TABLE suggestions (
    id                  TEXT PRIMARY KEY NOT NULL,      -- UUID (v7: ordered by creation)
    plan_id             TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    kind                TEXT NOT NULL CHECK (kind IN ('text', 'field', 'row')),
    section_id          TEXT,                           -- text: the prose section
    anchor_start        BLOB,                           -- text: Yjs relative positions
    anchor_end          BLOB,
    original            TEXT NOT NULL DEFAULT '',       -- text: the words replaced; field: the
                                                        -- value as JSON, as it was when proposed
    proposed            TEXT NOT NULL,                  -- text: the new words; field: the new
                                                        -- value as JSON; row: the row as JSON
    row_id              TEXT,                           -- field: the row's id
    field               TEXT,                           -- field: the field's code name
    author_id           TEXT NOT NULL,                  -- user:<uuid>, token:<uuid> or anonymous
    author_name         TEXT NOT NULL,
    author_unit         TEXT,
    created_at          INTEGER NOT NULL,               -- unix milliseconds
    status              TEXT NOT NULL DEFAULT 'open'
                        CHECK (status IN ('open', 'accepted', 'rejected')),
    decided_at          INTEGER,
    decided_by_id       TEXT,
    decided_by_name     TEXT,
    decided_by_unit     TEXT,
    reason              TEXT                            -- rejected: the optional reason
);
CREATE INDEX suggestions_by_plan ON suggestions (plan_id, created_at);

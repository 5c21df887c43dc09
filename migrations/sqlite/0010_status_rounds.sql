-- Status rounds (statusrunder): after BU adopts a plan, each unit reports yearly the status of
-- its tiltak. A round reports on the adopted frozen version and never changes it; its data lives
-- here, beside the plan. Closing a round freezes it. Both go when their plan goes.

CREATE TABLE status_rounds (
    id          TEXT PRIMARY KEY NOT NULL,          -- UUID (v7: ordered by creation)
    plan_id     TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,                      -- e.g. «Status 2026»
    deadline    TEXT NOT NULL,                      -- YYYY-MM-DD
    version_id  TEXT NOT NULL,                      -- the adopted frozen version it reports on
    opened_at   INTEGER NOT NULL,                   -- unix milliseconds
    opened_by   TEXT NOT NULL,                      -- user:<uuid>, token:<uuid> or anonymous
    closed_at   INTEGER                             -- unix milliseconds; NULL while open
);
CREATE INDEX status_rounds_by_plan ON status_rounds (plan_id, opened_at);
-- At most one open round per plan.
CREATE UNIQUE INDEX status_rounds_one_open ON status_rounds (plan_id) WHERE closed_at IS NULL;

CREATE TABLE status_entries (
    round_id        TEXT NOT NULL REFERENCES status_rounds (id) ON DELETE CASCADE,
    plan_id         TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    row_id          TEXT NOT NULL,                  -- the tiltak row's id in the adopted version
    status          TEXT NOT NULL,                  -- an option of the template's status_field
    comment         TEXT NOT NULL DEFAULT '',
    indicator_value TEXT NOT NULL DEFAULT '',
    reported_by     TEXT NOT NULL,                  -- account id (user:<uuid>, token:<uuid>)
    reported_by_name TEXT NOT NULL DEFAULT '',
    reported_at     INTEGER NOT NULL,               -- unix milliseconds
    PRIMARY KEY (round_id, row_id)
);
CREATE INDEX status_entries_by_plan ON status_entries (plan_id);

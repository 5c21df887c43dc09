-- Rullering: a plan made from another («Ny plan fra denne») names the plan it was made from,
-- and which of its tiltak were carried over to be revised (disposition «endres»). Deleting the
-- earlier plan leaves the later one standing without its link.
-- The same schema as migrations/sqlite/0011, in PostgreSQL types.

ALTER TABLE plans ADD COLUMN previous_plan TEXT REFERENCES plans (id) ON DELETE SET NULL;
CREATE INDEX plans_by_previous_plan ON plans (previous_plan);

-- The carried tiltak rows (ids in the new plan's document) marked «endres», in table order.
CREATE TABLE plan_revise_rows (
    plan_id     TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    row_id      TEXT NOT NULL,
    position    BIGINT NOT NULL,
    PRIMARY KEY (plan_id, row_id)
);

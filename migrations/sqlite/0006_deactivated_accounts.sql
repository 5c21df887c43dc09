-- Accounts can be deactivated (`samskriv user deactivate`): a deactivated account cannot sign
-- in and has no sessions. The time (unix milliseconds) also lets each server find, by polling,
-- deactivations made by the CLI while it runs, and close their open connections.

ALTER TABLE users ADD COLUMN deactivated_at INTEGER;

-- Plans and their live documents: a compacted snapshot plus the log of updates committed since.
-- The same schema as migrations/sqlite/0001, in PostgreSQL types. Ids stay TEXT (the hyphenated
-- UUID) so both databases store and compare them identically.

CREATE TABLE plans (
    id          TEXT PRIMARY KEY NOT NULL,          -- UUID
    title       TEXT NOT NULL DEFAULT '',
    bydel       TEXT NOT NULL DEFAULT '',
    periode     TEXT NOT NULL DEFAULT '',
    template    TEXT NOT NULL DEFAULT '',           -- "id@version", empty for a plan made without one
    status      TEXT NOT NULL DEFAULT 'utkast',
    is_demo     BOOLEAN NOT NULL DEFAULT FALSE,
    last_seq    BIGINT NOT NULL DEFAULT 0,          -- highest sequence number in the update log
    created_at  BIGINT NOT NULL,                    -- unix milliseconds
    updated_at  BIGINT NOT NULL
);

-- One compacted state per plan: every update with seq <= upto_seq is folded into `state`.
CREATE TABLE plan_snapshots (
    plan_id     TEXT PRIMARY KEY NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    upto_seq    BIGINT NOT NULL,
    state       BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);

-- Updates committed since the snapshot, in the order they were relayed.
CREATE TABLE plan_updates (
    plan_id     TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    seq         BIGINT NOT NULL,
    data        BYTEA NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (plan_id, seq)
);

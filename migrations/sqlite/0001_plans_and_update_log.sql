-- Plans and their live documents: a compacted snapshot plus the log of updates committed since.

CREATE TABLE plans (
    id          TEXT PRIMARY KEY NOT NULL,          -- UUID
    title       TEXT NOT NULL DEFAULT '',
    bydel       TEXT NOT NULL DEFAULT '',
    periode     TEXT NOT NULL DEFAULT '',
    template    TEXT NOT NULL DEFAULT '',           -- "id@version", empty for a plan made without one
    status      TEXT NOT NULL DEFAULT 'utkast',
    is_demo     INTEGER NOT NULL DEFAULT 0,
    last_seq    INTEGER NOT NULL DEFAULT 0,         -- highest sequence number in the update log
    created_at  INTEGER NOT NULL,                   -- unix milliseconds
    updated_at  INTEGER NOT NULL
);

-- One compacted state per plan: every update with seq <= upto_seq is folded into `state`.
CREATE TABLE plan_snapshots (
    plan_id     TEXT PRIMARY KEY NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    upto_seq    INTEGER NOT NULL,
    state       BLOB NOT NULL,
    created_at  INTEGER NOT NULL
);

-- Updates committed since the snapshot, in the order they were relayed.
CREATE TABLE plan_updates (
    plan_id     TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    data        BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (plan_id, seq)
) WITHOUT ROWID;

-- Workspace images and warm reserves (control/Images wired to the database): images and their build logs, tracked
-- branches, reserve pools and machines, and the reserve CU ledger (compute units stored as millionths).
CREATE TABLE workspace_images (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    branch TEXT,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    compatible INTEGER NOT NULL,
    active INTEGER NOT NULL,
    image_ref TEXT NOT NULL,
    freshness_hash TEXT,
    created_at INTEGER NOT NULL,
    error TEXT
);
CREATE INDEX ix_workspace_images_workspace ON workspace_images (workspace_id, created_at);
CREATE TABLE workspace_image_logs (
    image_id TEXT NOT NULL REFERENCES workspace_images(id),
    seq INTEGER NOT NULL,
    line TEXT NOT NULL,
    PRIMARY KEY (image_id, seq)
);
CREATE TABLE tracked_branches (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    branch TEXT NOT NULL,
    is_default INTEGER NOT NULL,
    tracked_at INTEGER NOT NULL,
    last_activity_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, branch)
);
CREATE TABLE reserve_pools (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    branch TEXT NOT NULL,
    target INTEGER NOT NULL,
    image_ref TEXT NOT NULL,
    PRIMARY KEY (workspace_id, branch)
);
CREATE TABLE reserve_machines (
    machine_id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    branch TEXT NOT NULL,
    image_ref TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX ix_reserve_machines_pool ON reserve_machines (workspace_id, branch, created_at);
CREATE TABLE reserve_ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL,
    branch TEXT NOT NULL,
    from_at INTEGER NOT NULL,
    to_at INTEGER NOT NULL,
    target INTEGER NOT NULL,
    billable_machines INTEGER NOT NULL,
    compute_units_micro INTEGER NOT NULL
);
CREATE INDEX ix_reserve_ledger_workspace ON reserve_ledger (workspace_id, id);

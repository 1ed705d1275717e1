-- Workspace images and warm reserves (control/Images wired to the database): images and their build logs, tracked
-- branches, reserve pools and machines, and the reserve CU ledger (compute units stored as millionths).
CREATE TABLE workspace_images (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    branch TEXT,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    compatible BIGINT NOT NULL,
    active BIGINT NOT NULL,
    image_ref TEXT NOT NULL,
    freshness_hash TEXT,
    created_at BIGINT NOT NULL,
    error TEXT
);
CREATE INDEX ix_workspace_images_workspace ON workspace_images (workspace_id, created_at);
CREATE TABLE workspace_image_logs (
    image_id TEXT NOT NULL REFERENCES workspace_images(id),
    seq BIGINT NOT NULL,
    line TEXT NOT NULL,
    PRIMARY KEY (image_id, seq)
);
CREATE TABLE tracked_branches (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    branch TEXT NOT NULL,
    is_default BIGINT NOT NULL,
    tracked_at BIGINT NOT NULL,
    last_activity_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, branch)
);
CREATE TABLE reserve_pools (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    branch TEXT NOT NULL,
    target BIGINT NOT NULL,
    image_ref TEXT NOT NULL,
    PRIMARY KEY (workspace_id, branch)
);
CREATE TABLE reserve_machines (
    machine_id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    branch TEXT NOT NULL,
    image_ref TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ix_reserve_machines_pool ON reserve_machines (workspace_id, branch, created_at);
CREATE TABLE reserve_ledger (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    branch TEXT NOT NULL,
    from_at BIGINT NOT NULL,
    to_at BIGINT NOT NULL,
    target BIGINT NOT NULL,
    billable_machines BIGINT NOT NULL,
    compute_units_micro BIGINT NOT NULL
);
CREATE INDEX ix_reserve_ledger_workspace ON reserve_ledger (workspace_id, id);

-- Runtime registrations: heartbeats, ports, history streams and their full-text index (FTS5).
CREATE TABLE heartbeats (
    task_id TEXT NOT NULL REFERENCES tasks(id),
    at INTEGER NOT NULL,
    agent_state TEXT NOT NULL,
    active_requests INTEGER NOT NULL,
    backup_ok INTEGER NOT NULL
);
CREATE INDEX ix_heartbeats_task ON heartbeats (task_id, at);
CREATE TABLE ports (
    task_id TEXT NOT NULL REFERENCES tasks(id),
    port INTEGER NOT NULL,
    family TEXT NOT NULL,
    address TEXT NOT NULL,
    pid INTEGER,
    process TEXT,
    command TEXT,
    first_seen INTEGER NOT NULL,
    ready INTEGER NOT NULL,
    PRIMARY KEY (task_id, port)
);
CREATE TABLE history_streams (
    task_id TEXT NOT NULL REFERENCES tasks(id),
    stream TEXT NOT NULL,
    kind TEXT NOT NULL,
    length INTEGER NOT NULL,
    indexed_length INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (task_id, stream)
);
CREATE VIRTUAL TABLE history_text USING fts5 (
    content,
    workspace_id UNINDEXED,
    task_id UNINDEXED,
    stream UNINDEXED,
    kind UNINDEXED,
    position UNINDEXED,
    at UNINDEXED
);

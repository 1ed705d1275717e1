-- Runtime registrations: heartbeats, ports, history streams and their full-text index (tsvector + GIN).
CREATE TABLE heartbeats (
    task_id TEXT NOT NULL REFERENCES tasks(id),
    at BIGINT NOT NULL,
    agent_state TEXT NOT NULL,
    active_requests BIGINT NOT NULL,
    backup_ok BIGINT NOT NULL
);
CREATE INDEX ix_heartbeats_task ON heartbeats (task_id, at);
CREATE TABLE ports (
    task_id TEXT NOT NULL REFERENCES tasks(id),
    port BIGINT NOT NULL,
    family TEXT NOT NULL,
    address TEXT NOT NULL,
    pid BIGINT,
    process TEXT,
    command TEXT,
    first_seen BIGINT NOT NULL,
    ready BIGINT NOT NULL,
    PRIMARY KEY (task_id, port)
);
CREATE TABLE history_streams (
    task_id TEXT NOT NULL REFERENCES tasks(id),
    stream TEXT NOT NULL,
    kind TEXT NOT NULL,
    length BIGINT NOT NULL,
    indexed_length BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (task_id, stream)
);
CREATE TABLE history_text (
    id BIGSERIAL PRIMARY KEY,
    content TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    stream TEXT NOT NULL,
    kind TEXT NOT NULL,
    position BIGINT NOT NULL,
    at BIGINT NOT NULL,
    search TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED
);
CREATE INDEX ix_history_text_search ON history_text USING GIN (search);
CREATE INDEX ix_history_text_task ON history_text (task_id, stream);

-- Core model: teams, workspaces, users, membership, tasks and todos, comments, attachments, prompts,
-- configuration layers and tokens. Timestamps are Unix milliseconds; ids are opaque text.
CREATE TABLE teams (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE workspaces (
    id TEXT PRIMARY KEY,
    team_id TEXT NOT NULL REFERENCES teams(id),
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL UNIQUE,
    task_counter BIGINT NOT NULL DEFAULT 0,
    idle_timeout_seconds BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (team_id, slug)
);
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE memberships (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    number BIGINT NOT NULL,
    display_id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    parent_id TEXT REFERENCES tasks(id),
    branch TEXT NOT NULL,
    source_branch TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT,
    mode TEXT NOT NULL,
    priority TEXT NOT NULL,
    effort TEXT,
    tags TEXT NOT NULL,
    assignee_id TEXT REFERENCES users(id),
    created_by TEXT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    launched_at BIGINT,
    agent_state TEXT,
    last_heartbeat_at BIGINT,
    idle_since BIGINT,
    local_proxy_url TEXT,
    generation_proxy_url TEXT,
    backup_agent_url TEXT
);
CREATE INDEX ix_tasks_workspace ON tasks (workspace_id, status, created_at);
CREATE INDEX ix_tasks_parent ON tasks (parent_id);
CREATE TABLE comments (
    id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL REFERENCES tasks(id),
    parent_id TEXT REFERENCES comments(id),
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ix_comments_task ON comments (task_id, created_at);
CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL REFERENCES tasks(id),
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ix_attachments_task ON attachments (task_id);
CREATE TABLE prompts (
    id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL REFERENCES tasks(id),
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX ix_prompts_task ON prompts (task_id, created_at);
CREATE TABLE config_layers (
    layer TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    document TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (layer, workspace_id, user_id)
);
CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    hash TEXT NOT NULL,
    name TEXT NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    task_id TEXT REFERENCES tasks(id),
    user_id TEXT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX ix_tokens_workspace ON tokens (workspace_id);

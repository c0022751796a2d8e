-- codex-batch schema, version 1: the same SQL for SQLite and PostgreSQL.
CREATE TABLE batch_runs (
    name TEXT PRIMARY KEY,
    created_ms BIGINT NOT NULL,
    manifest TEXT NOT NULL,
    settings TEXT NOT NULL
);

CREATE TABLE batch_tasks (
    run TEXT NOT NULL,
    task_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    split TEXT,
    task TEXT NOT NULL,
    state TEXT NOT NULL,
    worker TEXT,
    lease_until_ms BIGINT,
    claims BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (run, task_id)
);

CREATE INDEX batch_tasks_queue ON batch_tasks (run, state, seq);

CREATE TABLE batch_claims (
    run TEXT NOT NULL,
    task_id TEXT NOT NULL,
    worker TEXT NOT NULL,
    claimed_ms BIGINT NOT NULL
);

CREATE TABLE batch_results (
    run TEXT NOT NULL,
    task_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    worker TEXT NOT NULL,
    status TEXT NOT NULL,
    total_tokens BIGINT NOT NULL,
    cost_usd DOUBLE PRECISION,
    finished_ms BIGINT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (run, task_id)
);

"""The store's tables. Created if missing when the store opens."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS incidents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    thread_ts TEXT,
    runbook TEXT NOT NULL,
    target TEXT NOT NULL,
    variables TEXT NOT NULL,
    alert TEXT NOT NULL DEFAULT '{}',
    opened_by TEXT NOT NULL,
    opened_at REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    resolved_by TEXT,
    resolved_at REAL
);
CREATE TABLE IF NOT EXISTS step_messages (
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    step_id TEXT NOT NULL,
    ts TEXT NOT NULL,
    PRIMARY KEY (incident_id, step_id)
);
CREATE TABLE IF NOT EXISTS step_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    step_id TEXT NOT NULL,
    by TEXT NOT NULL,
    at REAL NOT NULL,
    result TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    incident_id INTEGER,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    params TEXT NOT NULL,
    outcome TEXT NOT NULL,
    request_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS alerts (
    fingerprint TEXT NOT NULL,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    source TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    fired_at REAL NOT NULL,
    resolved_at REAL,
    times INTEGER NOT NULL DEFAULT 1,
    noted_at REAL,
    PRIMARY KEY (fingerprint, incident_id)
);
CREATE TABLE IF NOT EXISTS approvals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    action_id TEXT NOT NULL,
    requester TEXT NOT NULL,
    requested_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    decided_by TEXT,
    message_ts TEXT
);
CREATE TABLE IF NOT EXISTS seen (
    key TEXT PRIMARY KEY,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS work (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    key TEXT NOT NULL,
    actor TEXT NOT NULL,
    request_id TEXT NOT NULL,
    params TEXT NOT NULL,
    started_at REAL NOT NULL,
    owner TEXT NOT NULL,
    finished_at REAL,
    outcome TEXT
);
-- Facts of an incident's story that no other table keeps: an alert's
-- source times and each repeat (alerts keeps only the first receive and a
-- count). Everything else in a timeline is read from the tables above.
CREATE TABLE IF NOT EXISTS timeline (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    source_at REAL,
    params TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS work_unfinished ON work (finished_at) WHERE finished_at IS NULL;
"""

# Columns added after a store may already exist on disk: table -> (column, definition).
ADDED_COLUMNS = {
    "incidents": [("dry_run", "INTEGER NOT NULL DEFAULT 0")],
    # An event being handled (done = 0) by the process `owner`: a retry of it
    # is handled again if that process is gone (see SqliteStore.claim).
    "seen": [("done", "INTEGER NOT NULL DEFAULT 1"), ("owner", "TEXT")],
    # When the source says the firing began (Alertmanager's startsAt, epoch
    # seconds): "resolved after N" by the source's clock (bot.alerts.times).
    "alerts": [("starts_at", "REAL")],
}

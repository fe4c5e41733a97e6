"""Queues with explicit states: the inbox gets a state, a lane (the origin its processing may wait
on), an ordering key and no lifelong uniqueness of activity ids (duplicates are suppressed for a
window only); servers count failures by time, not by POSTs; done rows can be pruned by age; a
delivery refers to its activity's body instead of a copy of it."""

from sqlite_utils import Database

SCHEMA = """
CREATE TABLE inbox_new (
    id INTEGER PRIMARY KEY,
    activity_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    type TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed', 'refused')),
    lane TEXT NOT NULL DEFAULT '',
    ordering_key TEXT,
    waiting_on TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try_at TEXT NOT NULL,
    error TEXT,
    received_at TEXT NOT NULL,
    processed_at TEXT
);
INSERT INTO inbox_new (id, activity_id, actor, type, body, state, attempts, next_try_at, error, received_at,
                       processed_at)
    SELECT id, activity_id, actor, type, body,
           CASE WHEN processed_at IS NOT NULL THEN 'done' WHEN attempts >= 8 THEN 'failed' ELSE 'pending' END,
           attempts, coalesce(next_try_at, received_at), error, received_at, processed_at
    FROM inbox;
DROP TABLE inbox;
ALTER TABLE inbox_new RENAME TO inbox;
CREATE INDEX inbox_activity ON inbox(activity_id, received_at);
CREATE INDEX inbox_due ON inbox(state, next_try_at);
CREATE INDEX inbox_lanes ON inbox(state, lane, next_try_at, id);
CREATE INDEX inbox_order ON inbox(ordering_key, state, id);
CREATE INDEX inbox_waiting ON inbox(waiting_on) WHERE waiting_on IS NOT NULL;
CREATE INDEX inbox_finished ON inbox(state, processed_at);
ALTER TABLE servers ADD COLUMN failing_since TEXT;
ALTER TABLE servers ADD COLUMN last_failure_at TEXT;
ALTER TABLE servers ADD COLUMN last_error TEXT;
UPDATE servers SET failing_since = unreachable_since WHERE failures > 0;
CREATE INDEX deliveries_finished ON deliveries(state, delivered_at);
CREATE INDEX deliveries_domain ON deliveries(domain, state);
UPDATE deliveries SET body = '' WHERE EXISTS (SELECT 1 FROM activities a WHERE a.uri = deliveries.activity_uri
                                             AND a.body = deliveries.body)
"""


def apply(db: Database) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)

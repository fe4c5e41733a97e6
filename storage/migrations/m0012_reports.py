"""Reports (issue 9): visitors' report attempts, counted per address and per e-mail address in SQLite
so that the rate limit survives a restart; the rules a report cites and every post it names."""

from sqlite_utils import Database

SCHEMA = """
CREATE TABLE report_attempts (
    id INTEGER PRIMARY KEY,
    address TEXT NOT NULL,
    email TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX report_attempts_address ON report_attempts(address, at);
CREATE INDEX report_attempts_email ON report_attempts(email, at);
-- the rules cited (rules.id, comma-separated) and every post the report names (posts.id,
-- comma-separated; post_id is the first of them)
ALTER TABLE reports ADD COLUMN rule_ids TEXT NOT NULL DEFAULT '';
ALTER TABLE reports ADD COLUMN post_ids TEXT NOT NULL DEFAULT ''
"""


def apply(db: Database) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)

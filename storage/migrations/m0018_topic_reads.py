"""What's new (issue 12): per member and thread (topic or blog post) the highest post id they have
seen. Posts above the mark, by someone else, are new to them. One row per member and thread; the
primary key is the index every read-state query uses (member first: lists ask for one member)."""

from sqlite_utils import Database

SCHEMA = """
CREATE TABLE topic_reads (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    topic_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    last_read_post_id INTEGER NOT NULL,
    read_at TEXT NOT NULL,
    PRIMARY KEY (account_id, topic_id)
) WITHOUT ROWID;
CREATE INDEX topic_reads_topic ON topic_reads(topic_id);
"""


def apply(db: Database) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)

"""Writing (issue 12): drafts of topics and replies, and the edit history of posts.

- post_drafts: a member's unsent topic (per group) or reply (per parent post). Kept out of the
  posts table so no posts query (lists, search, federation, counts) has to skip them.
  Exactly one of group_id and parent_id is set; one draft per member and place.
- post_revisions: the version of a post before each edit (local, or a federated Update), with
  who changed it and when. A post that becomes a tombstone loses its revisions with its text.
"""

from sqlite_utils import Database

SCHEMA = """
CREATE TABLE post_drafts (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    group_id INTEGER REFERENCES groups(id) ON DELETE CASCADE,
    parent_id INTEGER REFERENCES posts(id) ON DELETE CASCADE,
    title TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    CHECK ((group_id IS NULL) != (parent_id IS NULL))
);
CREATE UNIQUE INDEX post_drafts_topic ON post_drafts(account_id, group_id) WHERE group_id IS NOT NULL;
CREATE UNIQUE INDEX post_drafts_reply ON post_drafts(account_id, parent_id) WHERE parent_id IS NOT NULL;
CREATE TABLE post_revisions (
    id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    title TEXT,
    source TEXT NOT NULL DEFAULT '',
    content TEXT NOT NULL DEFAULT '',
    editor_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    written_at TEXT NOT NULL,
    replaced_at TEXT NOT NULL
);
CREATE INDEX post_revisions_post ON post_revisions(post_id, id)
"""


def apply(db: Database) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)

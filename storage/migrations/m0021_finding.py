"""Finding (issue 12): indexes for the group list's sort orders and search's author filter, and
reply counts and last activity recounted from visible replies only (the old counter drifted)."""

from sqlite_utils import Database

SCHEMA = """
CREATE INDEX IF NOT EXISTS posts_group_new ON posts(group_id, kind, created_at);
CREATE INDEX IF NOT EXISTS posts_group_replies ON posts(group_id, kind, reply_count);
CREATE INDEX IF NOT EXISTS posts_author ON posts(author_id, id)
"""

RECOUNT = """
UPDATE posts SET
  reply_count = (SELECT count(*) FROM posts r WHERE r.topic_id = posts.id AND r.id != posts.id
                 AND r.deleted_at IS NULL AND r.removed_at IS NULL AND r.state = 'published'),
  last_activity_at = max(coalesce(posts.published_at, posts.created_at),
                         coalesce((SELECT max(coalesce(r.published_at, r.created_at)) FROM posts r
                                   WHERE r.topic_id = posts.id AND r.id != posts.id AND r.deleted_at IS NULL
                                   AND r.removed_at IS NULL AND r.state = 'published'), ''))
WHERE posts.id = posts.topic_id
"""


def apply(db: Database) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)
    db.execute(RECOUNT)

"""Moderation (issue 9): group moderators, bans, rules, reports, blocks and shared block lists,
the public moderation log and the append-only audit log; removal, lock and pin marks on posts."""

from sqlite_utils import Database

SCHEMA = """
-- A removal by a moderator differs from a deletion by the author: the author still sees the post,
-- marked removed, with the reason; everyone else sees that it was removed.
ALTER TABLE posts ADD COLUMN removed_at TEXT;
ALTER TABLE posts ADD COLUMN removed_reason TEXT;
ALTER TABLE posts ADD COLUMN locked_at TEXT;
ALTER TABLE posts ADD COLUMN pinned_at TEXT;
ALTER TABLE accounts ADD COLUMN suspended_at TEXT;
ALTER TABLE accounts ADD COLUMN suspended_reason TEXT;

-- Moderators of one group: local members, or remote accounts (a remote group's moderators as
-- its collection lists them, or a remote person a local group trusts).
CREATE TABLE group_moderators (
    group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    added_by INTEGER REFERENCES accounts(id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (group_id, account_id)
);

CREATE TABLE group_bans (
    group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    reason TEXT NOT NULL,
    banned_by INTEGER REFERENCES accounts(id),
    created_at TEXT NOT NULL,
    expires_at TEXT,
    PRIMARY KEY (group_id, account_id)
);

-- group_id NULL: a rule of the whole node (the client API's instance rules).
CREATE TABLE rules (
    id INTEGER PRIMARY KEY,
    group_id INTEGER REFERENCES groups(id) ON DELETE CASCADE,
    position INTEGER NOT NULL DEFAULT 0,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX rules_group ON rules(group_id, position);

CREATE TABLE reports (
    id INTEGER PRIMARY KEY,
    -- who reported: a local member, a visitor (e-mail), or another server (its domain, the Flag id)
    reporter_id INTEGER REFERENCES accounts(id),
    reporter_email TEXT,
    origin_domain TEXT,
    flag_uri TEXT UNIQUE,
    -- what: a post (local or a copy of a remote one), an account, or a group
    target_kind TEXT NOT NULL CHECK (target_kind IN ('post', 'account', 'group')),
    post_id INTEGER REFERENCES posts(id),
    account_id INTEGER REFERENCES accounts(id),
    group_id INTEGER REFERENCES groups(id),
    target_url TEXT NOT NULL,
    category TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved', 'dismissed')),
    forwarded_at TEXT,
    forwarded_to TEXT,
    created_at TEXT NOT NULL,
    handled_by INTEGER REFERENCES accounts(id),
    handled_at TEXT
);
CREATE INDEX reports_state ON reports(state, id);
CREATE INDEX reports_group ON reports(group_id, state);

CREATE TABLE report_notes (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    account_id INTEGER REFERENCES accounts(id),
    text TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- The public moderation log: what was done, to what, when, why and by which role; never who
-- reported it. group_id NULL: a node-wide action (a block, a suspension).
CREATE TABLE moderation_log (
    id INTEGER PRIMARY KEY,
    group_id INTEGER REFERENCES groups(id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    target_url TEXT NOT NULL,
    target_label TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL,
    actor_id INTEGER REFERENCES accounts(id),
    report_id INTEGER REFERENCES reports(id) ON DELETE SET NULL,
    activity_uri TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX moderation_log_group ON moderation_log(group_id, id);

-- Every admin and moderator action, for admins only. Append-only: TRIGGERS refuse changes.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id INTEGER REFERENCES accounts(id),
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT ''
);
-- Blocks and limits set at run time (the config's lists stay as start-up defaults).
-- target: a domain ("bad.example") or an actor URL; severity 'limit': its posts are shown
-- only to those who follow it.
CREATE TABLE blocks (
    id INTEGER PRIMARY KEY,
    target TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('domain', 'actor')),
    severity TEXT NOT NULL CHECK (severity IN ('block', 'limit')),
    reason TEXT NOT NULL,
    created_by INTEGER REFERENCES accounts(id),
    created_at TEXT NOT NULL
);

-- Shared allow or block lists, by URL, refreshed daily.
CREATE TABLE block_lists (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('allow', 'block')),
    created_by INTEGER REFERENCES accounts(id),
    created_at TEXT NOT NULL,
    fetched_at TEXT,
    next_fetch_at TEXT,
    last_error TEXT,
    entry_count INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE block_list_entries (
    list_id INTEGER NOT NULL REFERENCES block_lists(id) ON DELETE CASCADE,
    domain TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('block', 'limit', 'allow')),
    comment TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (list_id, domain)
);
CREATE INDEX block_list_entries_domain ON block_list_entries(domain);
"""

# Apart, because a trigger's body holds ";" of its own.
TRIGGERS = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
)


def apply(db: Database) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)
    for trigger in TRIGGERS:
        db.execute(trigger)

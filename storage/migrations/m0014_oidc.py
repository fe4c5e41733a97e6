"""Sign-in with the organisation's account (issue 10, OpenID Connect): the links between a provider's
stable subject and a member, the log-in attempts in flight (state, nonce and PKCE verifier, kept on
the server, single use and expiring), and each member's last log-in for the admins."""

from sqlite_utils import Database

SCHEMA = """
CREATE TABLE oidc_links (
    id INTEGER PRIMARY KEY,
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    -- the provider's refresh token, encrypted with a key derived from node.secret_key ('' if none)
    refresh_token TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    checked_at TEXT,
    disabled_at TEXT,
    disabled_reason TEXT NOT NULL DEFAULT '',
    UNIQUE (provider, subject)
);
CREATE INDEX oidc_links_account ON oidc_links(account_id);
CREATE TABLE oidc_flows (
    state_hash TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    nonce TEXT NOT NULL,
    verifier TEXT NOT NULL,
    next TEXT NOT NULL,
    expires_at REAL NOT NULL
);
ALTER TABLE accounts ADD COLUMN last_login_at TEXT
"""


def apply(db: Database) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)

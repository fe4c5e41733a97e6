"""Second factor and account lifecycle (issue 10): a member's TOTP secret (set once confirmed; the
pending one while enrolling), the last time step a code was used (a code is good once), single-use
recovery codes (hashed), half-finished log-ins (password right, code still due; hashed tokens that
expire in minutes), the last successful log-in, and when an admin deleted the member."""

from sqlite_utils import Database

SCHEMA = """
ALTER TABLE accounts ADD COLUMN totp_secret TEXT;
ALTER TABLE accounts ADD COLUMN totp_pending TEXT;
ALTER TABLE accounts ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN deleted_at TEXT;
CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX recovery_codes_account ON recovery_codes(account_id);
CREATE TABLE pending_logins (
    token_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    step TEXT NOT NULL,
    expires_at TEXT NOT NULL
)
"""


def apply(db: Database) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)

"""The `meent` command: init, serve, user, group, demo, backup, federation, block, unblock.

Errors are one line on stderr and a non-zero exit (2 for usage and config), never a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import shutil
import sqlite3
import sys
from pathlib import Path
from typing import Any

from node import __version__, cli_blocks, cli_federation, cli_mail, cli_moderation, cli_reports
from node.config import Config, ConfigError, load, proxies_problem, to_toml, validate
from node.i18n import translate
from node.services import accounts, groups, lifecycle, logs, media_store, organisation
from node.services.context import Node
from node.services.errors import ServiceError
from storage import accounts as account_store
from storage import groups as group_store
from storage import moderation_log
from storage.db import Database


class CliError(Exception):
    """A message for the person at the terminal, with an exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def _open(config: Config) -> Node:
    db = Database(config.database_path)
    db.migrate()
    return Node(config=config, db=db)


def _config(args: argparse.Namespace) -> Config:
    return load(args.config or os.environ.get("MEENT_CONFIG") or "config.toml")


def _is_loopback(domain: str) -> bool:
    return domain.split(":")[0] in ("127.0.0.1", "localhost")


def init_node(data_dir: Path, domain: str, admin: str, password: str, name: str, email: str = "",
              port: int | None = None) -> Config:
    """Write DIR/config.toml, create the database, the organisation's key and the first admin.

    The folder (when made here), the config (it holds the secret key) and the database (password
    hashes, private keys; SQLite gives its -wal and -shm the same mode) are the owner's only.
    """
    config_path = data_dir / "config.toml"
    if config_path.exists():
        raise CliError(f"{config_path} already exists: this folder holds a node already", 2)
    if port is None:
        port = int(domain.rsplit(":", 1)[1]) if ":" in domain and domain.rsplit(":", 1)[1].isdigit() else 8000
    tables: dict[str, dict[str, Any]] = {
        "node": {"domain": domain, "name": name, "secret_key": secrets.token_urlsafe(48),
                 "https": not _is_loopback(domain), "default_language": "nl", "contact_email": email},
        "server": {"host": "127.0.0.1", "port": port},
        "database": {"path": "meent.db"},
        "registration": {"mode": "closed", "allowed_email_domains": []},
        "federation": {"mode": "open", "blocked_domains": [], "allow_private_addresses": _is_loopback(domain)},
    }
    config = Config(validate(tables), base_dir=data_dir.resolve())  # refuse bad flags before anything is written
    _private_dir(data_dir)
    _private_file(config.database_path)
    node = _open(config)
    try:
        accounts.create(node, admin, password, role="admin")
    except ServiceError as error:
        node.db.close()
        Path(node.config.database_path).unlink(missing_ok=True)
        raise CliError(f"--admin/--password: {translate('en', error.message_key, **error.params)}", 2) from None
    organisation.ensure_key(node)
    node.db.close()
    with os.fdopen(os.open(config_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as out:
        out.write(to_toml(tables))
    return load(config_path)


def _private_dir(path: Path) -> None:
    """Make the folder 0700; an existing one is the admin's to set, but they are told if others can read it."""
    if not path.exists():
        path.mkdir(parents=True)
        path.chmod(0o700)
    elif path.stat().st_mode & 0o077:
        print(f"meent: note: others can list {path}; chmod 700 {path} keeps even the file names private",
              file=sys.stderr)


def _private_file(path: Path) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    path.chmod(0o600)


def cmd_init(args: argparse.Namespace) -> None:
    password = args.password or _ask_password()
    config = init_node(Path(args.data_dir), args.domain, args.admin, password, args.name, args.email, args.port)
    print(f"Created {config.path} and {config.database_path}")
    print(f"Admin account: {args.admin}. Start with: meent serve --config {config.path}")


def _ask_password() -> str:
    if not sys.stdin.isatty():
        raise CliError("--password is required when not run interactively", 2)
    password = getpass.getpass("Admin password: ")
    if password != getpass.getpass("Again: "):
        raise CliError("the passwords differ", 2)
    return password


def serve(config: Config, port: int | None = None, host: str | None = None,
          trusted_proxies: list[str] | None = None) -> None:
    """Run uvicorn. It takes the client's address and scheme from X-Forwarded-For/-Proto only on
    connections from a trusted proxy; anyone else keeps the socket's address, so cannot pose as another."""
    import uvicorn

    from node import logs
    from node.app import create_app

    logs.configure(config)
    app = create_app(config)
    bind_host, bind_port = host or config["server.host"], port or config["server.port"]
    proxies = config["server.trusted_proxies"] if trusted_proxies is None else trusted_proxies
    print(f"Meent {__version__} serving {config['node.name']} on http://{bind_host}:{bind_port} (Ctrl+C stops)",
          flush=True)
    uvicorn.run(app, host=bind_host, port=bind_port, loop="uvloop", http="httptools",
                access_log=False, log_level=config["log.level"], server_header=False,
                proxy_headers=bool(proxies), forwarded_allow_ips=proxies)


def trusted_proxies(values: list[str] | None) -> list[str] | None:
    """--trusted-proxy, repeated or comma-separated; None when not given, [] for --trusted-proxy ''."""
    if values is None:
        return None
    proxies = [item.strip() for value in values for item in value.split(",") if item.strip()]
    problem = proxies_problem(proxies)
    if problem:
        raise ConfigError(f"--trusted-proxy: {problem}")
    return proxies


def cmd_serve(args: argparse.Namespace) -> None:
    serve(_config(args), args.port, args.host, trusted_proxies(args.trusted_proxy))


def cmd_user_add(args: argparse.Namespace) -> None:
    node = _open(_config(args))
    role = "admin" if args.admin else "moderator" if args.moderator else "member"
    account = accounts.create(node, args.name, args.password or _ask_password(), role=role,
                              email=args.email, display_name=args.display_name or "")
    print(f"Created {role} {account['username']}")


def cmd_user_list(args: argparse.Namespace) -> None:
    node = _open(_config(args))
    for row in account_store.listing(node.db):
        state = "deleted" if row["deleted_at"] else "disabled" if row["disabled"] else "active"
        print(f"{row['username']:<30} {row['role']:<10} {state:<9} {row['display_name']}")


def cmd_user_disable(args: argparse.Namespace) -> None:
    accounts.set_disabled(_open(_config(args)), args.name, not args.enable)
    print(f"{'Enabled' if args.enable else 'Disabled'} {args.name}")


def cmd_user_delete(args: argparse.Namespace) -> None:
    if not args.yes:
        raise CliError(f"deleting {args.name} cannot be undone: add --yes to go ahead", 2)
    count = lifecycle.delete_member(_open(_config(args)), args.name)
    print(f"Deleted {args.name} ({count} posts made tombstones; the name stays reserved)")


def cmd_group_add(args: argparse.Namespace) -> None:
    group = groups.create(_open(_config(args)), None, args.slug, args.name or args.slug, args.description)
    print(f"Created group {group['slug']} ({group['name']})")


def cmd_group_list(args: argparse.Namespace) -> None:
    for row in group_store.listing(_open(_config(args)).db):
        print(f"{row['slug']:<30} {row['topics']:>5} topics {row['followers']:>5} followers  {row['name']}")


def cmd_backup(args: argparse.Namespace) -> None:
    config = _config(args)
    target = Path(args.path)
    if target.exists():
        raise CliError(f"{target} exists already; choose a new file name")
    if not config.database_path.exists():
        raise CliError(f"no database at {config.database_path}")
    files_target = target.with_name(target.name + ".media")
    if files_target.exists():
        raise CliError(f"{files_target} exists already; choose a new file name")
    db = Database(config.database_path)
    try:
        db.backup(target)
    except sqlite3.Error as error:
        raise CliError(f"backup failed: {error}") from None
    finally:
        db.close()
    print(f"Backed up {config.database_path} to {target} ({target.stat().st_size} bytes)")
    copied, size, missing = _backup_files(target, config.media_path, files_target)
    if copied or missing:
        print(f"Backed up {copied} files ({size} bytes) from {config.media_path} to {files_target}"
              + (f"; {missing} named in the database were not on disk" if missing else ""))


def _backup_files(snapshot: Path, media_folder: Path, files_target: Path) -> tuple[int, int, int]:
    """The uploaded and cached files the database copy names (content-addressed files never change,
    so copying them after the snapshot is consistent with it); the same layout as the media folder."""
    conn = sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True)
    try:
        hashes = [row[0] for row in conn.execute("SELECT hash FROM media_files ORDER BY hash")]
    finally:
        conn.close()
    copied = size = missing = 0
    for file_hash in hashes:
        source = media_store.path_of(media_folder, file_hash)
        if not source.is_file():
            missing += 1
            continue
        destination = media_store.path_of(files_target, file_hash)
        destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        copied += 1
        size += destination.stat().st_size
    return copied, size, missing


def cmd_audit(args: argparse.Namespace) -> None:
    """The audit log, newest first: as CSV (what /admin/audit.csv gives), or one entry a line."""
    node = _open(_config(args))
    if args.csv:
        sys.stdout.write(logs.audit_csv(node, None))
        return
    for row in moderation_log.audit_entries(node.db, limit=None, action=args.action):
        detail = " ".join(row["detail"].split())
        print(f"{row['at']}  {row['actor_name']:<20} {row['action']:<18} {row['target']}  {detail}"
              f"  {row['address']}".rstrip())


def cmd_demo(args: argparse.Namespace) -> None:
    from node.demo import seed

    data_dir = Path(args.data_dir)
    config_path = data_dir / "config.toml"
    if not config_path.exists():
        password = secrets.token_urlsafe(12)
        config = init_node(data_dir, f"127.0.0.1:{args.port}", "beheerder", password, "Gemeente Demo")
        node = _open(config)
        member_passwords = seed(node, "beheerder")
        node.db.close()
        print("Demo organisation created. Log in as:")
        print(f"  admin     beheerder / {password}")
        for name, member_password in member_passwords.items():
            print(f"  member    {name} / {member_password}")
        print(f"(saved only on this screen; the node's files are in {data_dir})")
    serve(load(config_path), args.port, "127.0.0.1")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="meent", description="Meent: a federated discussion node for public organisations."
    )
    parser.add_argument("--version", action="version", version=f"meent {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_config(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--config", help="the node's config.toml (default: $MEENT_CONFIG or ./config.toml)")
        return p

    p = sub.add_parser("init", help="create a node: config, database, keys and the first admin")
    p.add_argument("--data-dir", required=True, help="folder for config.toml and the database")
    p.add_argument("--domain", required=True, help="public host name, e.g. meent.utrecht.nl (or 127.0.0.1:8000)")
    p.add_argument("--admin", required=True, help="user name of the first admin")
    p.add_argument("--password", help="the admin's password (asked for when omitted)")
    p.add_argument("--name", default="Mijn organisatie", help="the organisation's name")
    p.add_argument("--email", default="", help="contact e-mail address of the node")
    p.add_argument("--port", type=int, help="port `meent serve` listens on, written to the config "
                                            "(default: the port in --domain, else 8000)")
    p.set_defaults(func=cmd_init)

    p = with_config(sub.add_parser("serve", help="run the node"))
    p.add_argument("--port", type=int, help="port (default: server.port of the config)")
    p.add_argument("--host", help="address to bind (default: server.host of the config)")
    p.add_argument("--trusted-proxy", action="append", metavar="ADDR",
                   help="address or network (10.0.0.0/8) of a reverse proxy whose X-Forwarded-For and "
                        "X-Forwarded-Proto are believed; repeat or separate with commas; replaces "
                        "server.trusted_proxies of the config ('' trusts none)")
    p.set_defaults(func=cmd_serve)

    user = sub.add_parser("user", help="manage members").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    p = with_config(user.add_parser("add", help="create a member"))
    p.add_argument("name")
    p.add_argument("--password", help="asked for when omitted")
    p.add_argument("--display-name")
    p.add_argument("--email")
    role = p.add_mutually_exclusive_group()
    role.add_argument("--admin", action="store_true", help="make an admin")
    role.add_argument("--moderator", action="store_true", help="make a moderator")
    p.set_defaults(func=cmd_user_add)
    p = with_config(user.add_parser("list", help="list members"))
    p.set_defaults(func=cmd_user_list)
    p = with_config(user.add_parser("disable", help="disable (or --enable) a member's account"))
    p.add_argument("name")
    p.add_argument("--enable", action="store_true", help="enable the account again")
    p.set_defaults(func=cmd_user_disable)
    p = with_config(user.add_parser("delete", help="delete a member for good (federates a Delete of the actor)"))
    p.add_argument("name")
    p.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    p.set_defaults(func=cmd_user_delete)

    group = sub.add_parser("group", help="manage discussion groups").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    p = with_config(group.add_parser("add", help="create a group"))
    p.add_argument("slug", help="short name used in URLs, e.g. open-overheid")
    p.add_argument("--name", help="display name, e.g. 'Open Overheid'")
    p.add_argument("--description", default="")
    p.set_defaults(func=cmd_group_add)
    p = with_config(group.add_parser("list", help="list groups"))
    p.set_defaults(func=cmd_group_list)

    p = sub.add_parser("demo", help="create a demo organisation (if the folder is empty) and serve it on 127.0.0.1")
    p.add_argument("--data-dir", default="demo-data")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=cmd_demo)

    p = with_config(sub.add_parser("backup", help="write a consistent copy of the database (safe while running)"))
    p.add_argument("path", help="the new backup file")
    p.set_defaults(func=cmd_backup)
    p = with_config(sub.add_parser("audit", help="print the audit log (admin and moderator actions), newest first"))
    p.add_argument("--csv", action="store_true", help="as CSV, with a header row (as /admin/audit.csv)")
    p.add_argument("--action", help="only this action, e.g. role_change (without --csv)")
    p.set_defaults(func=cmd_audit)
    cli_federation.add_parsers(sub, with_config, lambda args: _open(_config(args)))
    moderation = sub.add_parser("moderation", help="reports and moderators' actions").add_subparsers(
        dest="moderation_command", required=True, metavar="COMMAND")
    cli_reports.add_parsers(moderation, with_config, lambda args: _open(_config(args)))
    cli_moderation.add_moderation_remove(moderation, with_config, lambda args: _open(_config(args)))
    cli_blocks.add_parsers(sub, with_config, lambda args: _open(_config(args)))
    cli_mail.add_parsers(sub, with_config, _config)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Whatever meent writes (config, database and its -wal/-shm, backups) holds secrets: owner only.
    os.umask(0o077)
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except ConfigError as error:
        print(f"meent: config error: {error}", file=sys.stderr)
        return 2
    except ServiceError as error:
        print(f"meent: {translate('en', error.message_key, **error.params)}", file=sys.stderr)
        return 1
    except CliError as error:
        print(f"meent: {error}", file=sys.stderr)
        return error.code
    except cli_moderation.UnknownModerator as error:
        print(f"meent: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The real `meent` command, run as a subprocess, as an admin or a script would."""

import sqlite3
import stat
import tomllib
from pathlib import Path

import httpx2 as httpx

from node.services import media_store
from tests import media_samples
from tests.helpers import PASSWORD, LiveNode, free_port, meent, serve_node


def test_help_is_useful() -> None:
    top = meent("--help").stdout
    for command in ("init", "serve", "user", "group", "demo", "backup"):
        assert command in top
    assert "--admin" in meent("init", "--help").stdout
    assert "--moderator" in meent("user", "add", "--help").stdout
    assert "--enable" in meent("user", "disable", "--help").stdout


def test_init_writes_config_database_keys_and_admin(tmp_path: Path) -> None:
    result = meent("init", "--data-dir", str(tmp_path), "--domain", "meent.utrecht.example", "--admin", "beheer",
                   "--password", PASSWORD, "--name", "Gemeente Utrecht")
    assert "config.toml" in result.stdout
    config = tomllib.loads((tmp_path / "config.toml").read_text())
    assert config["node"]["domain"] == "meent.utrecht.example" and config["node"]["https"] is True
    assert len(config["node"]["secret_key"]) >= 32
    with sqlite3.connect(tmp_path / "meent.db") as db:
        assert db.execute("SELECT role FROM accounts WHERE username = 'beheer'").fetchone() == ("admin",)
        owners = {row[0] for row in db.execute("SELECT owner FROM keys")}
    assert {"organisation", "user:beheer"} <= owners
    again = meent("init", "--data-dir", str(tmp_path), "--domain", "x.example", "--admin", "a", "--password",
                  PASSWORD, check=False)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_init_refuses_bad_flags_without_leaving_files(tmp_path: Path) -> None:
    result = meent("init", "--data-dir", str(tmp_path), "--domain", "Not A Host!", "--admin", "beheer",
                   "--password", PASSWORD, check=False)
    assert result.returncode == 2 and "node.domain" in result.stderr and "Traceback" not in result.stderr
    result = meent("init", "--data-dir", str(tmp_path), "--domain", "x.example", "--admin", "beheer",
                   "--password", "kort", check=False)
    assert result.returncode == 2 and "password" in result.stderr
    assert not (tmp_path / "config.toml").exists()
    result = meent("init", "--data-dir", str(tmp_path), "--domain", "x.example", "--admin", "beheer", check=False)
    assert result.returncode == 2 and "--password is required" in result.stderr


def test_users_and_groups(tmp_path: Path) -> None:
    meent("init", "--data-dir", str(tmp_path), "--domain", "x.example", "--admin", "beheer", "--password", PASSWORD)
    config = str(tmp_path / "config.toml")
    meent("user", "add", "anne", "--password", PASSWORD, "--config", config)
    meent("user", "add", "bram", "--password", PASSWORD, "--moderator", "--display-name", "Bram J.", "--config",
          config)
    meent("user", "add", "carla", "--password", PASSWORD, "--admin", "--config", config)
    duplicate = meent("user", "add", "anne", "--password", PASSWORD, "--config", config, check=False)
    assert duplicate.returncode == 1 and "taken" in duplicate.stderr
    meent("user", "disable", "anne", "--config", config)
    listing = meent("user", "list", "--config", config).stdout
    assert "anne" in listing and "disabled" in listing
    assert "bram" in listing and "moderator" in listing and "Bram J." in listing
    assert "carla" in listing and "admin" in listing
    missing = meent("user", "disable", "nobody", "--config", config, check=False)
    assert missing.returncode == 1 and "No such member" in missing.stderr
    meent("group", "add", "open-overheid", "--name", "Open Overheid", "--config", config)
    bad = meent("group", "add", "Bad Slug", "--config", config, check=False)
    assert bad.returncode == 1 and "hyphens" in bad.stderr
    assert "Open Overheid" in meent("group", "list", "--config", config).stdout


def test_config_comes_from_the_environment_too(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    meent("init", "--data-dir", str(tmp_path), "--domain", "x.example", "--admin", "beheer", "--password", PASSWORD)
    env = os.environ | {"MEENT_CONFIG": str(tmp_path / "config.toml")}
    result = subprocess.run([sys.executable, "-m", "node", "user", "list"], capture_output=True, text=True, env=env,
                            cwd=Path(__file__).resolve().parent.parent, check=True)
    assert "beheer" in result.stdout


def test_backup_of_a_running_node_is_consistent(live_node: LiveNode, tmp_path: Path) -> None:
    client = httpx.Client(base_url=live_node.url)
    page = client.get("/login").text
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    client.post("/login", data={"csrf": csrf, "username": "beheerder", "password": PASSWORD})
    client.post("/groups", data={"csrf": csrf, "slug": "open-overheid", "name": "Open Overheid"})
    response = client.post("/groups/open-overheid/topics", data={"csrf": csrf, "title": "Back-up", "body": "Tekst",
                                                                  "alt_1": "Een groen vlak"},
                           files={"file_1": ("foto.png", media_samples.png(), "image/png")})
    assert response.status_code == 303
    target = tmp_path / "backup.db"
    result = meent("backup", str(target), "--config", str(live_node.config_path))
    assert "Backed up" in result.stdout and "Backed up 1 files" in result.stdout
    with sqlite3.connect(target) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT title FROM posts").fetchall() == [("Back-up",)]
        [(file_hash,)] = db.execute("SELECT file_hash FROM media").fetchall()
    copy = media_store.path_of(tmp_path / "backup.db.media", file_hash)
    assert media_store.digest(copy.read_bytes()) == file_hash and copy.stat().st_mode & 0o777 == 0o600
    again = meent("backup", str(target), "--config", str(live_node.config_path), check=False)
    assert again.returncode == 1 and "exists already" in again.stderr
    client.close()


def test_demo_creates_an_organisation_and_serves_it(tmp_path: Path) -> None:
    import re
    import subprocess
    import sys
    import time

    from tests.helpers import ROOT, free_port

    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "node", "demo", "--data-dir", str(tmp_path / "demo"),
                                "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    try:
        assert process.stdout is not None
        output = ""
        deadline = time.monotonic() + 60
        while "serving" not in output and time.monotonic() < deadline:
            output += process.stdout.readline()
        admin = re.search(r"admin\s+beheerder / (\S+)", output)
        assert admin, output
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}")
        for _ in range(50):
            try:
                home = client.get("/")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert "Kunnen ambtenaren innovatoren zijn?" in home.text
        assert "Welkom op Meent" in client.get("/blog").text
        csrf = client.get("/login").text.split('name="csrf" value="')[1].split('"')[0]
        response = client.post("/login", data={"csrf": csrf, "username": "beheerder", "password": admin.group(1)})
        assert response.status_code == 303
        assert client.get("/admin").status_code == 200
        client.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_port_is_what_serve_listens_on_and_the_files_are_the_owners_only(tmp_path: Path) -> None:
    port, data = free_port(), tmp_path / "srv" / "meent"
    meent("init", "--data-dir", str(data), "--domain", "meent.gemeente.example", "--port", str(port),
          "--admin", "beheerder", "--password", PASSWORD)
    assert tomllib.loads((data / "config.toml").read_text())["server"]["port"] == port
    node = serve_node(data / "config.toml", port)  # no --port: the config's
    try:
        assert mode(data) == 0o700
        for name in ("config.toml", "meent.db", "meent.db-wal", "meent.db-shm"):  # secret key, keys, hashes
            assert mode(data / name) == 0o600, name
        meent("backup", str(tmp_path / "copy.db"), "--config", str(data / "config.toml"))
        assert mode(tmp_path / "copy.db") == 0o600
    finally:
        node.stop()
    bad = meent("init", "--data-dir", str(tmp_path / "other"), "--domain", "x.example", "--port", "70000",
                "--admin", "beheerder", "--password", PASSWORD, check=False)
    assert bad.returncode == 2 and "server.port" in bad.stderr and not (tmp_path / "other").exists()


def test_init_in_an_existing_open_folder_keeps_its_mode_and_says_so(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    result = meent("init", "--data-dir", str(tmp_path), "--domain", "x.example", "--admin", "beheerder",
                   "--password", PASSWORD)
    assert mode(tmp_path) == 0o755 and f"chmod 700 {tmp_path}" in result.stderr
    assert mode(tmp_path / "config.toml") == mode(tmp_path / "meent.db") == 0o600

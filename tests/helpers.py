"""Shared test helpers: a node in-process, a node as a real server, logging in."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
from starlette.testclient import TestClient

from node.app import create_app
from node.config import Config, from_values
from node.services import accounts, groups
from node.services.context import Node
from storage.db import Database, Row

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def make_config(data_dir: Path, **sections: dict[str, object]) -> Config:
    tables: dict[str, dict[str, object]] = {
        "node": {"domain": "127.0.0.1:8000", "name": "Gemeente Test", "secret_key": "s" * 40, "https": False},
        "database": {"path": str(data_dir / "meent.db")},
    }
    for name, values in sections.items():
        tables.setdefault(name, {}).update(values)
    return from_values(tables, data_dir)


@dataclass
class Site:
    """A node in-process: its client, its service context, and a few helpers."""

    client: TestClient
    node: Node

    def member(self, name: str, role: str = "member") -> Row:
        return accounts.create(self.node, name, PASSWORD, role=role, display_name=name.title())

    def group(self, slug: str = "open-overheid", name: str = "Open Overheid") -> None:
        groups.create(self.node, None, slug, name, "Over openbaarheid")

    def csrf(self, path: str = "/login") -> str:
        match = CSRF.search(self.client.get(path).text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def post(self, path: str, data: dict[str, str], csrf: str | None = None) -> httpx.Response:
        form = {"csrf": csrf if csrf is not None else self.csrf()} | data
        return self.client.post(path, data=form, follow_redirects=False)

    def login(self, name: str, password: str = PASSWORD) -> None:
        response = self.post("/login", {"username": name, "password": password})
        assert response.status_code == 303, response.text

    def logout(self) -> None:
        self.post("/logout", {})


def make_site(tmp_path: Path, **sections: dict[str, object]) -> Site:
    config = make_config(tmp_path, **sections)
    db = Database(config.database_path)
    app = create_app(config, db)
    client = TestClient(app, base_url="http://127.0.0.1:8000")
    return Site(client=client, node=app.state.node)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def meent(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the real `meent` command."""
    result = subprocess.run([sys.executable, "-m", "node", *args], capture_output=True, text=True, cwd=ROOT,
                            timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"meent {' '.join(args)} failed: {result.stderr}")
    return result


@dataclass
class LiveNode:
    url: str
    config_path: Path
    process: subprocess.Popen[str]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_node(data_dir: Path, admin: str = "beheerder") -> LiveNode:
    """`meent init` then `meent serve` as a real uvicorn process on a free loopback port."""
    port = free_port()
    meent("init", "--data-dir", str(data_dir), "--domain", f"127.0.0.1:{port}", "--admin", admin,
          "--password", PASSWORD, "--name", "Gemeente Test")
    return serve_node(data_dir / "config.toml", port)


def serve_node(config_path: Path, port: int, *args: str) -> LiveNode:
    """The real `meent serve` (with `args`) on a config already written; returns once it answers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "node", "serve", "--config", str(config_path), *args],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"node exited: {process.stdout.read() if process.stdout else ''}")
        try:
            if httpx.get(url + "/", timeout=1).status_code == 200:
                return LiveNode(url, config_path, process)
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("node did not start within 30 s")


def mastodon_logged_in(mastodon_class: Any, url: str, client_id: str, secret: str, username: str,
                       scopes: Sequence[str] = ("read", "write", "follow")) -> Any:
    """A Mastodon.py client logged in as the member with the tests' password (the password grant)."""
    client = mastodon_class(client_id=client_id, client_secret=secret, api_base_url=url,
                            version_check_mode="created", request_timeout=30)
    assert client.log_in(username, PASSWORD, scopes=list(scopes), allow_http=True)
    return client

"""A node in production, behind a TLS proxy: whose X-Forwarded-For is believed, HSTS, and what the
log of `meent serve` shows. The proxy tests run the real `meent serve`; the log-in throttle, which
counts failures per client address, shows which address the node saw."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from node import logs
from tests.helpers import CSRF, PASSWORD, LiveNode, free_port, make_config, make_site, meent, serve_node


def init(data_dir: Path, **server: str) -> tuple[Path, int]:
    """`meent init` on a free port, with lines added to its [server] table."""
    port = free_port()
    meent("init", "--data-dir", str(data_dir), "--domain", f"127.0.0.1:{port}", "--admin", "beheerder",
          "--password", PASSWORD)
    path = data_dir / "config.toml"
    lines = "".join(f"{key} = {value}\n" for key, value in server.items())
    path.write_text(path.read_text().replace("[server]\n", "[server]\n" + lines), encoding="utf-8")
    return path, port


def output(node: LiveNode) -> str:
    node.stop()
    return node.process.stdout.read() if node.process.stdout else ""


class Visitor:
    """Someone failing to log in, through a proxy that says X-Forwarded-For (or without one)."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        match = CSRF.search(client.get("/login").text)
        assert match
        self.csrf = match.group(1)

    def fail(self, forwarded_for: str | None) -> int:
        headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        form = {"csrf": self.csrf, "username": "beheerder", "password": "not the password"}
        return self.client.post("/login", data=form, headers=headers).status_code

    def fail_until_throttled(self, forwarded_for: str) -> None:
        for _ in range(60):
            if self.fail(forwarded_for) == 429:
                return
        raise AssertionError("never throttled")


def test_a_trusted_proxy_names_the_client(tmp_path: Path) -> None:
    config, port = init(tmp_path, trusted_proxies="[]")
    node = serve_node(config, port, "--trusted-proxy", "10.0.0.0/8,127.0.0.1")  # the flag wins over the config
    try:
        with httpx.Client(base_url=node.url) as client:
            visitor = Visitor(client)
            visitor.fail_until_throttled("203.0.113.9")
            assert visitor.fail("198.51.100.7") == 401  # another client behind the proxy
            assert visitor.fail(None) == 401  # the proxy's own address
            # the proxy appends the address it saw: a client's forged first entry changes nothing
            assert visitor.fail("198.51.100.7, 203.0.113.9") == 429
    finally:
        node.stop()


def test_an_untrusted_connection_keeps_its_own_address(tmp_path: Path) -> None:
    config, port = init(tmp_path, trusted_proxies="[]")
    node = serve_node(config, port)
    try:
        with httpx.Client(base_url=node.url) as client:
            visitor = Visitor(client)
            visitor.fail_until_throttled("203.0.113.9")
            assert visitor.fail("198.51.100.7") == 429  # both are 127.0.0.1: a new header does not help
    finally:
        node.stop()


def test_a_bad_trusted_proxy_stops_serve_with_one_line(tmp_path: Path) -> None:
    config, _ = init(tmp_path)
    result = meent("serve", "--config", str(config), "--trusted-proxy", "127.0.0.1,proxy.example", check=False)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "--trusted-proxy" in result.stderr and "proxy.example" in result.stderr


@pytest.mark.parametrize("https", [True, False])
def test_hsts_when_the_node_is_served_over_https(tmp_path: Path, https: bool) -> None:
    site = make_site(tmp_path, node={"https": https})
    with site.client:
        for path in ("/", "/api/v1/instance", "/nope"):
            answer = site.client.get(path)
            assert answer.headers.get("strict-transport-security") == ("max-age=31536000" if https else None)
    site.node.db.close()


# The log

def post_junk_to_the_inbox(node: LiveNode) -> None:
    assert httpx.post(node.url + "/inbox", content=b"not json").status_code == 400


def test_the_log_shows_what_its_levels_let_through(tmp_path: Path) -> None:
    config, port = init(tmp_path / "default")
    node = serve_node(config, port)
    post_junk_to_the_inbox(node)
    assert "WARNING meent.federation: inbox /inbox refused a request from 127.0.0.1" in output(node)

    config, port = init(tmp_path / "quiet")
    config.write_text(config.read_text() + '[log]\nlevel = "info"\nfederation = "error"\n', encoding="utf-8")
    node = serve_node(config, port)
    post_junk_to_the_inbox(node)
    assert "refused" not in output(node)


@pytest.fixture
def meent_logger() -> Iterator[None]:
    """logs.configure changes the process's loggers: put them back for the other tests."""
    names = list(logs.LOGGERS.values())
    saved = [(logging.getLogger(n).level, logging.getLogger(n).handlers[:], logging.getLogger(n).propagate)
             for n in names]
    yield
    for name, (level, handlers, propagate) in zip(names, saved, strict=True):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.handlers = handlers
        logger.propagate = propagate


def test_warnings_reach_the_admin_by_default(tmp_path: Path, meent_logger: None) -> None:
    stream = io.StringIO()
    logs.configure(make_config(tmp_path), stream)
    logging.getLogger("meent.delivery").warning("delivery 7 failed for good")
    logging.getLogger("meent.federation").info("inbox refused")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].endswith("WARNING meent.delivery: delivery 7 failed for good")

"""What the admin sees of federation and may do about it: /admin/federation and `meent federation`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import deliveries, inbox
from storage.db import Database
from tests.helpers import Site, make_site, meent

T0 = "2026-03-02T09:30:00.000Z"


def seed(site: Site) -> None:
    db = site.node.db
    for n, state in enumerate(("failed", "refused", "done")):
        inbox.store(db, inbox.NewRow(f"https://b.example/act/{n}", "https://b.example/u", "Create", "{}",
                                     "b.example", None), T0)
        db.execute("UPDATE inbox SET state = ?, error = ?, processed_at = ? WHERE activity_id = ?",
                   (state, f"reason {state}", T0, f"https://b.example/act/{n}"))
    deliveries.enqueue(db, activity_uri="https://us/act/1", body="{}", signer="organisation",
                       inboxes=["https://slow.example/inbox", "https://slow.example/u/inbox"], now=T0)
    db.execute("UPDATE deliveries SET state = 'failed', error = 'gave up' WHERE inbox = 'https://slow.example/u/inbox'")
    # the running worker must not try the pending one meanwhile (its own error would replace ours)
    db.execute("UPDATE deliveries SET next_try_at = '2999-01-01T00:00:00.000Z' WHERE state = 'pending'")
    deliveries.record_failure(db, "slow.example", T0, error="ClientConnectorError: refused")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    made = make_site(tmp_path)
    with made.client:
        made.member("beheer", role="admin")
        made.member("anne")
        seed(made)
        yield made
    made.node.db.close()


def test_the_admin_sees_queues_failing_servers_and_reasons(site: Site) -> None:
    site.login("beheer")
    page = site.client.get("/admin/federation")
    assert page.status_code == 200
    for text in ("slow.example", "ClientConnectorError: refused", "reason failed", "reason refused",
                 "https://b.example/act/0", "gave up"):
        assert text in page.text
    assert "reason done" not in page.text
    assert 'href="/admin/federation"' in site.client.get("/admin").text


def test_retry_and_drop_from_the_page(site: Site) -> None:
    site.login("beheer")
    failed = site.node.db.one("SELECT id FROM inbox WHERE state = 'failed'")["id"]
    refused = site.node.db.one("SELECT id FROM inbox WHERE state = 'refused'")["id"]
    csrf = site.csrf("/admin/federation")
    assert site.post("/admin/federation", {"action": "retry_inbox", "target": str(failed)}, csrf).status_code == 303
    assert inbox.get(site.node.db, failed)["state"] in ("pending", "done", "refused")  # the worker may take it at once
    assert inbox.get(site.node.db, failed)["attempts"] <= 1
    assert site.post("/admin/federation", {"action": "drop_inbox", "target": str(refused)}, csrf).status_code == 303
    assert inbox.get(site.node.db, refused) is None
    assert site.post("/admin/federation", {"action": "retry_server", "target": "slow.example"}, csrf).status_code == 303
    assert site.node.db.scalar("SELECT count(*) FROM deliveries WHERE state = 'failed'") == 0
    assert site.post("/admin/federation", {"action": "explode", "target": ""}, csrf).status_code == 400


def test_only_admins_and_only_with_csrf(site: Site) -> None:
    site.login("anne")
    assert site.client.get("/admin/federation").status_code == 403
    site.logout()
    site.login("beheer")
    before = site.node.db.scalar("SELECT count(*) FROM inbox")
    refused = site.node.db.one("SELECT id FROM inbox WHERE state = 'refused'")["id"]
    assert site.post("/admin/federation", {"action": "drop_inbox", "target": str(refused)}, "forged").status_code == 403
    assert site.node.db.scalar("SELECT count(*) FROM inbox") == before


def test_the_cli_shows_and_retries(tmp_path: Path) -> None:
    meent("init", "--data-dir", str(tmp_path), "--domain", "127.0.0.1:8123", "--admin", "beheer",
          "--password", "een-lang-wachtwoord-1")
    config = str(tmp_path / "config.toml")
    db = Database(tmp_path / "meent.db")
    inbox.store(db, inbox.NewRow("https://b.example/act/9", "https://b.example/u", "Like", "{}", "b.example", None),
                T0)
    db.execute("UPDATE inbox SET state = 'failed', error = 'gave up after 26 tries: HTTP 502'")
    deliveries.record_failure(db, "slow.example", T0, error="HTTP 503")
    db.close()
    status = meent("federation", "status", "--config", config).stdout
    assert "inbox       pending      0" in status and "failed 1" in status
    assert "server slow.example: failing since 2026-03-02T09:30:00.000Z" in status and "HTTP 503" in status
    assert "gave up after 26 tries: HTTP 502" in status
    assert '"failing_servers"' in meent("federation", "status", "--json", "--config", config).stdout
    assert "1 inbox rows and 0 deliveries" in meent("federation", "retry", "--config", config).stdout
    assert meent("federation", "drop", "--config", config, check=False).returncode == 1

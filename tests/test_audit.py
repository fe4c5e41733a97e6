"""The audit log: admins only, paged and filtered, exported as CSV; append-only; every admin action writes a row."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from pathlib import Path

import pytest

from node.services import audit, logs
from storage import accounts as account_store
from storage import deliveries, inbox
from tests.helpers import PASSWORD, Site, meent

T0 = "2026-03-02T09:30:00.000Z"


@pytest.fixture
def staff(site: Site) -> Site:
    site.member("beheer", role="admin")
    site.member("mona", role="moderator")
    site.member("anne")
    return site


def rows(site: Site, action: str) -> list[tuple[str, str, str, str]]:
    return [tuple(row) for row in site.node.db.all(
        "SELECT actor_name, target, detail, address FROM audit_log WHERE action = ? ORDER BY id", (action,))]


def test_only_admins_read_the_audit_log(staff: Site) -> None:
    assert staff.client.get("/admin/audit", follow_redirects=False).headers["location"].startswith("/login")
    assert staff.client.get("/admin/audit.csv", follow_redirects=False).status_code == 303
    for name in ("anne", "mona"):
        staff.login(name)
        assert staff.client.get("/admin/audit").status_code == 403
        assert staff.client.get("/admin/audit.csv").status_code == 403
        staff.logout()
    staff.login("beheer")
    page = staff.client.get("/admin/audit")
    assert page.status_code == 200
    assert "admin_login" in page.text and "testclient" in page.text  # this very log-in
    assert 'href="/admin/audit"' in staff.client.get("/admin").text


def test_the_audit_page_pages_and_filters_by_action(staff: Site) -> None:
    with staff.node.db.transaction():
        for n in range(60):
            audit.record(staff.node, None, "settings_change" if n % 2 else "role_change", f"doel-{n}.")
    staff.login("beheer")
    first = staff.client.get("/admin/audit").text
    assert "Pagina 1 van 2" in first and "doel-59." in first and "doel-9." not in first
    older = re.search(r'rel="next" href="([^"]+)"', first)
    assert older and older.group(1) == "/admin/audit?page=2"
    second = staff.client.get(older.group(1)).text
    assert "doel-0." in second and "doel-59." not in second
    only = staff.client.get("/admin/audit?action=role_change").text
    assert "doel-58." in only and "doel-0." in only and "doel-59." not in only
    assert '<option value="role_change" selected>Rol gewijzigd</option>' in only  # named, not coded
    assert "Role changed" in staff.client.get("/admin/audit?action=role_change&lang=en").text
    assert "Pagina" not in only  # 30 rows: one page
    assert staff.client.get("/admin/audit?page=999").status_code == 200  # past the end: the last page


def test_the_csv_export_has_a_header_every_row_and_neutralised_formulas(staff: Site) -> None:
    tricky = ["=HYPERLINK(\"https://evil.example\")", "+31 6 1234", "-2+3", "@SUM(A1)", "Coördinatie, \"quoted\"\nline"]
    with staff.node.db.transaction():
        for n, text in enumerate(tricky):
            audit.record(staff.node, None, "settings_change", text, f"detail {n}")
        for n in range(120):
            audit.record(staff.node, None, "role_change", f"bulk-{n}")
    staff.login("beheer")
    answer = staff.client.get("/admin/audit.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert re.match(r'^attachment; filename="meent-audit-\d{4}-\d\d-\d\d\.csv"$', answer.headers["content-disposition"])
    table = list(csv.reader(io.StringIO(answer.content.decode("utf-8"))))
    assert table[0] == list(logs.AUDIT_COLUMNS)
    assert len(table) == 1 + 5 + 120 + 1  # header, ours, bulk, and the admin's log-in
    targets = {row[4] for row in table[1:]}
    assert {"'=HYPERLINK(\"https://evil.example\")", "'+31 6 1234", "'-2+3", "'@SUM(A1)"} <= targets
    assert "Coördinatie, \"quoted\"\nline" in targets  # quoted by the CSV writer, read back whole
    assert not any(cell[:1] in "=+-@" for row in table[1:] for cell in row if cell)


def test_neutralise_only_touches_formula_starts() -> None:
    assert [logs.neutralise(cell) for cell in ("=1", "+1", "-1", "@a", "\tx", "a=1", "", "1-2")] == [
        "'=1", "'+1", "'-1", "'@a", "'\tx", "a=1", "", "1-2"]


def test_the_audit_log_refuses_changes(staff: Site) -> None:
    audit.record(staff.node, None, "settings_change", "registration")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        staff.node.db.execute("UPDATE audit_log SET detail = 'changed'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        staff.node.db.execute("DELETE FROM audit_log")
    assert staff.node.db.scalar("SELECT count(*) FROM audit_log") == 1


def test_staff_log_ins_are_audited_with_the_address_members_are_not(staff: Site) -> None:
    for name in ("anne", "mona", "beheer"):
        staff.login(name)
        staff.logout()
    staff.post("/login", {"username": "beheer", "password": "wrong password"})
    assert rows(staff, "admin_login") == [("mona", "mona", "moderator", "testclient"),
                                          ("beheer", "beheer", "admin", "testclient")]
    # the client API's password grant goes through the same log-in
    app = staff.client.post("/api/v1/apps", json={"client_name": "App", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                                                  "scopes": "read"}).json()
    token = staff.client.post("/oauth/token", data={"grant_type": "password", "client_id": app["client_id"],
                                                     "client_secret": app["client_secret"], "username": "beheer",
                                                     "password": PASSWORD, "scope": "read"})
    assert token.status_code == 200
    assert len(rows(staff, "admin_login")) == 3


def test_admin_actions_write_their_rows(staff: Site) -> None:
    staff.login("beheer")
    csrf = staff.csrf("/admin")
    staff.post("/admin/members/anne", {"action": "role", "role": "moderator"}, csrf)
    staff.post("/admin/members/anne", {"action": "disable"}, csrf)
    staff.post("/admin/members/anne", {"action": "enable"}, csrf)
    staff.post("/admin/registration", {"mode": "domains", "domains": "utrecht.nl"}, csrf)
    staff.post("/admin/invites", {}, csrf)
    assert rows(staff, "role_change") == [("beheer", "anne", "member -> moderator", "testclient")]
    assert rows(staff, "account_disable") == [("beheer", "anne", "", "testclient")]
    assert rows(staff, "account_enable") == [("beheer", "anne", "", "testclient")]
    assert rows(staff, "settings_change") == [("beheer", "registration", "mode=domains domains=utrecht.nl",
                                               "testclient")]
    invites = rows(staff, "invite_create")
    assert len(invites) == 1 and invites[0][0] == "beheer" and invites[0][2].startswith("expires 20")
    anne = account_store.by_username(staff.node.db, "anne")
    assert anne is not None and anne["role"] == "moderator" and not anne["disabled"]


def test_federation_retry_and_drop_are_audited(staff: Site) -> None:
    db = staff.node.db
    inbox.store(db, inbox.NewRow("https://b.example/act/1", "https://b.example/u", "Create", "{}", "b.example", None),
                T0)
    db.execute("UPDATE inbox SET state = 'refused', error = 'not public', processed_at = ?", (T0,))
    refused = db.one("SELECT id FROM inbox")["id"]
    deliveries.enqueue(db, activity_uri="https://us/act/1", body="{}", signer="organisation",
                       inboxes=["https://slow.example/inbox"], now=T0)
    db.execute("UPDATE deliveries SET state = 'failed', error = 'gave up'")
    staff.login("beheer")
    csrf = staff.csrf("/admin/federation")
    staff.post("/admin/federation", {"action": "retry_server", "target": "slow.example"}, csrf)
    staff.post("/admin/federation", {"action": "drop_inbox", "target": str(refused)}, csrf)
    [(who, target, detail, address)] = rows(staff, "federation_retry")
    assert (who, target, address) == ("beheer", "deliveries slow.example", "testclient")
    assert re.fullmatch(r"[12] rows", detail)  # the failed one again, and sent now (the page's count)
    assert rows(staff, "federation_drop") == [("beheer", "inbox", f"rows {refused}: 1 rows", "testclient")]


def test_meent_audit_prints_the_log_and_its_csv(tmp_path: Path) -> None:
    meent("init", "--data-dir", str(tmp_path), "--domain", "x.example", "--admin", "beheer", "--password", PASSWORD)
    config = str(tmp_path / "config.toml")
    meent("user", "add", "anne", "--password", PASSWORD, "--config", config)
    meent("user", "disable", "anne", "--config", config)
    lines = meent("audit", "--config", config).stdout.splitlines()
    assert len(lines) == 1 and "(command line)" in lines[0] and "account_disable" in lines[0] and "anne" in lines[0]
    assert meent("audit", "--action", "role_change", "--config", config).stdout == ""
    table = list(csv.reader(io.StringIO(meent("audit", "--csv", "--config", config).stdout)))
    assert table[0] == list(logs.AUDIT_COLUMNS) and table[1][3] == "account_disable"

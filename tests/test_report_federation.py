"""Reports across servers: a Flag in Mastodon's shape (an instance actor, object [account, posts...],
reason in content) and in Lemmy's (a person, to the group, one object, reason in summary), signed by a
fake remote server, lands in the queue marked with its server; a Flag about content not ours is
refused; one received twice makes one report. Between two real nodes, a report on B about a post of
A, forwarded by B's moderator, reaches A's queue naming only B's server, not the reporter."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from federation import reading
from federation.outcomes import Final
from node.services import groups, posts
from node.services import reports as report_service
from storage import accounts, reports
from storage import groups as group_store
from tests.federation_helpers import Node, eventually, running_nodes
from tests.helpers import PASSWORD, Site, make_site
from tests.remote_actors import RemoteServer, signed_post

BASE = "http://127.0.0.1:8000"
AS = "https://www.w3.org/ns/activitystreams"


@pytest.fixture
def remote() -> Iterator[RemoteServer]:
    with RemoteServer() as server:
        yield server


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    made = make_site(tmp_path, federation={"allow_private_addresses": True})
    with made.client:
        made.member("anne")
        made.group()
        anne = accounts.by_username(made.node.db, "anne")
        posts.start_topic(made.node, anne, groups.get(made.node, "open-overheid"), "Een topic", "Tekst")
        yield made
    made.node.db.close()


def send(site: Site, activity: dict[str, Any], actor: str, key: str, inbox: str = "/inbox") -> int:
    body = orjson.dumps(activity)
    response = site.client.post(inbox, content=body, headers=signed_post(BASE + inbox, body, f"{actor}#main-key", key))
    return response.status_code


def processed(site: Site, activity_id: str) -> Any:
    return eventually(lambda: site.node.db.one("SELECT state, error FROM inbox WHERE activity_id = ?"
                                               " AND state != 'pending'", (activity_id,)), what="processing")


def mastodon_flag(instance: str, objects: list[str], content: str, token: str = "1") -> dict[str, Any]:
    return {"@context": AS, "id": f"{instance}/flags/{token}", "type": "Flag", "actor": instance,
            "object": objects, "content": content}


def test_a_mastodon_flag_lands_in_the_queue_with_its_server(site: Site, remote: RemoteServer) -> None:
    instance = remote.add_person("instance")  # Mastodon's instance actor reports for its server
    flag = mastodon_flag(instance, [f"{BASE}/users/anne", f"{BASE}/posts/1"], "<p>Dit is <b>spam</b></p>")
    assert send(site, flag, instance, remote.keys[instance]) == 202
    assert processed(site, flag["id"])["state"] == "done"
    [row] = reports.listing(site.node.db, state="open", group_ids=None)
    assert (row["origin_domain"], row["flag_uri"], row["target_kind"], row["post_id"], row["comment"],
            row["reporter_id"], row["reporter_email"], row["group_slug"]) == (
        f"127.0.0.1:{remote.port}", flag["id"], "post", 1, "Dit is spam", None, None, "open-overheid")
    # delivered again (after the inbox's de-duplication window): still one report
    assert report_service.receive_flag(site.node, reading.read_flag(flag)) is None
    assert len(reports.listing(site.node.db, state=None, group_ids=None)) == 1


def test_a_lemmy_flag_to_our_group_lands_in_the_queue(site: Site, remote: RemoteServer) -> None:
    eve = remote.add_person("eve")
    group = f"{BASE}/groups/open-overheid"
    flag = {"@context": AS, "id": f"{remote.origin}/activities/flag/7", "type": "Flag", "actor": eve,
            "to": [group], "object": f"{BASE}/posts/1", "summary": "Off-topic en beledigend"}
    assert send(site, flag, eve, remote.keys[eve], "/groups/open-overheid/inbox") == 202
    assert processed(site, flag["id"])["state"] == "done"
    [row] = reports.listing(site.node.db, state="open", group_ids=None)
    assert (row["comment"], row["target_kind"], row["origin_domain"]) == (
        "Off-topic en beledigend", "post", f"127.0.0.1:{remote.port}")
    assert eve not in str(tuple(row))  # the remote person is not named; their server is


def test_a_flag_about_an_account_of_ours_and_one_about_foreign_content(site: Site, remote: RemoteServer) -> None:
    instance = remote.add_person("instance")
    about_anne = mastodon_flag(instance, [f"{BASE}/users/anne"], "nep-account", "a")
    foreign = mastodon_flag(instance, [f"{remote.origin}/users/eve", f"{remote.origin}/notes/1",
                                       f"{BASE}/posts/999"], "niet van jullie", "b")
    for flag in (about_anne, foreign):
        assert send(site, flag, instance, remote.keys[instance]) == 202
    assert processed(site, about_anne["id"])["state"] == "done"
    refused = processed(site, foreign["id"])
    assert refused["state"] == "refused" and "nothing on this server" in refused["error"]
    [row] = reports.listing(site.node.db, state=None, group_ids=None)
    assert (row["target_kind"], row["account_username"], row["group_id"]) == ("account", "anne", None)


def test_what_a_flag_makes_us_read_is_bounded(site: Site, remote: RemoteServer) -> None:
    instance = remote.add_person("instance")
    many = [f"{BASE}/posts/1"] + [f"{remote.origin}/notes/{n}" for n in range(500)]
    flag = mastodon_flag(instance, many, "x" * 100_000)
    row = report_service.receive_flag(site.node, reading.read_flag(flag))
    assert row is not None and len(row["comment"]) == report_service.REMOTE_TEXT_MAX
    assert len(reading.read_flag(flag).objects) == reading.MAX_FLAG_OBJECTS
    late = mastodon_flag(instance, many[1:reading.MAX_FLAG_OBJECTS + 1] + [f"{BASE}/posts/1"], "laat", "late")
    with pytest.raises(Final, match="nothing on this server"):  # past the bound: not read at all
        report_service.receive_flag(site.node, reading.read_flag(late))
    huge_id = mastodon_flag(instance, [f"{BASE}/posts/1"], "lang", "x" * 3000)
    with pytest.raises(Final, match="sane length"):
        report_service.receive_flag(site.node, reading.read_flag(huge_id))
    assert len(reports.listing(site.node.db, state=None, group_ids=None)) == 1


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    with running_nodes(tmp_path, "ab", "retry_first_seconds = 1\n") as made:
        yield made[0], made[1]


def test_a_report_on_b_forwarded_by_its_moderator_reaches_a_without_the_reporter(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    a.cli("group", "add", "open-overheid", "--name", "Open Overheid")
    a.cli("user", "add", "anne", "--password", PASSWORD, "--display-name", "Anne van A")
    a.browser("anne").submit("/groups/open-overheid/new", "/groups/open-overheid/topics",
                             {"title": "Een draad op A", "body": "Koop nu goedkope horloges"})
    b.cli("user", "add", "bram", "--password", PASSWORD)
    bram = b.browser("bram")
    thread = bram.submit("/network", "/network/look-up", {"address": f"{a.url}/posts/1"}).headers["location"]
    copy = re.search(r'href="/posts/(\d+)/report"', bram.get(thread))
    assert copy, "the copy on B offers the report link"
    bram.submit(f"/posts/{copy.group(1)}/report", f"/posts/{copy.group(1)}/report",
                {"category": "spam", "comment": "Reclame voor horloges"})
    bram.submit(f"/users/anne@{a.domain}/report", f"/users/anne@{a.domain}/report",
                {"category": "impersonation", "comment": "Dit is niet de echte Anne"})

    admin_b = b.browser("beheerder")
    queue_b = admin_b.get("/moderation")
    assert "Reclame voor horloges" in queue_b and "Dit is niet de echte Anne" in queue_b
    for report_id in (1, 2):
        page = f"/moderation/reports/{report_id}"
        assert "@bram" in admin_b.get(page) and "Doorsturen" in admin_b.get(page)
        admin_b.submit(page, f"{page}/forward", {})
        assert "Doorgestuurd naar" in admin_b.get(page)

    def on_a() -> list[str]:
        lines = a.cli_output("moderation", "reports", "--open").splitlines()
        return lines if len(lines) == 2 else []

    lines = eventually(on_a, timeout=30, what="both forwarded reports in A's queue")
    assert lines == [f"2\topen\t{a.url}/users/anne\tother: Dit is niet de echte Anne",
                     f"1\topen\t{a.url}/posts/1\tother: Reclame voor horloges"]
    sent = sqlite3.connect(b.config.parent / "meent.db")  # what B sent, as stored in its outbox
    flags = [orjson.loads(body) for (body,) in sent.execute("SELECT body FROM activities WHERE type = 'Flag'")]
    sent.close()
    assert [(f["actor"], f["object"], f.get("to"), f.get("summary")) for f in flags] == [
        (f"{b.url}/organisation", f"{a.url}/posts/1", [f"{a.url}/groups/open-overheid"], "Reclame voor horloges"),
        (f"{b.url}/organisation", [f"{a.url}/users/anne"], None, None)]  # Lemmy's shape to a group, else Mastodon's
    assert "bram" not in str(flags)
    admin_a = a.browser("beheerder")
    for report_id in (1, 2):
        page = admin_a.get(f"/moderation/reports/{report_id}")
        assert f"server {b.domain}" in page and "bram" not in page
    assert "Koop nu goedkope horloges" in admin_a.get("/moderation/reports/1")


def test_a_report_in_our_group_goes_to_its_moderators_elsewhere_as_the_groups_announce(
        site: Site, remote: RemoteServer) -> None:
    eve = remote.add_person("eve")
    group = f"{BASE}/groups/open-overheid"
    follow = {"@context": AS, "id": f"{eve}/follows/1", "type": "Follow", "actor": eve, "object": group}
    assert send(site, follow, eve, remote.keys[eve]) == 202
    assert processed(site, follow["id"])["state"] == "done"
    db = site.node.db
    eve_row = accounts.by_actor_uri(db, eve)
    group_store.add_moderator(db, group_store.by_slug(db, "open-overheid")["id"], eve_row["id"], None,
                              site.node.now())  # a moderator of our group on another server
    site.member("bram")
    site.login("bram")
    path = "/posts/1/report"
    assert site.post(path, {"category": "spam", "comment": "reclame"}, site.csrf(path)).status_code == 303
    site.logout()
    site.member("beheer", role="admin")
    site.login("beheer")
    page = "/moderation/reports/1"
    assert "Doorsturen" in site.client.get(page).text
    assert site.post(f"{page}/forward", {}, site.csrf(page)).status_code == 303
    assert site.post(f"{page}/forward", {}, site.csrf(page)).status_code == 409  # once
    [row] = db.all("SELECT body FROM activities WHERE type = 'Announce' AND body LIKE '%Flag%'")
    announce = orjson.loads(row["body"])
    assert (announce["actor"], announce["to"], announce["object"]["type"], announce["object"]["actor"],
            announce["object"]["object"], announce["object"]["content"]) == (
        group, [eve], "Flag", f"{BASE}/organisation", [f"{BASE}/users/anne", f"{BASE}/posts/1"], "reclame")
    assert "bram" not in row["body"]
    assert [d["inbox"] for d in db.all("SELECT inbox FROM deliveries WHERE activity_uri = ?", (announce["id"],))] == [
        f"{remote.origin}/inbox"]
    assert reports.by_id(db, 1)["forwarded_to"] == f"127.0.0.1:{remote.port}"
    audited = db.all("SELECT action FROM audit_log WHERE action != 'admin_login'")  # the admin logged in first
    assert [r["action"] for r in audited] == ["report_forward"]


def test_a_remote_groups_announce_of_a_flag_reaches_our_member_who_moderates_it(
        site: Site, remote: RemoteServer) -> None:
    """The other direction: a group elsewhere passes a report on to the servers of its moderators; here
    it lands in the queue of our member who moderates that group (and nobody else's)."""
    eve = remote.add_person("eve")
    group_uri = remote.add_person("g")
    remote.documents["/users/g"]["type"] = "Group"
    stranger = remote.add_person("h")
    remote.documents["/users/h"]["type"] = "Group"
    note = {"id": f"{remote.origin}/notes/1", "type": "Note", "attributedTo": eve, "content": "<p>Koop horloges</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [group_uri], "audience": group_uri,
            "published": "2026-03-02T09:30:00Z"}
    ingest = site.node.runtime().federated.ingest
    group = site.client.portal.call(ingest.remote_group, group_uri)  # type: ignore[union-attr]
    copy = site.client.portal.call(ingest.post, note, group)  # type: ignore[union-attr]
    db = site.node.db
    site.member("mod")
    group_store.add_moderator(db, group["id"], accounts.by_username(db, "mod")["id"], None, site.node.now())

    def announce(announcer: str, token: str) -> dict[str, Any]:
        flag = mastodon_flag("https://reporter.example/actor", [eve, note["id"]], "reclame", token)
        return {"@context": AS, "id": f"{announcer}/announces/{token}", "type": "Announce", "actor": announcer,
                "object": flag, "to": [f"{remote.origin}/users/mod"]}

    passed_on, unknown = announce(group_uri, "1"), announce(stranger, "2")
    assert send(site, passed_on, group_uri, remote.keys[group_uri]) == 202
    assert processed(site, passed_on["id"])["state"] == "done"
    site.client.portal.call(ingest.remote_group, stranger)  # type: ignore[union-attr]
    assert send(site, unknown, stranger, remote.keys[stranger]) == 202
    refused = processed(site, unknown["id"])
    assert refused["state"] == "refused" and "nothing on this server" in refused["error"]
    [row] = reports.listing(db, state="open", group_ids=None)
    assert (row["post_id"], row["group_id"], row["origin_domain"], row["comment"]) == (
        copy["id"], group["id"], "reporter.example", "reclame")
    forged = announce(group_uri, "3")
    forged["object"]["id"] = f"{remote.origin}/flags/3"  # made up by the group in the name of reporter.example
    assert send(site, forged, group_uri, remote.keys[group_uri]) == 202
    refused = processed(site, forged["id"])
    assert refused["state"] == "refused" and "its actor's server" in refused["error"]
    assert len(reports.listing(db, state=None, group_ids=None)) == 1
    site.login("mod")
    assert "reclame" in site.client.get("/moderation").text
    assert site.client.get(f"/moderation/reports/{row['id']}").status_code == 200

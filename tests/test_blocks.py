"""Blocks and limits at run time (/admin/blocks, `meent block`), and the shared allow/block lists: each
takes effect on the running node at once (page) or within seconds (command line)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx2 as httpx
import orjson
import pytest

from federation import ids
from federation.policy import FederationPolicy, Rules
from node import urls
from node.services import accounts, block_lists, blocks, groups
from node.services import posts as post_service
from node.services.errors import Invalid
from storage import deliveries, follows, posts
from tests.federation_helpers import Node, eventually
from tests.helpers import Site, free_port, make_site, meent
from tests.remote_actors import RemoteServer, note, signed_post, webfinger_document
from tests.remote_actors import create as create_activity

INBOX = "http://127.0.0.1:8000/inbox"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


class TextServer:
    """A tiny web server on loopback: GET answers `text` (or `status`), POSTs are counted."""

    def __init__(self) -> None:
        self.port = free_port()
        self.text = ""
        self.status = 200
        self.posts = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                body = server.text.encode() if server.status == 200 else b"trouble"
                self.send_response(server.status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802
                server.posts += 1
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    def url(self, path: str = "/list.txt", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def __enter__(self) -> TextServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    made = make_site(tmp_path, federation={"allow_private_addresses": True})
    with made.client:
        made.member("root", role="admin")
        made.member("mod", role="moderator")
        made.member("anne")
        yield made
    made.node.db.close()


@pytest.fixture
def remote() -> Iterator[RemoteServer]:
    with RemoteServer(host="localhost") as server:
        yield server


@pytest.fixture
def lists() -> Iterator[TextServer]:
    with TextServer() as server:
        yield server


def create(actor: str, n: int, content: str = "<p>Hallo Anne</p>") -> dict[str, object]:
    origin = actor.rsplit("/users/", 1)[0]
    return {
        "@context": "https://www.w3.org/ns/activitystreams", "id": f"{actor}/activities/{n}", "type": "Create",
        "actor": actor, "to": [PUBLIC], "cc": ["http://127.0.0.1:8000/users/anne"],
        "object": {"id": f"{origin}/notes/{n}", "type": "Note", "attributedTo": actor, "content": content,
                   "to": [PUBLIC], "cc": ["http://127.0.0.1:8000/users/anne"]},
    }


def send(site: Site, remote: RemoteServer, actor: str, n: int) -> int:
    body = orjson.dumps(create(actor, n))
    headers = signed_post(INBOX, body, f"{actor}#main-key", remote.keys[actor])
    return site.client.post("/inbox", content=body, headers=headers).status_code


def act(site: Site, data: dict[str, str], path: str = "/admin/blocks") -> httpx.Response:
    return site.post(path, data, csrf=site.csrf("/admin/blocks"))


# Pure parts


@pytest.mark.parametrize(("value", "kind", "target"), [
    ("bad.example", "domain", "bad.example"),
    (" Bad.Example. ", "domain", "bad.example"),
    ("https://bad.example", "domain", "bad.example"),
    ("https://bad.example/", "domain", "bad.example"),
    ("https://bad.example/users/eve", "actor", "https://bad.example/users/eve"),
    ("https://bad.example/users/eve#main-key", "actor", "https://bad.example/users/eve"),
    ("bücher.example", "domain", "xn--bcher-kva.example"),
])
def test_targets_are_read_as_domains_or_actors(value: str, kind: str, target: str) -> None:
    assert blocks.parse_target(value) == blocks.Target(kind, target)


@pytest.mark.parametrize("value", ["", "  ", "ftp://bad.example/x", "bad example", "bad.example/path",
                                   "@eve@bad.example", "eve@bad.example", "-bad.example", "http://"])
def test_bad_targets_are_refused(value: str) -> None:
    with pytest.raises(Invalid):
        blocks.parse_target(value)


def _policy(mode: str = "open", allowed: tuple[str, ...] = (), blocked: tuple[str, ...] = (),
            **rules: frozenset[str]) -> FederationPolicy:
    made = FederationPolicy(mode, frozenset(allowed), frozenset(blocked), False)
    made.update(Rules(**rules))
    return made


@pytest.mark.parametrize(("made", "host", "expected"), [
    (_policy(), "any.example", ("allow", "mode")),
    (_policy(blocked_domains=frozenset({"bad.example"})), "sub.bad.example", ("block", "admin")),
    # the admin's own entry beats the config and the lists
    (_policy(allowed=("bad.example",), blocked_domains=frozenset({"bad.example"})), "bad.example", ("block", "admin")),
    (_policy(blocked=("bad.example",), limited_domains=frozenset({"bad.example"})), "bad.example", ("limit", "admin")),
    # the config beats the lists
    (_policy(allowed=("ok.example",), list_blocked=frozenset({"ok.example"})), "ok.example", ("allow", "config")),
    (_policy(blocked=("no.example",), list_allowed=frozenset({"no.example"})), "no.example", ("block", "config")),
    # among the lists, block beats limit beats allow
    (_policy(list_blocked=frozenset({"x.example"}), list_allowed=frozenset({"x.example"})), "x.example",
     ("block", "list")),
    (_policy(list_limited=frozenset({"x.example"}), list_allowed=frozenset({"x.example"})), "x.example",
     ("limit", "list")),
    # allowlist mode: allow lists let servers in; a list's limit does not let in what the mode keeps out
    (_policy("allowlist"), "x.example", ("block", "mode")),
    (_policy("allowlist", list_allowed=frozenset({"x.example"})), "www.x.example", ("allow", "list")),
    (_policy("allowlist", list_limited=frozenset({"x.example"})), "x.example", ("block", "mode")),
])
def test_priorities(made: FederationPolicy, host: str, expected: tuple[str, str]) -> None:
    assert made.verdict(host) == expected
    assert made.allows(host) == (expected[0] != "block")


def test_actor_rules() -> None:
    made = _policy(blocked_actors=frozenset({"https://a.example/users/eve"}),
                   limited_actors=frozenset({"https://a.example/users/zed"}))
    assert not made.allows_actor("https://a.example/users/eve")
    assert made.allows_actor("https://a.example/users/ann") and made.allows("a.example")
    assert made.limited("https://a.example/users/zed") and not made.limited("https://a.example/users/ann")


MASTODON_CSV = """#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate
spam.example,suspend,false,false,"Spam, lots",false
loud.example,silence,false,false,,false
fine.example,noop,true,false,,false
ex*mple.example,suspend,false,false,obfuscated,true
bad domain,suspend,false,false,,false
odd.example,shout,false,false,,false
"""


def test_a_mastodon_csv_export_is_read() -> None:
    entries, skipped = block_lists.parse(MASTODON_CSV, "block")
    assert entries == {"spam.example": ("block", "Spam, lots"), "loud.example": ("limit", "")}
    assert skipped == 3  # the obfuscated name, the bad name and the unknown severity; noop is no error


def test_a_plain_list_is_read() -> None:
    text = "# gemeenten\nutrecht.example\n  Amsterdam.Example  # hoofdstad\n\n*.den-haag.example\nnot a domain\n"
    entries, skipped = block_lists.parse(text, "allow")
    assert entries == {"utrecht.example": ("allow", ""), "amsterdam.example": ("allow", "hoofdstad"),
                       "den-haag.example": ("allow", "")}
    assert skipped == 1


def test_a_list_is_bounded() -> None:
    entries, skipped = block_lists.parse("\n".join(f"n{i}.example" for i in range(10_005)), "block")
    assert len(entries) == block_lists.MAX_ENTRIES and skipped == 5


def test_a_list_comes_over_https_only(tmp_path: Path) -> None:
    """Over plain http anyone on the way could add entries; only a lab node (private addresses) may use it."""
    with pytest.raises(Invalid):
        block_lists.check_url("http://lists.example/block.txt")
    assert block_lists.check_url(" https://lists.example/block.txt ") == "https://lists.example/block.txt"
    assert block_lists.check_url("http://127.0.0.1:8080/l", plain_http=True) == "http://127.0.0.1:8080/l"
    made = make_site(tmp_path)  # allow_private_addresses false, as in production
    with made.client:
        made.member("root", role="admin")
        made.login("root")
        refused = made.post("/admin/blocks/lists", {"action": "subscribe", "url": "http://lists.example/l",
                                                    "kind": "block"}, made.csrf("/admin/blocks"))
        assert refused.status_code == 422 and "https-adres" in refused.text
        assert made.node.db.scalar("SELECT count(*) FROM block_lists") == 0
    made.node.db.close()


# The admin page


def test_only_admins_see_and_use_the_page(site: Site) -> None:
    assert site.client.get("/admin/blocks", follow_redirects=False).status_code in (302, 303)
    for name in ("anne", "mod"):
        site.login(name)
        assert site.client.get("/admin/blocks").status_code == 403
        csrf = site.csrf("/")
        refused = site.post("/admin/blocks", {"action": "block", "target": "bad.example", "reason": "x"}, csrf)
        assert refused.status_code == 403
        assert site.post("/admin/blocks/lists", {"action": "subscribe", "url": "http://x.example/l",
                                                 "kind": "block"}, csrf).status_code == 403
        site.logout()
    assert blocks.listing(site.node) == []
    site.login("root")
    assert "/admin/blocks" in site.client.get("/admin").text
    page = site.client.get("/admin/blocks")
    assert page.status_code == 200 and 'lang="nl"' in page.text and "Blokkades" in page.text


def test_a_block_through_the_page_takes_effect_at_once(site: Site, remote: RemoteServer) -> None:
    eve, zed = remote.add_person("eve"), remote.add_person("zed")
    assert send(site, remote, eve, 1) == 202
    site.login("root")
    response = act(site, {"action": "block", "target": "localhost", "reason": "Spam uit Localhost",
                          "severity": "block"})
    assert response.status_code == 303
    assert send(site, remote, eve, 2) == 403  # no restart, no wait
    assert "Spam uit Localhost" in site.client.get("/admin/blocks").text
    log = site.node.db.all("SELECT action, target_url, reason, role, group_id FROM moderation_log")
    assert [tuple(row) for row in log] == [("block", "localhost", "Spam uit Localhost", "admin", None)]
    assert site.node.db.scalar("SELECT actor_name FROM audit_log WHERE action = 'block'") == "root"
    assert act(site, {"action": "unblock", "target": "localhost"}).status_code == 303
    assert send(site, remote, eve, 3) == 202
    # An account alone, by its handle (WebFinger): the others on its server still get through.
    resource = f"acct:eve@localhost:{remote.port}"  # as the request arrives (aiohttp sends it unquoted)
    remote.documents[f"/.well-known/webfinger?resource={resource}"] = webfinger_document(remote.origin, "eve")
    handle = f"@eve@localhost:{remote.port}"
    by_handle = act(site, {"action": "block", "target": handle, "reason": "Trol", "severity": "block"})
    assert by_handle.status_code == 303
    assert blocks.listing(site.node)[0]["target"] == eve
    assert send(site, remote, eve, 4) == 403
    assert send(site, remote, zed, 5) == 202
    assert site.node.db.scalar("SELECT count(*) FROM moderation_log WHERE action = 'unblock'") == 1


def test_bad_input_on_the_page_is_shown_on_the_form(site: Site) -> None:
    site.login("root")
    missing = act(site, {"action": "block", "target": "bad.example", "reason": " ", "severity": "block"})
    assert missing.status_code == 422 and "Geef een reden." in missing.text
    wrong = act(site, {"action": "block", "target": "bad example", "reason": "x", "severity": "block"})
    assert wrong.status_code == 422 and 'id="error-target"' in wrong.text
    unknown_handle = act(site, {"action": "block", "target": "@eve@nergens.invalid", "reason": "x",
                                "severity": "block"})
    assert unknown_handle.status_code == 422 and "niet gevonden" in unknown_handle.text
    ours = act(site, {"action": "block", "target": "127.0.0.1:8000", "reason": "x", "severity": "block"})
    assert ours.status_code == 422 and "zichzelf" in ours.text
    unknown = act(site, {"action": "unblock", "target": "nobody.example"})
    assert unknown.status_code == 404 and "niet geblokkeerd" in unknown.text
    assert act(site, {"action": "explode"}).status_code == 422
    assert blocks.listing(site.node) == []


def test_a_block_severs_follows_and_a_limit_keeps_them(site: Site, remote: RemoteServer) -> None:
    eve = remote.add_person("eve")
    assert send(site, remote, eve, 1) == 202  # eve becomes known here
    eventually(lambda: site.node.db.scalar("SELECT 1 FROM actors WHERE uri = ?", (eve,)), what="eve's actor")
    anne = "http://127.0.0.1:8000/users/anne"
    follows.put(site.node.db, eve, anne, "accepted", None, site.node.now())
    follows.put(site.node.db, anne, eve, "accepted", None, site.node.now())
    club = f"{remote.origin}/groups/club"  # a remote group on that server, which anne is a member of
    db = site.node.db
    db.execute("INSERT INTO actors (uri, type, domain, inbox, raw, fetched_at) VALUES (?, 'Group', ?, ?, '{}', ?)",
               (club, f"localhost:{remote.port}", club + "/inbox", site.node.now()))
    db.execute("INSERT INTO groups (slug, name, created_at, domain, actor_uri) VALUES ('club@localhost', 'Club', ?,"
               " 'localhost', ?)", (site.node.now(), club))
    member = "SELECT count(*) FROM group_follows WHERE group_id = (SELECT id FROM groups WHERE actor_uri = ?)"
    db.execute("INSERT INTO group_follows (group_id, account_id, created_at) SELECT g.id, a.id, ? FROM groups g,"
               " accounts a WHERE g.actor_uri = ? AND a.username = 'anne'", (site.node.now(), club))
    assert db.scalar(member, (club,)) == 1
    site.login("root")
    act(site, {"action": "block", "target": "localhost", "reason": "Te druk", "severity": "limit"})
    assert follows.get(site.node.db, eve, anne) and follows.get(site.node.db, anne, eve)
    assert db.scalar(member, (club,)) == 1
    act(site, {"action": "block", "target": "localhost", "reason": "Spam", "severity": "block"})
    assert follows.get(site.node.db, eve, anne) is None and follows.get(site.node.db, anne, eve) is None
    assert db.scalar(member, (club,)) == 0
    assert [row["severity"] for row in blocks.listing(site.node)] == ["block"]  # the same target changed


def test_a_limit_hides_posts_from_those_who_do_not_follow(site: Site, remote: RemoteServer) -> None:
    eve = remote.add_person("eve")
    assert send(site, remote, eve, 1) == 202
    post = eventually(lambda: posts.by_uri(site.node.db, f"{remote.origin}/notes/1"), what="the worker")
    follows.put(site.node.db, "http://127.0.0.1:8000/users/anne", eve, "accepted", None, site.node.now())
    assert "Hallo Anne" in site.client.get(urls.post(post)).text
    assert "Hallo Anne" in site.client.get("/search?q=Hallo").text
    site.login("root")
    act(site, {"action": "block", "target": "localhost", "reason": "Te druk", "severity": "limit"})
    assert send(site, remote, eve, 2) == 202  # a limited server still federates
    hidden = site.client.get(urls.post(post))  # root follows nobody
    assert hidden.status_code == 403 and "beperkt" in hidden.text and "Hallo Anne" not in hidden.text
    assert "Hallo Anne" not in site.client.get("/search?q=Hallo").text
    site.logout()
    assert site.client.get(urls.post(post)).status_code == 403  # visitors follow nobody
    site.login("anne")  # a follower sees it
    assert "Hallo Anne" in site.client.get(urls.post(post)).text
    assert "Hallo Anne" in site.client.get("/search?q=Hallo").text


def test_a_limited_reply_in_a_thread_becomes_a_placeholder(site: Site, remote: RemoteServer) -> None:
    site.group()
    topic = post_service.start_topic(site.node, accounts.get(site.node, "anne"), groups.get(site.node, "open-overheid"),
                                     "Woo-verzoeken", "Wie coördineert?")
    eve = remote.add_person("eve")
    reply = note(eve, "r1", "<p>Antwoord van Eve</p>", in_reply_to=ids.post("http://127.0.0.1:8000", topic["id"]))
    body = orjson.dumps(create_activity(eve, reply, "c1"))
    assert site.client.post("/inbox", content=body,
                            headers=signed_post(INBOX, body, f"{eve}#main-key", remote.keys[eve])).status_code == 202
    eventually(lambda: posts.by_uri(site.node.db, f"{remote.origin}/notes/r1"), what="the reply")
    assert "Antwoord van Eve" in site.client.get(urls.post(topic)).text
    blocks.block(site.node, None, eve, "Druk", limit=True)
    page = site.client.get(urls.post(topic)).text
    assert "Antwoord van Eve" not in page and "beperkt account of beperkte server is verborgen" in page
    assert "Verborgen bericht" in page and "door eve" not in page.lower()  # not even the heading names her
    assert "Wie coördineert?" in page  # the topic itself is ours


def test_replies_to_a_blocked_account_are_not_sent_to_it(site: Site, remote: RemoteServer) -> None:
    eve = remote.add_person("eve")
    assert send(site, remote, eve, 1) == 202
    post = eventually(lambda: posts.by_uri(site.node.db, f"{remote.origin}/notes/1"), what="the worker")
    anne = accounts.get(site.node, "anne")
    queued = "SELECT count(*) FROM deliveries WHERE domain = ?"
    post_service.reply(site.node, anne, post["id"], "Dank je, Eve")
    assert site.node.db.scalar(queued, (f"localhost:{remote.port}",)) == 1
    blocks.block(site.node, None, eve, "Trol")
    post_service.reply(site.node, anne, post["id"], "Nog een keer")
    assert site.node.db.scalar(queued, (f"localhost:{remote.port}",)) == 1


def test_deliveries_to_a_blocked_server_stop(site: Site, lists: TextServer) -> None:
    db, inbox = site.node.db, lists.url("/inbox", host="localhost")
    activity = "http://127.0.0.1:8000/activities/1"
    db.execute("INSERT INTO activities (uri, type, actor, body, created_at) VALUES (?, 'Create', ?, '{}', ?)",
               (activity, "http://127.0.0.1:8000/users/anne", site.node.now()))

    def queue(uri: str) -> None:
        with db.transaction():
            deliveries.enqueue(db, activity_uri=uri, signer="user:anne", inboxes=[inbox], now=site.node.now())
        site.node.wake_delivery()

    queue(activity)
    eventually(lambda: lists.posts == 1, what="the first delivery")
    blocks.block(site.node, None, "localhost", "Spam")
    db.execute("INSERT INTO activities (uri, type, actor, body, created_at) VALUES (?, 'Create', ?, '{}', ?)",
               (activity + "2", "http://127.0.0.1:8000/users/anne", site.node.now()))
    queue(activity + "2")
    error = eventually(lambda: db.scalar("SELECT error FROM deliveries WHERE activity_uri = ? AND state = 'failed'",
                                         (activity + "2",)), what="the refused delivery")
    assert "blocked" in error and lists.posts == 1


# Shared lists


def test_lists_by_url_in_both_formats_with_conflicts_shown(tmp_path: Path, lists: TextServer) -> None:
    made = make_site(tmp_path, federation={"allow_private_addresses": True, "mode": "allowlist",
                                           "allowed_domains": ["spam.example"]})
    with made.client:
        made.member("root", role="admin")
        made.login("root")
        lists.text = MASTODON_CSV
        response = act(made, {"action": "subscribe", "url": lists.url("/blocks.csv"), "kind": "block"},
                       "/admin/blocks/lists")
        assert response.status_code == 303
        lists.text = "# vertrouwd\nutrecht.example\nloud.example\n"
        act(made, {"action": "subscribe", "url": lists.url("/allow.txt"), "kind": "allow"}, "/admin/blocks/lists")
        policy = made.node.runtime().policy
        assert policy.allows("utrecht.example") and not policy.allows("elders.example")  # allowlist mode
        assert policy.verdict("spam.example") == ("allow", "config")  # the config beats the list
        assert policy.verdict("loud.example") == ("limit", "list")  # a limit beats an allow
        page = made.client.get("/admin/blocks").text
        assert "3 lines skipped" in page
        conflicts = page.split('id="conflicts"', 1)[1]
        assert "spam.example" in conflicts and "loud.example" in conflicts and "utrecht.example" not in conflicts
        assert made.node.db.scalar("SELECT count(*) FROM audit_log WHERE action = 'list_subscribe'") == 2
        again = act(made, {"action": "subscribe", "url": lists.url("/allow.txt"), "kind": "allow"},
                    "/admin/blocks/lists")
        assert again.status_code == 409
        assert act(made, {"action": "subscribe", "url": "file:///etc/passwd", "kind": "block"},
                   "/admin/blocks/lists").status_code == 422
        allow_id = made.node.db.scalar("SELECT id FROM block_lists WHERE kind = 'allow'")
        act(made, {"action": "unsubscribe", "list": str(allow_id)}, "/admin/blocks/lists")
        assert not made.node.runtime().policy.allows("utrecht.example")
        assert made.node.db.scalar("SELECT count(*) FROM audit_log WHERE action = 'list_unsubscribe'") == 1
    made.node.db.close()


def test_lists_are_fetched_again_when_due(site: Site, lists: TextServer) -> None:
    lists.text = "spam.example\n"
    portal = site.client.portal
    assert portal is not None
    portal.call(block_lists.subscribe, site.node, None, lists.url(), "block")
    lists.text = "other.example\n"
    portal.call(block_lists.refresh_due, site.node)  # fetched a moment ago: not due for a day
    assert not site.node.runtime().policy.allows("spam.example")
    site.node.db.execute("UPDATE block_lists SET next_fetch_at = '2000-01-01T00:00:00.000Z'")
    portal.call(block_lists.refresh_due, site.node)
    assert site.node.runtime().policy.allows("spam.example") and not site.node.runtime().policy.allows("other.example")


def test_a_failed_refresh_keeps_the_entries(site: Site, lists: TextServer) -> None:
    site.login("root")
    lists.text = "spam.example\n"
    act(site, {"action": "subscribe", "url": lists.url(), "kind": "block"}, "/admin/blocks/lists")
    assert not site.node.runtime().policy.allows("spam.example")
    list_id = str(site.node.db.scalar("SELECT id FROM block_lists"))
    lists.status = 500
    act(site, {"action": "refresh", "list": list_id}, "/admin/blocks/lists")
    assert not site.node.runtime().policy.allows("spam.example")
    assert "HTTP 500" in site.client.get("/admin/blocks").text
    lists.status, lists.text = 200, "x" * (block_lists.MAX_BYTES + 10)
    act(site, {"action": "refresh", "list": list_id}, "/admin/blocks/lists")
    assert "larger than" in site.client.get("/admin/blocks").text
    assert site.node.db.scalar("SELECT entry_count FROM block_lists") == 1
    lists.text = "other.example\n"
    act(site, {"action": "refresh", "list": list_id}, "/admin/blocks/lists")
    assert site.node.runtime().policy.allows("spam.example") and not site.node.runtime().policy.allows("other.example")


# The command line, against a running node


def test_meent_block_reaches_the_running_node_within_seconds(tmp_path: Path, remote: RemoteServer) -> None:
    node = Node(tmp_path / "a", "Gemeente A")
    eve = remote.add_person("eve")
    node.start()
    try:
        counter = iter(range(1, 1000))

        def status() -> int:
            activity = create(eve, next(counter))
            body = orjson.dumps(activity)
            headers = signed_post(node.url + "/inbox", body, f"{eve}#main-key", remote.keys[eve])
            return httpx.post(node.url + "/inbox", content=body, headers=headers, timeout=10).status_code

        assert status() == 202
        out = node.cli_output("block", "localhost", "--reason", "Spam")
        assert "localhost: blocked" in out
        eventually(lambda: status() == 403, timeout=15, what="the block on the running node")
        node.cli("unblock", "localhost")
        eventually(lambda: status() == 202, timeout=15, what="the unblock on the running node")
        node.cli("block", eve, "--limit", "--reason", "Druk")
        assert status() == 202  # a limited account still federates
    finally:
        node.stop()


def test_meent_block_refuses_bad_input_clearly(tmp_path: Path) -> None:
    node = Node(tmp_path / "a", "Gemeente A")
    for args, message in [
        (("block", "bad.example"), "Give a reason"),
        (("block", "@eve@bad.example", "--reason", "x"), "address (URL)"),
        (("block", "not a domain", "--reason", "x"), "not a domain"),
        (("unblock", "bad.example"), "is not blocked"),
    ]:
        result = meent(*args, "--config", str(node.config), check=False)
        assert result.returncode == 1 and message in result.stderr and "Traceback" not in result.stderr

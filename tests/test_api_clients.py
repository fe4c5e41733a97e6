"""Real Mastodon clients from PyPI against real nodes: Mastodon.py (as a library) and toot (as a command).

Both need `pip install Mastodon.py toot` (the test extra); without them these tests are skipped.
The Mastodon.py test runs two nodes: a member of B follows A's group, members of A post, reply,
favourite and read through Mastodon.py, and the reply shows on A's topic page and arrives on B.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from tests.federation_helpers import Browser, Node, eventually, running_nodes
from tests.helpers import PASSWORD, LiveNode, meent

OOB = "urn:ietf:wg:oauth:2.0:oob"
SCOPES = ["read", "write", "follow"]
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
ACTION = re.compile(r'<form method="post" action="([^"]+)"')
CODE = re.compile(r'id="oauth-code">([^<]+)<')



@pytest.fixture
def toot() -> str:
    """The venv's own toot command (.venv/bin/toot), or a skip saying what to install (before the node starts)."""
    found = shutil.which("toot", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip(f"toot is not installed next to {sys.executable}: pip install 'toot>=0.52'")
    return found


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    with running_nodes(tmp_path, "ab", "retry_first_seconds = 1\n") as made:
        yield made[0], made[1]


def _client(mastodon_class: Any, url: str, client_id: str, secret: str) -> Any:
    # version_check_mode="created" makes Mastodon.py read our /api/v1/instance version ("4.3.0 (compatible;
    # Meent ...)") and /api/v2/instance api_versions, and gate its calls on that, as it does for real
    # Mastodon; its default ("none") would not check our answer at all.
    return mastodon_class(client_id=client_id, client_secret=secret, api_base_url=url,
                          version_check_mode="created", request_timeout=10)


def _consent(url: str, username: str) -> str:
    """What a person does with the authorization URL in a browser: log in, approve, copy the code."""
    with httpx.Client(timeout=10) as browser:
        page = browser.get(url)
        assert page.status_code == 200, page.text[:500]
        form = {name: html.unescape(value) for name, value in HIDDEN.findall(page.text)}
        action = ACTION.search(page.text)
        assert action and form.get("csrf") and form.get("client_id"), "no consent form"
        answer = browser.post(page.url.join(html.unescape(action.group(1))), follow_redirects=False,
                              data=form | {"username": username, "password": PASSWORD, "decision": "approve"})
    assert answer.status_code == 200, (answer.status_code, answer.text[:500])
    code = CODE.search(answer.text)
    assert code, "no code on the out-of-band page"
    return html.unescape(code.group(1)).strip()


def _topic_link(page: str) -> str | None:
    found = re.search(r'href="(/groups/[^"]+/topics/\d+)"', page)
    return found.group(1) if found else None


def test_mastodon_py_posts_replies_and_reads_across_two_nodes(mastodon_class: Any, nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    a.cli("group", "add", "open-overheid", "--name", "Open Overheid")
    a.cli("user", "add", "anne", "--password", PASSWORD, "--display-name", "Anne van A")
    a.cli("user", "add", "bert", "--password", PASSWORD, "--display-name", "Bert van A")
    b.cli("user", "add", "carla", "--password", PASSWORD)

    # B's member follows A's group on B's network page; A accepts.
    carla = b.browser("carla")
    carla.submit("/network", "/network/follow", {"handle": f"@open-overheid@{a.domain}"})
    eventually(lambda: "Open Overheid" in carla.get("/network") and "wacht op bevestiging"
               not in carla.get("/network"), what="the Accept on B")

    # An app registers; anne logs in with the password grant, bert with an authorization code.
    client_id, secret = mastodon_class.create_app("Meent-test", scopes=SCOPES, redirect_uris=OOB, api_base_url=a.url)
    anne = _client(mastodon_class, a.url, client_id, secret)
    assert (anne.mastodon_major, anne.mastodon_minor) == (4, 3), "Mastodon.py misread our version"
    # allow_http: Mastodon.py refuses OAuth URLs that are not https unless told this is a test on plain http.
    assert anne.log_in("anne", PASSWORD, scopes=SCOPES, allow_http=True)
    assert anne.account_verify_credentials()["username"] == "anne"

    bert = _client(mastodon_class, a.url, client_id, secret)
    url = bert.auth_request_url(redirect_uris=OOB, scopes=SCOPES, allow_http=True)
    assert url.startswith(f"{a.url}/oauth/authorize?"), url
    assert bert.log_in(code=_consent(url, "bert"), redirect_uri=OOB, scopes=SCOPES, allow_http=True)
    assert bert.me()["acct"] == "bert"

    # A status that mentions the group opens a topic; its first line is the title.
    topic = anne.status_post("Kunnen ambtenaren innovatoren zijn? @open-overheid\nWat denkt u? #innovatie")
    topic_page = f"/groups/open-overheid/topics/{topic['id']}"
    web = Browser(a.url)
    assert "Kunnen ambtenaren innovatoren zijn?" in web.get(topic_page)
    topic_on_b = eventually(lambda: _topic_link(carla.get(f"/groups/open-overheid@{a.domain}")),
                            what="the topic on B")

    # Bert replies from the client and favourites the topic.
    reply = bert.status_post("Ja, met ruimte om te leren.", in_reply_to_id=topic["id"])
    assert str(reply["in_reply_to_id"]) == str(topic["id"])
    favourited = bert.status_favourite(topic["id"])
    assert favourited["favourited"] is True and favourited["favourites_count"] == 1

    # Bert reports the topic from the app; it lands in A's moderation queue with his comment.
    report = bert.report(topic["account"]["id"], status_ids=[topic["id"]], comment="Klopt dit wel?", category="other")
    assert report["category"] == "other" and [str(s) for s in report["status_ids"]] == [str(topic["id"])]
    db = sqlite3.connect(a.config.parent / "meent.db")
    try:
        assert db.execute("SELECT comment, post_id FROM reports").fetchall() == [("Klopt dit wel?", int(topic["id"]))]
    finally:
        db.close()

    # The reply is on the topic's web page, in the thread's context, and reaches B's copy of the topic.
    assert "Ja, met ruimte om te leren." in web.get(topic_page)
    context = anne.status_context(topic["id"])
    assert [s["id"] for s in context["descendants"]] == [reply["id"]]
    assert [s["id"] for s in anne.status_context(reply["id"])["ancestors"]] == [topic["id"]]
    eventually(lambda: "Ja, met ruimte om te leren." in carla.get(topic_on_b), what="the reply on B")

    # Anne is told of the reply (a mention) and the favourite, both from bert.
    notes = anne.notifications()
    kinds = {(n["type"], n["account"]["acct"]) for n in notes}
    assert {("mention", "bert"), ("favourite", "bert")} <= kinds, kinds
    assert all(n["status"]["id"] in (topic["id"], reply["id"]) for n in notes)
    assert [n["status"]["id"] for n in anne.notifications(types=["favourite"])] == [topic["id"]]

    # Anything else is a blog post; the home timeline pages back with limit=2 through the Link header.
    posted = [anne.status_post(f"Blog {n}\nTekst van blog {n}.", idempotency_key=f"blog-{n}") for n in range(5)]
    assert anne.status_post("Blog 4\nTekst van blog 4.", idempotency_key="blog-4")["id"] == posted[4]["id"]
    home = anne.timeline_home(limit=40)
    assert [s["id"] for s in home[:5]] == [s["id"] for s in reversed(posted)]
    assert topic["id"] in [s["id"] for s in home]
    pages, page = [], anne.timeline_home(limit=2)
    while page:
        assert len(page) <= 2
        pages.append([s["id"] for s in page])
        page = anne.fetch_next(page)
        assert len(pages) < 20, "paging does not end"
    seen = [status_id for ids in pages for status_id in ids]
    assert seen == [s["id"] for s in home], pages
    assert len(pages) >= 3
    second = anne.fetch_next(anne.timeline_home(limit=2))
    assert [s["id"] for s in anne.fetch_previous(second)] == pages[0]
    assert "Tekst van blog 0." in web.get(httpx.URL(posted[0]["url"]).path)


def test_toot_logs_in_posts_and_reads(toot: str, live_node: LiveNode, tmp_path: Path) -> None:
    meent("user", "add", "anne", "--password", PASSWORD, "--display-name", "Anne van A",
          "--config", str(live_node.config_path))
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TOOT_", "XDG_"))}
    env |= {"HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"), "TERM": "dumb", "COLUMNS": "120"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        """toot as a person runs it, with its config in tmp_path instead of ~/.config/toot."""
        return subprocess.run([toot, *args], capture_output=True, text=True, env=env, timeout=60,
                              stdin=subprocess.DEVNULL)

    # toot sends its --email as the password grant's `username`; Meent takes the user name there.
    login = run("login_cli", "--instance", live_node.url, "--email", "anne", "--password", PASSWORD)
    assert login.returncode == 0, login.stdout + login.stderr
    assert "Successfully logged in" in login.stdout
    assert (home / "config" / "toot" / "config.json").exists()
    domain = live_node.url.removeprefix("http://")
    assert f"anne@{domain}" in run("auth").stdout

    posted = run("post", "Hallo vanuit toot\nEen blog via de command line.")
    assert posted.returncode == 0, posted.stdout + posted.stderr
    found = re.search(r"Toot posted: (\S+)", posted.stdout)
    assert found and found.group(1).startswith(live_node.url), posted.stdout
    page = httpx.get(found.group(1), timeout=10)
    assert page.status_code == 200 and "Hallo vanuit toot" in page.text

    timeline = run("timelines", "home", "--no-pager", "--no-clear")
    assert timeline.returncode == 0, timeline.stdout + timeline.stderr
    assert "Hallo vanuit toot" in timeline.stdout and "anne" in timeline.stdout

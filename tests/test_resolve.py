"""Looking things up by their address across two real nodes: a post in a group nobody here follows is
stored with its whole thread, and people and groups are found by their URL, through the client API's
search (resolve=true) and the network page."""

import re
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.federation_helpers import Node, eventually, running_nodes
from tests.helpers import PASSWORD, Site, make_site
from tests.remote_actors import RemoteServer


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    with running_nodes(tmp_path, "ab") as made:
        yield made[0], made[1]


def _token(node: Node, username: str) -> dict[str, str]:
    app = httpx.post(f"{node.url}/api/v1/apps", data={"client_name": "test", "scopes": "read write",
                                                       "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}).json()
    token = httpx.post(f"{node.url}/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
        "username": username, "password": PASSWORD, "scope": "read write"}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def _thread_on_a(a: Node) -> None:
    """A's group with a topic, a reply, a reply to that, and a second reply seen only in the context."""
    a.cli("group", "add", "open-overheid", "--name", "Open Overheid")
    a.cli("user", "add", "anne", "--password", PASSWORD, "--display-name", "Anne van A")
    anne = a.browser("anne")
    anne.submit("/groups/open-overheid/new", "/groups/open-overheid/topics",
                {"title": "Een draad op A", "body": "Het begin van de draad"})
    for parent, body in ((1, "Eerste antwoord"), (2, "Antwoord op het antwoord"), (1, "Tweede antwoord")):
        anne.submit(f"/posts/{parent}/reply", f"/posts/{parent}/reply", {"body": body})


def test_a_post_by_its_url_brings_its_thread_and_actors_are_found_by_url(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    _thread_on_a(a)
    b.cli("user", "add", "carla", "--password", PASSWORD)
    headers = _token(b, "carla")

    def search(query: str, kind: str, resolve: bool = True) -> list[dict[str, object]]:
        answer = httpx.get(f"{b.url}/api/v2/search", headers=headers, timeout=20,
                           params={"q": query, "type": kind, "resolve": str(resolve).lower()})
        assert answer.status_code == 200, answer.text
        return list(answer.json()[kind])

    assert search(f"{a.url}/posts/3", "statuses", resolve=False) == []  # not fetched unless asked to
    found = search(f"{a.url}/posts/3", "statuses")
    assert len(found) == 1 and "Antwoord op het antwoord" in str(found[0]["content"])
    context = httpx.get(f"{b.url}/api/v1/statuses/{found[0]['id']}/context", headers=headers).json()
    assert ["Een draad op A" in str(s["content"]) for s in context["ancestors"]] == [True, False]
    root_id = context["ancestors"][0]["id"]
    replies = eventually(lambda: len(found := httpx.get(f"{b.url}/api/v1/statuses/{root_id}/context",
                                                         headers=headers).json()["descendants"]) == 3 and found,
                         what="the thread completed from its context collection")
    assert "Tweede antwoord" in str(replies[-1]["content"])

    group = search(f"{a.url}/groups/open-overheid", "accounts")
    assert [(g["acct"], g["group"]) for g in group] == [(f"open-overheid@{a.domain}", True)]
    person = search(f"{a.url}/users/anne", "accounts")
    assert [(p["acct"], p["display_name"]) for p in person] == [(f"anne@{a.domain}", "Anne van A")]
    assert search(f"{b.url}/users/carla", "accounts", resolve=False)[0]["acct"] == "carla"  # ours, by URL
    assert search(f"{a.url}/users/nobody", "accounts") == []


def test_the_network_page_looks_up_posts_and_people_by_address(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    _thread_on_a(a)
    b.cli("user", "add", "carla", "--password", PASSWORD)
    carla = b.browser("carla")
    answer = carla.submit("/network", "/network/look-up", {"address": f"{a.url}/posts/1"})
    thread = answer.headers["location"]
    assert re.fullmatch(rf"/groups/open-overheid@{re.escape(a.domain)}/topics/\d+", thread), thread
    page = eventually(lambda: "Tweede antwoord" in (seen := carla.get(thread)) and seen,
                      what="the thread completed on B")
    for text in ("Een draad op A", "Eerste antwoord", "Antwoord op het antwoord"):
        assert text in page
    assert page.count("origineel bekijken") == 4
    person = carla.submit("/network", "/network/look-up", {"address": f"{a.url}/users/anne"})
    assert person.headers["location"] == f"/users/anne@{a.domain}"
    assert "Anne van A" in carla.get(person.headers["location"])


def test_a_look_up_that_finds_nothing_says_so(site: Site) -> None:
    site.member("anne")
    site.login("anne")
    for address in ("geen adres", "https://127.0.0.1:1/users/nobody"):
        answer = site.post("/network/look-up", {"address": address}, site.csrf("/network"))
        assert answer.status_code == 422 and 'id="error-address"' in answer.text


def test_a_profile_url_leads_to_its_actor(tmp_path: Path) -> None:
    site = make_site(tmp_path, federation={"allow_private_addresses": True})
    with RemoteServer() as remote, site.client:
        eve = remote.add_person("eve")
        remote.documents["/@eve"] = remote.documents["/users/eve"]  # Mastodon serves the actor on its page too
        site.member("anne")
        site.login("anne")
        answer = site.post("/network/look-up", {"address": f"{remote.origin}/@eve"}, site.csrf("/network"))
        assert answer.status_code == 303 and answer.headers["location"] == f"/users/eve@{remote.origin[7:]}"
        assert site.node.db.one("SELECT 1 FROM accounts WHERE actor_uri = ?", (eve,)) is not None
    site.node.db.close()

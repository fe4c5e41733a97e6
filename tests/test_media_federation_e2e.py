"""Media between two real nodes (issue 11): an image with its description posted on A reaches B as
an attachment, and B's pages show it from B's own copy (/media/remote/...), never from A."""

from __future__ import annotations

import io
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests import media_samples
from tests.federation_helpers import CSRF, Node, eventually, running_nodes


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    with running_nodes(tmp_path, "ab", "retry_first_seconds = 1\n") as made:
        yield made[0], made[1]


def _rows(node: Node, sql: str) -> list[sqlite3.Row]:
    """Read the node's database (read-only: the running node owns it)."""
    database = node.config.parent / "meent.db"
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql).fetchall()


def test_an_image_posted_on_a_is_shown_on_b_from_bs_own_copy(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    a.cli("group", "add", "open-overheid", "--name", "Open Overheid")
    a.cli("user", "add", "anne", "--password", "correct horse battery")
    b.cli("user", "add", "bob", "--password", "correct horse battery")
    bob, anne = b.browser("bob"), a.browser("anne")
    bob.submit("/network", "/network/follow", {"handle": f"@open-overheid@{a.domain}"})
    eventually(lambda: "wacht op bevestiging" not in bob.get("/network"), what="the Accept")

    csrf = CSRF.search(anne.get("/groups/open-overheid/new"))
    assert csrf
    posted = anne.client.post("/groups/open-overheid/topics", data={
        "csrf": csrf.group(1), "title": "Foto van de sessie", "body": "Zie de foto",
        "alt_1": "Deelnemers rond een tafel"}, files={"file_1": ("sessie.png", media_samples.png(), "image/png")})
    assert posted.status_code == 303, posted.text[:500]

    remote_group = f"/groups/open-overheid@{a.domain}"
    eventually(lambda: "Foto van de sessie" in bob.get(remote_group), what="the topic on B")
    rows = _rows(b, "SELECT * FROM media WHERE remote_url IS NOT NULL")
    assert len(rows) == 1 and rows[0]["description"] == "Deelnemers rond een tafel" and rows[0]["kind"] == "image"
    assert rows[0]["remote_url"].startswith(a.url + "/media/") and rows[0]["file_hash"] is None

    topic = re.search(r'href="(/groups/open-overheid@[^"]+/topics/\d+)"', bob.get(remote_group))
    assert topic
    page = bob.get(topic.group(1))
    shown = re.search(r'<img src="(/media/remote/[0-9a-f]{64})" alt="Deelnemers rond een tafel"', page)
    assert shown, page
    assert a.url not in re.findall(r'<img src="([^"]+)"', page)[0]
    image = bob.client.get(shown.group(1))
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(image.content)).size == (300, 200)
    cached = _rows(b, "SELECT * FROM remote_media WHERE state = 'cached'")
    assert len(cached) == 1 and cached[0]["url"] == rows[0]["remote_url"]
    assert bob.client.get("/media/remote/" + "0" * 64).status_code == 404  # no open proxy

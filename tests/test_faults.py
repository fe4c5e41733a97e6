"""A real node beside fake servers that hang, answer 500, 429 with Retry-After, 401, close the
connection, stream an endless body or redirect in a loop (tests/fault_peers.py). Each case ends as
it should (tried again later, or refused for good with the reason), and meanwhile a healthy server
still gets its deliveries and an unrelated activity is still processed."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.fault_peers import FaultPeers, Peer
from tests.federation_helpers import Node, eventually, group_node
from tests.remote_actors import create, follow, note

GROUP = "open-overheid"
FAULTS = ("hang", "error500", "rate429", "unauth401", "close", "endless", "redirect_loop")
MAX_STALL = 4.0  # a hanging peer gives up after this long (the node's own timeouts are longer)


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    with group_node(tmp_path / "node", "Gemeente Storing", "retry_first_seconds = 60\n", GROUP) as made:
        yield made


def rows(node: Node, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    """Read the node's database beside it, as `meent federation status` does."""
    conn = sqlite3.connect(node.config.parent / "meent.db", timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def follow_group(node: Node, peer: Peer, name: str) -> None:
    actor = peer.add_actor(name)
    assert peer.send(f"{node.url}/inbox", actor, follow(actor.uri, f"{node.url}/groups/{GROUP}", name)).status == 202
    peer.wait_for(lambda p: any(b'"Accept"' in seen.body for seen in p.inbox_posts()), timeout=30,
                  what=f"the Accept at {name}")


def test_delivery_outcomes_beside_misbehaving_followers(node: Node) -> None:
    with FaultPeers(lifetime=120, max_stall=MAX_STALL) as peers:
        healthy = peers.add("healthy")
        follow_group(node, healthy, "gezond")
        faulty = {}
        for fault in FAULTS:
            peer = peers.add("healthy", retry_after=600)
            follow_group(node, peer, fault.replace("_", ""))
            peer.set(fault)
            faulty[fault] = peer
        member = node.browser("anne")
        for n in range(3):
            posted = time.monotonic()
            member.submit(f"/groups/{GROUP}/new", f"/groups/{GROUP}/topics", {"title": f"Onderwerp {n}",
                                                                             "body": f"Tekst {n}"})
            seen = healthy.wait_for(lambda p, n=n: [s for s in p.inbox_posts() if f"Tekst {n}".encode() in s.body],
                                    timeout=10, what=f"topic {n} at the healthy follower")
            assert seen[0].at - posted < 5  # not held up by the others' hangs and errors
        time.sleep(MAX_STALL + 1)

        def state(fault: str) -> list[sqlite3.Row]:
            return rows(node, "SELECT state, tries, last_status, error, next_try_at FROM deliveries WHERE domain = ?"
                              " AND activity_uri IN (SELECT uri FROM activities WHERE type = 'Announce') ORDER BY id",
                        (faulty[fault].domain,))

        eventually(lambda: all(r["tries"] >= 1 for f in FAULTS for r in state(f)), timeout=60,
                   what="every faulty follower tried once")
        soon = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
        for fault in ("hang", "error500", "unauth401", "close"):
            assert {r["state"] for r in state(fault)} == {"pending"}, (fault, [dict(r) for r in state(fault)])
        assert {r["last_status"] for r in state("error500")} == {500}
        assert {r["last_status"] for r in state("unauth401")} == {401}  # a proxy being fixed: tried again
        assert all(r["next_try_at"] > soon for r in state("rate429"))  # Retry-After: 600 is honoured
        assert {r["state"] for r in state("rate429")} == {"pending"}
        assert {r["state"] for r in state("endless")} == {"done"}  # a 200 is an answer; the rest is not read
        assert {(r["state"], r["last_status"]) for r in state("redirect_loop")} == {("failed", 302)}
        failing = {r["domain"] for r in rows(node, "SELECT domain FROM servers WHERE failing_since IS NOT NULL")}
        assert failing == {faulty[f].domain for f in ("hang", "error500", "unauth401", "close")}
        assert not rows(node, "SELECT 1 FROM servers WHERE unreachable_since IS NOT NULL")  # minutes, not hours
        status = node.cli_output("federation", "status")
        assert faulty["error500"].domain in status and "HTTP 500" in status


def test_inbound_outcomes_when_parents_sit_on_misbehaving_servers(node: Node) -> None:
    with FaultPeers(lifetime=120, max_stall=MAX_STALL) as peers:
        healthy = peers.add("healthy")
        eve = healthy.add_actor("eve")
        group = f"{node.url}/groups/{GROUP}"
        sent: dict[str, str] = {}
        for fault in FAULTS:
            elsewhere = peers.add(fault)
            parent = f"{elsewhere.origin}/notes/parent"
            reply = note(eve.uri, f"re-{fault}", "<p>Antwoord</p>", audience=group, in_reply_to=parent)
            activity = create(eve.uri, reply, fault)
            assert healthy.send(f"{node.url}/inbox", eve, activity).status == 202
            sent[fault] = activity["id"]
        started = time.monotonic()
        # a sender the node has never seen: its key is fetched while object fetches hang elsewhere
        frits = healthy.add_actor("frits")
        unrelated = note(frits.uri, "los", "<p>Los onderwerp zonder ouder</p>", audience=group)
        unrelated["name"] = "Los onderwerp"
        assert healthy.send(f"{node.url}/inbox", frits, create(frits.uri, unrelated, "los")).status == 202
        eventually(lambda: rows(node, "SELECT 1 FROM posts WHERE uri = ?", (unrelated["id"],)), timeout=10,
                   what="the unrelated topic")
        assert time.monotonic() - started < 5  # while seven parents hang, fail or loop

        def job(fault: str) -> sqlite3.Row | None:
            found = rows(node, "SELECT * FROM inbox WHERE type = 'meent:fetch' AND lane = ?",
                         (peers.peers[FAULTS.index(fault) + 1].domain,))
            return found[0] if found else None

        eventually(lambda: all((j := job(f)) is not None and (j["attempts"] >= 1 or j["state"] != "pending")
                               for f in FAULTS), timeout=40, what="every parent's fetch tried")
        for fault in ("hang", "error500", "rate429", "unauth401", "close"):
            found = job(fault)
            assert found is not None and found["state"] == "pending", (fault, dict(found or {}))
            waiting = rows(node, "SELECT state, waiting_on FROM inbox WHERE activity_id = ?", (sent[fault],))[0]
            assert (waiting["state"], waiting["waiting_on"]) == ("pending", found["activity_id"])  # not lost
        for fault, reason in (("endless", "too large"), ("redirect_loop", "redirects")):
            found = job(fault)
            assert found is not None and found["state"] == "refused" and reason in found["error"], dict(found or {})
            replied = rows(node, "SELECT state, error FROM inbox WHERE activity_id = ?", (sent[fault],))[0]
            assert replied["state"] == "refused" and reason in replied["error"]

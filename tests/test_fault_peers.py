"""The fake peers of tests/fault_peers.py do what their names say, so tests built on them mean something."""

from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx2 as httpx
import orjson
import pytest

from federation.keys import load_public
from federation.signatures import sign, verify
from tests.fault_peers import FaultPeers
from tests.federation_helpers import eventually
from tests.remote_actors import create, note


@pytest.fixture
def peers() -> Iterator[FaultPeers]:
    with FaultPeers(lifetime=120, max_stall=20) as made:
        yield made


def test_a_healthy_peer_serves_its_actor_and_webfinger_and_records_its_inbox(peers: FaultPeers) -> None:
    peer = peers.add("healthy", verify=False)
    anne = peer.add_actor("anne")
    actor = httpx.get(anne.uri, headers={"Accept": "application/activity+json"}).json()
    assert actor["id"] == anne.uri and actor["publicKey"]["publicKeyPem"] == anne.public_pem
    assert actor["endpoints"]["sharedInbox"] == peer.inbox
    finger = httpx.get(f"{peer.origin}/.well-known/webfinger", params={"resource": f"acct:anne@{peer.domain}"})
    assert finger.status_code == 200 and finger.json()["links"][0]["href"] == anne.uri
    assert httpx.get(f"{peer.origin}/.well-known/webfinger", params={"resource": "acct:nobody@x"}).status_code == 404
    assert httpx.get(f"{peer.origin}/users/nobody").status_code == 404
    assert httpx.post(peer.inbox, content=b'{"id": "x/1"}').status_code == 202
    assert httpx.post(f"{anne.uri}/inbox", content=b'{"id": "x/1"}').status_code == 202
    assert httpx.post(f"{peer.origin}/elsewhere", content=b"{}").status_code == 404
    assert peer.activity_counts() == {"x/1": 2}


def test_a_peer_serves_objects_for_fetching(peers: FaultPeers) -> None:
    peer = peers.add("healthy")
    anne = peer.add_actor("anne")
    parent = note(anne.uri, "p1", "<p>Ouder</p>")
    peer.serve(parent)
    assert httpx.get(parent["id"]).json()["content"] == "<p>Ouder</p>"


@pytest.mark.parametrize(("behaviour", "status"), [("error500", 500), ("unauth401", 401), ("rate429", 429)])
def test_error_behaviours_answer_their_status(peers: FaultPeers, behaviour: str, status: int) -> None:
    peer = peers.add(behaviour, retry_after=7)
    for answer in (httpx.get(f"{peer.origin}/users/anne"), httpx.post(peer.inbox, content=b"{}")):
        assert answer.status_code == status
    if behaviour == "rate429":
        assert answer.headers["Retry-After"] == "7"
    assert [s.behaviour for s in peer.seen()] == [behaviour, behaviour] and peer.inbox_posts() == []


def test_a_redirect_loop_points_at_itself(peers: FaultPeers) -> None:
    peer = peers.add("redirect_loop")
    answer = httpx.get(f"{peer.origin}/users/anne?x=1")
    assert answer.status_code == 302 and answer.headers["Location"] == f"{peer.origin}/users/anne?x=1"
    with pytest.raises(httpx.TooManyRedirects):
        httpx.get(f"{peer.origin}/users/anne", follow_redirects=True)


def test_a_hanging_peer_never_answers_until_it_is_told_otherwise(peers: FaultPeers) -> None:
    peer = peers.add("hang", verify=False)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(peer.inbox, content=b"{}", timeout=0.5)
    assert [s.method for s in peer.seen()] == ["POST"]  # the connection was accepted and the request read
    peer.set("healthy")
    assert httpx.post(peer.inbox, content=b"{}").status_code == 202


def test_a_slow_peer_takes_a_request_in_before_it_answers(peers: FaultPeers) -> None:
    peer = peers.add("healthy", verify=False, delay=10)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(peer.inbox, content=b'{"id": "x/1"}', timeout=0.5)
    assert peer.activity_counts() == {"x/1": 1}  # a sender that gave up too early will send it again


def test_a_closing_peer_hangs_up_without_an_answer(peers: FaultPeers) -> None:
    peer = peers.add("close")
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(peer.inbox, content=b"{}")


def test_an_endless_peer_keeps_streaming(peers: FaultPeers) -> None:
    peer = peers.add("endless")
    read = 0
    with httpx.stream("GET", f"{peer.origin}/users/anne", timeout=10) as answer:
        assert answer.status_code == 200 and "content-length" not in answer.headers
        for chunk in answer.iter_bytes():
            read += len(chunk)
            if read > 200_000:
                break
    assert read > 200_000


def test_a_peer_that_is_down_refuses_then_comes_back(peers: FaultPeers) -> None:
    peer = peers.add("down", verify=False)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{peer.origin}/")
    assert peer.up_at is None
    peer.set("healthy")
    assert httpx.post(peer.inbox, content=b"{}").status_code == 202
    peer.set("down")
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{peer.origin}/")
    peer.down_for(0.3)
    eventually(lambda: httpx.post(peer.inbox, content=b"{}", timeout=2).status_code == 202, what="the peer back")
    assert peer.behaviour == "healthy" and peer.up_at is not None


def test_down_for_from_the_start(peers: FaultPeers) -> None:
    peer = peers.add("down", seconds=0.3)
    eventually(lambda: httpx.get(f"{peer.origin}/users/x", timeout=2).status_code == 404, what="the peer up")


def test_what_a_peer_sends_is_signed_as_its_actor(peers: FaultPeers) -> None:
    sender, receiver = peers.add("healthy"), peers.add("healthy")
    anne = sender.add_actor("anne")
    activity = create(anne.uri, note(anne.uri, "n1", "<p>Hallo</p>"), "n1")
    sent = sender.send(receiver.inbox, anne, activity)
    assert sent.status == 202
    (arrived,) = receiver.inbox_posts()
    assert arrived.activity == activity and arrived.at <= sent.answered_at
    params = verify("POST", urlsplit(receiver.inbox).path, arrived.headers, arrived.body, load_public(anne.public_pem),
                    datetime.now(UTC))
    assert params.key_id == anne.key_id


def test_a_healthy_inbox_refuses_what_its_signer_did_not_sign(peers: FaultPeers) -> None:
    sender, receiver = peers.add("healthy"), peers.add("healthy")
    anne = sender.add_actor("anne")
    body = orjson.dumps(create(anne.uri, note(anne.uri, "n1", "<p>Echt</p>"), "n1"))
    headers = sign("POST", receiver.inbox, {"content-type": "application/activity+json"}, body, anne.key_id,
                   anne.private_key, datetime.now(UTC))
    assert httpx.post(receiver.inbox, content=body.replace(b"Echt", b"Vals"), headers=headers).status_code == 401
    assert httpx.post(receiver.inbox, content=body).status_code == 401  # unsigned
    assert httpx.post(receiver.inbox, content=body, headers=headers).status_code == 202
    problems = [seen.problem for seen in receiver.seen()]
    assert "Digest" in problems[0] and "not signed" in problems[1] and problems[2] == ""
    assert [seen.activity_id for seen in receiver.inbox_posts()] == [f"{anne.uri}/activities/create-n1"]


def test_sending_to_nobody_says_so(peers: FaultPeers) -> None:
    sender, gone = peers.add("healthy"), peers.add("down")
    anne = sender.add_actor("anne")
    sent = sender.send(gone.inbox, anne, {"id": f"{anne.uri}/x"})
    assert sent.status is None and "Connection" in sent.error


def test_the_peers_stop_by_themselves() -> None:
    with FaultPeers(lifetime=0.5) as peers:
        peer = peers.add("healthy")
        eventually(lambda: _refused(f"{peer.origin}/"), timeout=10, what="the peers to stop")
        with pytest.raises(RuntimeError):
            peers.add("healthy")


def test_unknown_behaviours_are_refused(peers: FaultPeers) -> None:
    with pytest.raises(ValueError, match="unknown behaviour"):
        peers.add("sulk")
    with pytest.raises(ValueError, match="unknown behaviour"):
        peers.add("healthy").set("sulk")


def _refused(url: str) -> bool:
    try:
        httpx.get(url, timeout=1)
    except httpx.ConnectError:
        return True
    return False

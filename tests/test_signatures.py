"""Our HTTP signatures against httpsig (an independent implementation) and against every rule."""

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from federation import signatures
from federation.keys import generate_pem_pair
from federation.signatures import SignatureError

httpsig = pytest.importorskip("httpsig")

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
URL = "https://b.example/users/anne/inbox"
BODY = b'{"type":"Create","actor":"https://a.example/users/bob"}'
KEY_ID = "https://a.example/users/bob#main-key"


@pytest.fixture(scope="module")
def pems() -> tuple[str, str]:
    return generate_pem_pair()


@pytest.fixture(scope="module")
def private_key(pems: tuple[str, str]) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pems[1].encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def signed_post(private_key: rsa.RSAPrivateKey, body: bytes = BODY, now: datetime = NOW) -> dict[str, str]:
    return signatures.sign("POST", URL, {"content-type": "application/activity+json"}, body, KEY_ID, private_key,
                           now)


def test_round_trip(private_key: rsa.RSAPrivateKey) -> None:
    headers = signed_post(private_key)
    params = signatures.verify("POST", "/users/anne/inbox", headers, BODY, private_key.public_key(), NOW)
    assert params.key_id == KEY_ID
    assert params.headers == signatures.POST_HEADERS


def test_get_signs_accept(private_key: rsa.RSAPrivateKey) -> None:
    headers = signatures.sign("GET", "https://b.example/users/anne?page=1", {}, None, KEY_ID, private_key, NOW)
    assert 'headers="(request-target) host date accept"' in headers["signature"]
    signatures.verify("GET", "/users/anne?page=1", headers, None, private_key.public_key(), NOW)


def test_httpsig_verifies_ours(pems: tuple[str, str], private_key: rsa.RSAPrivateKey) -> None:
    headers = signed_post(private_key)
    verifier = httpsig.HeaderVerifier(headers, pems[0].encode(), required_headers=list(signatures.POST_HEADERS),
                                      method="POST", path="/users/anne/inbox", sign_header="signature")
    assert verifier.verify()


def test_we_verify_httpsig(pems: tuple[str, str], private_key: rsa.RSAPrivateKey) -> None:
    headers = {"host": "b.example", "date": signatures.http_date(NOW), "digest": signatures.body_digest(BODY),
               "content-type": "application/activity+json"}
    for algorithm in ("rsa-sha256",):
        signer = httpsig.HeaderSigner(KEY_ID, pems[1].encode(), algorithm=algorithm,
                                      headers=list(signatures.POST_HEADERS), sign_header="signature")
        signed = {k.lower(): v for k, v in signer.sign(headers, method="POST", path="/users/anne/inbox").items()}
        signatures.verify("POST", "/users/anne/inbox", signed, BODY, private_key.public_key(), NOW)
    # hs2019 as Mastodon and others send it: the algorithm comes from the key
    signed["signature"] = signed["signature"].replace('algorithm="rsa-sha256"', 'algorithm="hs2019"')
    signatures.verify("POST", "/users/anne/inbox", signed, BODY, private_key.public_key(), NOW)


def test_wrong_key_is_refused(private_key: rsa.RSAPrivateKey) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(SignatureError, match="does not verify"):
        signatures.verify("POST", "/users/anne/inbox", signed_post(private_key), BODY, other.public_key(), NOW)


def test_tampered_body_is_refused(private_key: rsa.RSAPrivateKey) -> None:
    headers = signed_post(private_key)
    with pytest.raises(SignatureError, match="Digest does not match"):
        signatures.verify("POST", "/users/anne/inbox", headers, BODY + b" ", private_key.public_key(), NOW)


def test_tampered_digest_is_refused(private_key: rsa.RSAPrivateKey) -> None:
    headers = signed_post(private_key) | {"digest": signatures.body_digest(b"other")}
    with pytest.raises(SignatureError):
        signatures.verify("POST", "/users/anne/inbox", headers, b"other", private_key.public_key(), NOW)


@pytest.mark.parametrize(("signed_at", "ok"), [
    (NOW - timedelta(hours=11, minutes=59), True),
    (NOW - timedelta(hours=12, minutes=1), False),
    (NOW + timedelta(minutes=4), True),
    (NOW + timedelta(minutes=6), False),
])
def test_date_window(private_key: rsa.RSAPrivateKey, signed_at: datetime, ok: bool) -> None:
    headers = signed_post(private_key, now=signed_at)
    if ok:
        signatures.verify("POST", "/users/anne/inbox", headers, BODY, private_key.public_key(), NOW)
    else:
        with pytest.raises(SignatureError, match="Date"):
            signatures.verify("POST", "/users/anne/inbox", headers, BODY, private_key.public_key(), NOW)


def test_other_path_is_refused(private_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(SignatureError):
        signatures.verify("POST", "/inbox", signed_post(private_key), BODY, private_key.public_key(), NOW)


@pytest.mark.parametrize("header", [
    "", "garbage", 'keyId="x"', 'keyId="x",signature="not base64!!"', 'keyId="x",headers="date",signature="AAAA"',
])
def test_malformed_or_weak_signatures_are_refused(private_key: rsa.RSAPrivateKey, header: str) -> None:
    headers = signed_post(private_key) | {"signature": header}
    with pytest.raises(SignatureError):
        signatures.verify("POST", "/users/anne/inbox", headers, BODY, private_key.public_key(), NOW)


def test_unsigned_digest_or_missing_headers_are_refused(private_key: rsa.RSAPrivateKey) -> None:
    headers = signatures.sign("GET", URL, {}, None, KEY_ID, private_key, NOW)
    with pytest.raises(SignatureError, match="Digest"):
        signatures.verify("POST", "/users/anne/inbox", headers, BODY, private_key.public_key(), NOW)
    headers = signed_post(private_key)
    del headers["date"]
    with pytest.raises(SignatureError):
        signatures.verify("POST", "/users/anne/inbox", headers, BODY, private_key.public_key(), NOW)


def test_ed25519_key_with_hs2019() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    headers = {"host": "b.example", "date": signatures.http_date(NOW), "digest": signatures.body_digest(BODY),
               "content-type": "application/activity+json"}
    text = signatures.signing_string("POST", "/inbox", headers, signatures.POST_HEADERS).encode()
    import base64

    headers["signature"] = (f'keyId="{KEY_ID}",algorithm="hs2019",headers="{" ".join(signatures.POST_HEADERS)}",'
                            f'signature="{base64.b64encode(key.sign(text)).decode()}"')
    signatures.verify("POST", "/inbox", headers, BODY, key.public_key(), NOW)
    headers["signature"] = headers["signature"].replace("hs2019", "rsa-sha256")
    with pytest.raises(SignatureError, match="does not fit"):
        signatures.verify("POST", "/inbox", headers, BODY, key.public_key(), NOW)

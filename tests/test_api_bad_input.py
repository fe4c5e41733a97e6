"""Bad input for the client API: tokens that are unknown, revoked, too narrow or an app's own; ids that are not;
statuses too long, empty, private, with a poll or unknown media; OAuth grants gone wrong; bodies that are not
objects; paths we do not serve. Every answer is a JSON error with a fitting status, and nothing is stored."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
import pytest

from tests.helpers import CSRF, PASSWORD, Site, make_site

OOB = "urn:ietf:wg:oauth:2.0:oob"
SCOPES = "read write follow push"
OUTSIDE = "This action is outside the authorized scopes"
CODE = re.compile(r'id="oauth-code">([^<]+)<')
STORED = ("posts", "likes", "notifications", "oauth_apps", "oauth_codes", "oauth_tokens")


@dataclass
class Api:
    site: Site
    app: dict[str, Any]
    headers: dict[str, str]

    @property
    def client(self) -> httpx.Client:
        return self.site.client

    def count(self, table: str = "posts") -> int:
        return int(self.site.node.db.scalar(f"SELECT count(*) FROM {table}") or 0)

    def get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.client.get(path, headers=self.headers if headers is None else headers)

    def send(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
             ) -> httpx.Response:
        return self.client.request(method, path, json=body if body is not None else {},
                                   headers=self.headers if headers is None else headers)

    def grant(self, **fields: str) -> httpx.Response:
        return self.client.post("/oauth/token", data={"client_id": self.app["client_id"],
                                                      "client_secret": self.app["client_secret"]} | fields)

    def token(self, scope: str = SCOPES, username: str = "anne") -> dict[str, str]:
        answer = self.grant(grant_type="password", username=username, password=PASSWORD, scope=scope)
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def register(site: Site, scopes: str = SCOPES) -> dict[str, Any]:
    answer = site.client.post("/api/v1/apps", data={"client_name": "Proef", "redirect_uris": OOB, "scopes": scopes})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One node for the module (hashing passwords is slow); every test counts what it adds, not what there is."""
    site = make_site(tmp_path_factory.mktemp("bad-input"))
    with site.client:
        site.member("anne")
        site.member("bram")
        site.group()
        made = Api(site, register(site), {})
        made.headers = made.token()
        yield made
    site.node.db.close()


@contextmanager
def nothing_stored(api: Api, *tables: str) -> Iterator[None]:
    before = {table: api.count(table) for table in tables or STORED}
    yield
    assert {table: api.count(table) for table in tables or STORED} == before, "something was stored"


def error(answer: httpx.Response, status: int, message: str | None = None) -> dict[str, str]:
    """The answer is a Mastodon-style JSON error: {"error": "...", "error_description": "..."}."""
    assert answer.status_code == status, f"{answer.status_code} {answer.text[:300]}"
    assert answer.headers["content-type"].startswith("application/json"), answer.headers["content-type"]
    body = answer.json()
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], body
    assert set(body) <= {"error", "error_description"}, body
    assert all(isinstance(value, str) for value in body.values()), body
    if message is not None:
        assert body["error"] == message, body
    return body


def status(api: Api, text: str, **extra: str) -> str:
    answer = api.send("POST", "/api/v1/statuses", {"status": text, **extra})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


# Tokens

@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/v1/accounts/verify_credentials"), ("GET", "/api/v1/timelines/public"),
    ("POST", "/api/v1/statuses"), ("POST", "/api/v1/accounts/2/follow")])
@pytest.mark.parametrize("header", ["Bearer not-a-token", "Bearer " + "x" * 43, "Basic YW5uZTpwdw=="])
def test_an_unknown_token_is_401_even_where_none_is_needed(api: Api, method: str, path: str, header: str) -> None:
    with nothing_stored(api, *STORED, "follows"):
        error(api.send(method, path, {"status": "Hallo"}, headers={"Authorization": header}), 401,
              "The access token is invalid")


def test_no_token_where_one_is_needed_is_401(api: Api) -> None:
    with nothing_stored(api):
        error(api.get("/api/v1/accounts/verify_credentials", headers={}), 401)
        error(api.send("POST", "/api/v1/statuses", {"status": "Hallo"}, headers={}), 401)


def test_a_revoked_token_is_401(api: Api) -> None:
    headers = api.token()
    token = headers["Authorization"].split()[1]
    assert api.get("/api/v1/accounts/verify_credentials", headers).status_code == 200
    other = register(api.site)
    stranger = api.client.post("/oauth/revoke", data={"client_id": other["client_id"],
                                                       "client_secret": other["client_secret"], "token": token})
    assert stranger.status_code in (200, 403)
    assert api.get("/api/v1/accounts/verify_credentials", headers).status_code == 200, "another app revoked it"
    revoked = api.client.post("/oauth/revoke", data={"client_id": api.app["client_id"],
                                                     "client_secret": api.app["client_secret"], "token": token})
    assert revoked.status_code == 200 and revoked.json() == {}
    with nothing_stored(api):
        error(api.get("/api/v1/accounts/verify_credentials", headers), 401, "The access token is invalid")
        error(api.send("POST", "/api/v1/statuses", {"status": "Na intrekken"}, headers), 401)
    assert api.get("/api/v1/accounts/verify_credentials").status_code == 200, "only that token was revoked"


def test_a_read_token_cannot_write(api: Api) -> None:
    topic = status(api, "Titel @open-overheid\ntekst")
    read = api.token(scope="read", username="bram")
    with nothing_stored(api):
        error(api.send("POST", "/api/v1/statuses", {"status": "Mag niet"}, read), 403, OUTSIDE)
        error(api.send("POST", "/api/v1/statuses", {"status": "Nee", "in_reply_to_id": topic}, read), 403, OUTSIDE)
        error(api.send("POST", f"/api/v1/statuses/{topic}/favourite", None, read), 403, OUTSIDE)
        error(api.send("DELETE", f"/api/v1/statuses/{topic}", None, read), 403, OUTSIDE)
    assert api.get(f"/api/v1/statuses/{topic}").status_code == 200, "still there"
    assert api.get("/api/v1/timelines/home", read).status_code == 200, "reading is allowed"


def test_a_token_cannot_have_more_scopes_than_its_app(api: Api) -> None:
    narrow = Api(api.site, register(api.site, "read"), {})
    with nothing_stored(api):
        error(narrow.grant(grant_type="password", username="anne", password=PASSWORD, scope="read write"), 400,
              "invalid_scope")
        error(narrow.grant(grant_type="password", username="anne", password=PASSWORD, scope="admin"), 422,
              "invalid_scope")


def test_an_app_token_is_not_a_member(api: Api) -> None:
    answer = api.grant(grant_type="client_credentials", scope="read write")
    assert answer.status_code == 200, answer.text
    app_headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    assert api.get("/api/v1/apps/verify_credentials", app_headers).status_code == 200
    with nothing_stored(api):
        error(api.get("/api/v1/accounts/verify_credentials", app_headers), 422,
              "This method requires an authenticated user")
        error(api.send("POST", "/api/v1/statuses", {"status": "Als app"}, app_headers), 422)


# Ids

@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("bad", ["abc", "99999999", "-1", "1e3", "0x1", "9" * 30, "1%20", "%00"])
def test_a_status_id_that_is_not_one_is_a_json_404(api: Api, method: str, bad: str) -> None:
    status(api, "Er is wel een bericht")
    with nothing_stored(api):
        error(api.send(method, f"/api/v1/statuses/{bad}", {"status": "Nieuw"}), 404, "Record not found")


@pytest.mark.parametrize("path", ["/api/v1/statuses/{}/context", "/api/v1/statuses/{}/source",
                                  "/api/v1/statuses/{}/history", "/api/v1/accounts/{}", "/api/v1/accounts/{}/statuses",
                                  "/api/v1/notifications/{}"])
@pytest.mark.parametrize("bad", ["abc", "99999999"])
def test_other_ids_that_are_not_are_json_404s(api: Api, path: str, bad: str) -> None:
    error(api.get(path.format(bad)), 404, "Record not found")


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/v1/statuses/{}"), ("GET", "/api/v1/statuses/{}/source"), ("GET", "/api/v1/statuses/{}/context"),
    ("GET", "/api/v1/statuses/{}/history"),
    ("PUT", "/api/v1/statuses/{}"), ("DELETE", "/api/v1/statuses/{}"), ("POST", "/api/v1/statuses/{}/favourite"),
    ("POST", "/api/v1/statuses/{}/reblog")])
def test_a_deleted_status_is_a_json_404(api: Api, method: str, path: str) -> None:
    gone = status(api, "Even hier\nen dan weg")
    assert api.send("DELETE", f"/api/v1/statuses/{gone}").status_code == 200
    with nothing_stored(api, *STORED, "deliveries"):
        error(api.send(method, path.format(gone), {"status": "Terug?"}), 404, "Record not found")


@pytest.mark.parametrize("action", ["favourite", "reblog"])
def test_acting_on_a_missing_status_stores_nothing(api: Api, action: str) -> None:
    with nothing_stored(api):
        error(api.send("POST", f"/api/v1/statuses/99999999/{action}"), 404, "Record not found")
        error(api.send("POST", "/api/v1/statuses", {"status": "Antwoord", "in_reply_to_id": "99999999"}), 404)
        error(api.send("POST", "/api/v1/statuses", {"status": "Antwoord", "in_reply_to_id": "abc"}), 404)


# Statuses

@pytest.mark.parametrize("text", [
    "x" * 50_001,                                # one line: a blog post whose title and body are that line
    "Titel\n" + "x" * 49_995,                    # a title and a body, 50,001 characters in all
    "Titel @open-overheid\n" + "x" * 49_980,     # a topic, 50,001 characters with the mention
    "é" * 50_001,                                # characters, not bytes
])
def test_a_status_over_50000_characters_is_422_and_not_stored(api: Api, text: str) -> None:
    assert len(text) == 50_001
    with nothing_stored(api):
        error(api.send("POST", "/api/v1/statuses", {"status": text}), 422)


def test_an_oversized_reply_or_edit_is_422_and_changes_nothing(api: Api) -> None:
    topic = status(api, "Titel @open-overheid\ntekst")
    with nothing_stored(api):
        error(api.send("POST", "/api/v1/statuses", {"status": "x" * 50_001, "in_reply_to_id": topic}), 422)
        error(api.send("PUT", f"/api/v1/statuses/{topic}", {"status": "Titel\n" + "x" * 50_001}), 422)
    assert api.get(f"/api/v1/statuses/{topic}/source").json()["text"] == "Titel\n\ntekst"


def test_a_status_of_50000_characters_is_accepted(api: Api) -> None:
    before = api.count()
    assert api.send("POST", "/api/v1/statuses", {"status": "x" * 50_000}).status_code == 200
    assert api.count() == before + 1


@pytest.mark.parametrize("body", [{}, {"status": ""}, {"status": "   \n  "}, {"status": None},
                                  {"status": ["a", "b"]}, {"status": {"text": "a"}}, {"spoiler_text": "Alleen dit"}])
def test_a_status_without_text_is_422(api: Api, body: dict[str, Any]) -> None:
    with nothing_stored(api):
        error(api.send("POST", "/api/v1/statuses", body), 422)


def test_an_edit_without_text_is_422(api: Api) -> None:
    topic = status(api, "Titel\ntekst")
    with nothing_stored(api):
        error(api.send("PUT", f"/api/v1/statuses/{topic}", {}), 422)
        error(api.send("PUT", f"/api/v1/statuses/{topic}", {"status": " "}), 422)
    assert api.get(f"/api/v1/statuses/{topic}/source").json()["text"] == "Titel\n\ntekst"


@pytest.mark.parametrize("visibility", ["direct", "private", "secret"])
def test_a_status_that_is_not_public_is_422(api: Api, visibility: str) -> None:
    with nothing_stored(api):
        error(api.send("POST", "/api/v1/statuses", {"status": "Onder ons @bram", "visibility": visibility}), 422)


def test_unknown_media_is_404_and_polls_are_422(api: Api) -> None:
    poll = {"status": "Peiling", "poll": {"options": ["ja", "nee"], "expires_in": 3600}}
    with nothing_stored(api):
        error(api.send("POST", "/api/v1/statuses", {"status": "Met foto", "media_ids": ["999"]}), 404)
        error(api.send("POST", "/api/v1/statuses", {"status": "Met foto", "media_ids": ["een"]}), 404)
        error(api.client.post("/api/v1/statuses", data={"status": "Met foto", "media_ids[]": "999"},
                              headers=api.headers), 404)
        error(api.send("POST", "/api/v1/statuses", poll), 422)
        error(api.client.post("/api/v1/statuses", data={"status": "Peiling", "poll[options][]": "ja",
                                                        "poll[expires_in]": "3600"}, headers=api.headers), 422)


# Bodies

@pytest.mark.parametrize("raw", [b"[]", b'["status"]', b'"Hallo"', b"null", b"42", b"{not json", b'{"status": "x"'])
@pytest.mark.parametrize("path", ["/api/v1/statuses", "/api/v1/apps", "/oauth/token", "/api/v1/markers"])
def test_a_json_body_that_is_not_an_object_is_400(api: Api, raw: bytes, path: str) -> None:
    with nothing_stored(api):
        error(api.client.post(path, content=raw, headers=api.headers | {"Content-Type": "application/json"}), 400)


def test_a_body_over_the_limit_is_413(api: Api) -> None:
    with nothing_stored(api):
        answer = api.client.post("/api/v1/statuses", content=b'{"status": "' + b"x" * 300_000 + b'"}',
                                 headers=api.headers | {"Content-Type": "application/json"})
    error(answer, 413)


# OAuth

def test_grants_gone_wrong(api: Api) -> None:
    with nothing_stored(api):
        error(api.grant(grant_type="implicit"), 400, "unsupported_grant_type")
        error(api.grant(), 400, "unsupported_grant_type")
        error(api.grant(grant_type="password", username="anne", password=PASSWORD, client_secret="wrong"), 401,
              "invalid_client")
        error(api.grant(grant_type="client_credentials", client_id="nobody"), 401, "invalid_client")
        error(api.grant(grant_type="password", username="anne", password="wrong"), 400, "invalid_grant")
        error(api.grant(grant_type="password", username="niemand", password=PASSWORD), 400, "invalid_grant")
        error(api.grant(grant_type="authorization_code", code="made-up", redirect_uri=OOB), 400, "invalid_grant")


def authorize(api: Api, challenge: str | None = None) -> str:
    """Log in and approve on our consent page; the code shown for out-of-band apps."""
    query = {"client_id": api.app["client_id"], "redirect_uri": OOB, "response_type": "code", "scope": "read write"}
    if challenge:
        query |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    page = api.client.get("/oauth/authorize", params=query)
    assert page.status_code == 200, page.text
    csrf = CSRF.search(page.text)
    assert csrf, "no CSRF token on the consent page"
    answer = api.client.post("/oauth/authorize", data=query | {
        "csrf": csrf.group(1), "username": "anne", "password": PASSWORD, "decision": "approve"})
    assert answer.status_code == 200, answer.text
    code = CODE.search(answer.text)
    assert code, "no code on the page"
    return code.group(1)


def test_an_authorization_code_works_once(api: Api) -> None:
    code = authorize(api)
    error(api.grant(grant_type="authorization_code", code=code, redirect_uri="https://elders.example/cb"), 400,
          "invalid_grant")
    code = authorize(api)
    first = api.grant(grant_type="authorization_code", code=code, redirect_uri=OOB)
    assert first.status_code == 200, first.text
    with nothing_stored(api):
        error(api.grant(grant_type="authorization_code", code=code, redirect_uri=OOB), 400, "invalid_grant")


def test_pkce_with_a_wrong_verifier_is_refused(api: Api) -> None:
    verifier = "v" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    for wrong in ("w" * 64, None, challenge):
        code = authorize(api, challenge)
        fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": OOB}
        with nothing_stored(api, "oauth_tokens"):
            error(api.grant(**fields, **({"code_verifier": wrong} if wrong else {})), 400, "invalid_grant")
    right = api.grant(grant_type="authorization_code", code=authorize(api, challenge), redirect_uri=OOB,
                      code_verifier=verifier)
    assert right.status_code == 200, right.text


def test_a_plain_pkce_challenge_is_refused(api: Api) -> None:
    query = {"client_id": api.app["client_id"], "redirect_uri": OOB, "response_type": "code", "scope": "read",
             "code_challenge": "abc", "code_challenge_method": "plain"}
    page = api.client.get("/oauth/authorize", params=query)
    csrf = CSRF.search(page.text)
    assert csrf
    with nothing_stored(api):
        answer = api.client.post("/oauth/authorize", data=query | {
            "csrf": csrf.group(1), "username": "anne", "password": PASSWORD, "decision": "approve"})
    # a browser page, not JSON: the consent page's other refusals are an error page with 400
    assert answer.status_code == 400, f"{answer.status_code} {answer.text[:300]}"
    assert "S256" in answer.text


# Paths

@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/v1/whatever"), ("POST", "/api/v1/whatever"), ("DELETE", "/api/v1/whatever/1"),
    ("PATCH", "/api/v2/whatever"), ("GET", "/api/v1/bookmarks"), ("GET", "/api/v1/trends/tags"),
    ("GET", "/api/v3/instance"), ("GET", "/api/v1/statuses/1/favourited_by"), ("PUT", "/api/v1/whatever")])
def test_paths_we_do_not_serve_are_json_404s(api: Api, method: str, path: str) -> None:
    with nothing_stored(api):
        error(api.send(method, path, {"status": "Hallo"}), 404)


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/v1/instance/"), ("GET", "/api/v2/instance/"), ("GET", "/api/v1/timelines/public/"),
    ("GET", "/api/v1/accounts/verify_credentials/"), ("GET", "/api/v1/notifications/"),
    ("GET", "/api/v1/custom_emojis/"), ("POST", "/api/v1/statuses/")])
def test_a_trailing_slash_is_the_same_path(api: Api, method: str, path: str) -> None:
    before = api.count()
    answer = api.send(method, path, {"status": "Met een schuine streep"} if method == "POST" else None)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert api.count() == before + (1 if method == "POST" else 0)


def test_token_and_revoke_with_a_trailing_slash(api: Api) -> None:
    answer = api.client.post("/oauth/token/", data={"client_id": api.app["client_id"], "scope": "read",
                                                    "client_secret": api.app["client_secret"],
                                                    "grant_type": "client_credentials"})
    assert answer.status_code == 200, answer.text
    revoked = api.client.post("/oauth/revoke/", data={"client_id": api.app["client_id"], "token":
                                                      answer.json()["access_token"],
                                                      "client_secret": api.app["client_secret"]})
    assert revoked.status_code == 200
    error(api.get("/api/v1/apps/verify_credentials",
                  {"Authorization": f"Bearer {answer.json()['access_token']}"}), 401)

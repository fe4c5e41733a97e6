"""Every endpoint of our client API against Mastodon's OpenAPI description (tests/fixtures/mastodon-openapi.json).

One test case per endpoint (each row of node/api/routes.py TABLE, and the OAuth endpoints): the 200 body must
validate against the response schema of the matching operation, with $refs resolved in the whole document by a
Draft 2020-12 validator. On top of the schema: ids are strings, times are ISO 8601 with milliseconds and Z,
spoiler_text is "" (never null), avatars and headers are URLs, and list answers page with Link headers.
"""

from __future__ import annotations

import copy
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2 as httpx
import pytest
from jsonschema import Draft202012Validator
from PIL import Image
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from node.api.entities import GROUP_OFFSET, MODERATION_SINCE, moderation_account
from node.api.routes import TABLE
from node.services import rules
from node.services.accounts import USERNAME
from tests import media_samples
from tests.helpers import PASSWORD, make_site

SPEC_PATH = Path(__file__).resolve().parent / "fixtures" / "mastodon-openapi.json"
SPEC_URI = "urn:meent:mastodon-openapi"
OOB = "urn:ietf:wg:oauth:2.0:oob"
SCOPES = "read write follow push"

# Part of the repository (tests/fixtures/README.md): missing means a broken checkout, so fail, never skip.
if not SPEC_PATH.is_file():
    pytest.fail(f"Mastodon's OpenAPI description is missing: {SPEC_PATH}", pytrace=False)

# Fields the description marks required that no client needs and that we do not send. Only these are relaxed,
# in a copy of the schema (the fixture itself stays as it is). {schema name: {field: why}}
RELAXED: dict[str, dict[str, str]] = {
    "DiscoverOauthServerConfigurationResponse": {
        "userinfo_endpoint": "OpenID Connect's userinfo; we serve no /oauth/userinfo and no Mastodon client reads it",
    },
}

# Operations whose 200 the description leaves without a schema, or describes wrongly. {(method, path): (schema, why)}
EMPTY = {"type": "object", "maxProperties": 0}
OVERRIDES: dict[tuple[str, str], tuple[dict[str, Any], str]] = {
    ("GET", "/api/v1/filters"): ({"type": "array", "items": {"$ref": "#/components/schemas/V1Filter"}},
                                 'the description says "List of [V1::Filter]" but gives a single V1Filter'),
    ("POST", "/api/v1/notifications/clear"): (EMPTY, "no schema; Mastodon answers {}"),
    ("POST", "/oauth/revoke"): (EMPTY, "no schema; Mastodon answers {}"),
    ("GET", "/api/v1/preferences"): ({
        "type": "object",
        "required": ["posting:default:visibility", "posting:default:sensitive", "posting:default:language",
                     "reading:expand:media", "reading:expand:spoilers"],
        "properties": {
            "posting:default:visibility": {"enum": ["public", "unlisted", "private", "direct"]},
            "posting:default:sensitive": {"type": "boolean"},
            "posting:default:language": {"type": ["string", "null"]},
            "reading:expand:media": {"enum": ["default", "show_all", "hide_all"]},
            "reading:expand:spoilers": {"type": "boolean"},
        }}, "no schema; the keys are those of docs.joinmastodon.org/methods/preferences"),
}

TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Answers that must have content here, or their schema check would prove nothing.
FILLED = {"/api/v1/accounts/relationships", "/api/v1/accounts/{id}/statuses", "/api/v1/notifications",
          "/api/v1/timelines/home", "/api/v1/timelines/public", "/api/v1/timelines/tag/{tag}",
          "/api/v1/statuses/{id}/context", "/api/v1/statuses/{id}/history", "/api/v2/search", "/api/v1/markers",
          "/api/v1/instance/rules"}
PAGED = {"/api/v1/timelines/home", "/api/v1/timelines/public", "/api/v1/timelines/tag/{tag}",
         "/api/v1/accounts/{id}/statuses", "/api/v1/notifications"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text())


@pytest.fixture(scope="module")
def registry(spec: dict[str, Any]) -> Registry:
    relaxed = copy.deepcopy(spec)
    for name, fields in RELAXED.items():
        schema = relaxed["components"]["schemas"][name]
        schema["required"] = [f for f in schema.get("required", []) if f not in fields]
    return Registry().with_resource(SPEC_URI, DRAFT202012.create_resource(relaxed))


def _template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def response_schema(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    """A $ref into the description to the 200 schema of the operation whose path template matches `path`."""
    if (method, path) in OVERRIDES:
        return {"$id": SPEC_URI, **OVERRIDES[method, path][0]}
    matches = [p for p in spec["paths"] if _template(p) == _template(path)]
    assert matches, f"the description has no path {path}"
    operation = spec["paths"][matches[0]].get(method.lower())
    assert operation is not None, f"the description has no {method} {matches[0]}"
    content = operation["responses"]["200"].get("content", {})
    assert "application/json" in content, f"{method} {path}: no JSON schema for 200; add it to OVERRIDES with why"
    pointer = "/".join(part.replace("~", "~0").replace("/", "~1") for part in
                       ["paths", matches[0], method.lower(), "responses", "200", "content", "application/json",
                        "schema"])
    return {"$ref": f"{SPEC_URI}#/{pointer}"}


@dataclass
class World:
    client: httpx.Client
    anne: dict[str, str]
    bram: dict[str, str]
    app: dict[str, Any]
    ids: dict[str, str]

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.client.get(path, params=params, headers=self.anne)

    def send(self, method: str, path: str, body: dict[str, Any] | None = None, who: str = "anne") -> httpx.Response:
        headers = self.anne if who == "anne" else self.bram
        return self.client.request(method, path, json=body or {}, headers=headers)

    def upload(self, method: str, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes, str]],
               who: str = "anne") -> httpx.Response:
        """A multipart request, as apps send media and profile images."""
        headers = self.anne if who == "anne" else self.bram
        return self.client.request(method, path, data=fields, files=files, headers=headers)

    def media(self, description: str = "Een groen vlak") -> str:
        answer = self.upload("POST", "/api/v1/media", {"description": description},
                             {"file": ("vlak.png", media_samples.png(), "image/png")})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["id"])

    def status(self, text: str, **extra: Any) -> str:
        answer = self.send("POST", "/api/v1/statuses", {"status": text, **extra})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["id"])


def login(client: httpx.Client, username: str) -> tuple[dict[str, Any], dict[str, str]]:
    app = client.post("/api/v1/apps", json={"client_name": "Conformance", "redirect_uris": OOB, "scopes": SCOPES})
    assert app.status_code == 200, app.text
    token = client.post("/oauth/token", json={
        "grant_type": "password", "client_id": app.json()["client_id"], "client_secret": app.json()["client_secret"],
        "username": username, "password": PASSWORD, "scope": SCOPES})
    assert token.status_code == 200, token.text
    return app.json(), {"Authorization": f"Bearer {token.json()['access_token']}"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    site = make_site(tmp_path_factory.mktemp("conformance"))
    with site.client:
        for name in ("anne", "bram", "woordvoerder"):
            site.member(name)
        site.group()
        rules.set_node_rules(site.node, None, ["Wees beleefd", "Geen persoonsgegevens van anderen"])
        app, anne = login(site.client, "anne")
        _, bram = login(site.client, "bram")
        w = World(site.client, anne, bram, app, {})
        w.ids["topic"] = w.status("Titel @open-overheid\ntekst #woo")
        reply = w.send("POST", "/api/v1/statuses", {"status": "Mee eens, #woo", "in_reply_to_id": w.ids["topic"]},
                       who="bram")
        w.ids["reply"] = reply.json()["id"]
        w.ids["answer"] = w.status("Dank je", in_reply_to_id=w.ids["reply"])
        w.ids["blog"] = w.status("Blogtitel\nOver #woo en werk.", media_ids=[w.media()])
        assert w.send("PUT", f"/api/v1/statuses/{w.ids['blog']}", {"status": "Blogtitel\nBijgewerkt #woo"}).is_success
        assert w.send("POST", f"/api/v1/statuses/{w.ids['topic']}/favourite", who="bram").is_success
        w.ids["anne"] = w.get("/api/v1/accounts/verify_credentials").json()["id"]
        for name in ("bram", "woordvoerder"):
            w.ids[name] = w.get("/api/v1/accounts/lookup", acct=name).json()["id"]
        w.ids["group"] = str(GROUP_OFFSET + 1)
        notes = w.get("/api/v1/notifications").json()
        assert {n["type"] for n in notes} == {"favourite", "mention"}, notes
        w.ids["notification"] = notes[0]["id"]
        assert w.send("POST", "/api/v1/markers", {"home": {"last_read_id": w.ids["topic"]}}).is_success
        yield w
    site.node.db.close()


Case = Callable[[World], httpx.Response]


def _delete(w: World) -> httpx.Response:
    return w.send("DELETE", f"/api/v1/statuses/{w.status('Weg ermee')}")


def _edit(w: World) -> httpx.Response:
    return w.send("PUT", f"/api/v1/statuses/{w.status('Eerste versie')}", {"status": "Tweede versie\nmet tekst"})


def _unfavourite(w: World) -> httpx.Response:
    assert w.send("POST", f"/api/v1/statuses/{w.ids['reply']}/favourite").is_success
    return w.send("POST", f"/api/v1/statuses/{w.ids['reply']}/unfavourite")


def _unfollow(w: World) -> httpx.Response:
    assert w.send("POST", f"/api/v1/accounts/{w.ids['woordvoerder']}/follow").is_success
    return w.send("POST", f"/api/v1/accounts/{w.ids['woordvoerder']}/unfollow")


def _token(w: World) -> httpx.Response:
    return w.client.post("/oauth/token", data={"grant_type": "password", "client_id": w.app["client_id"],
                                               "client_secret": w.app["client_secret"], "username": "bram",
                                               "password": PASSWORD, "scope": "read"})


def _revoke(w: World) -> httpx.Response:
    token = _token(w).json()["access_token"]
    return w.client.post("/oauth/revoke", data={"client_id": w.app["client_id"],
                                                "client_secret": w.app["client_secret"], "token": token})


def _avatar_removed(w: World) -> httpx.Response:
    assert w.upload("PATCH", "/api/v1/accounts/update_credentials", {},
                    {"avatar": ("ik.png", media_samples.png(), "image/png")}).is_success
    return w.send("DELETE", "/api/v1/profile/avatar")


def _header_removed(w: World) -> httpx.Response:
    assert w.upload("PATCH", "/api/v1/accounts/update_credentials", {},
                    {"header": ("kop.jpg", media_samples.jpeg_with_gps(), "image/jpeg")}).is_success
    return w.send("DELETE", "/api/v1/profile/header")


CASES: dict[tuple[str, str], Case] = {
    ("POST", "/api/v1/apps"): lambda w: w.client.post("/api/v1/apps", data={
        "client_name": "Nog een app", "redirect_uris": OOB, "scopes": "read write", "website": "https://example.org"}),
    ("GET", "/api/v1/apps/verify_credentials"): lambda w: w.get("/api/v1/apps/verify_credentials"),
    ("GET", "/api/v1/instance"): lambda w: w.client.get("/api/v1/instance"),
    ("GET", "/api/v2/instance"): lambda w: w.client.get("/api/v2/instance"),
    ("GET", "/api/v1/instance/rules"): lambda w: w.client.get("/api/v1/instance/rules"),
    ("GET", "/api/v1/accounts/verify_credentials"): lambda w: w.get("/api/v1/accounts/verify_credentials"),
    ("PATCH", "/api/v1/accounts/update_credentials"): lambda w: w.send(
        "PATCH", "/api/v1/accounts/update_credentials", {"display_name": "Anne de Vries", "note": "Over Woo"}),
    ("DELETE", "/api/v1/profile/avatar"): _avatar_removed,
    ("DELETE", "/api/v1/profile/header"): _header_removed,
    ("GET", "/api/v1/accounts/lookup"): lambda w: w.get("/api/v1/accounts/lookup", acct="bram"),
    ("GET", "/api/v1/accounts/relationships"): lambda w: w.get(
        "/api/v1/accounts/relationships", **{"id[]": [w.ids["bram"], w.ids["group"]]}),
    ("GET", "/api/v1/accounts/{id}"): lambda w: w.get(f"/api/v1/accounts/{w.ids['group']}"),
    ("GET", "/api/v1/accounts/{id}/statuses"): lambda w: w.get(f"/api/v1/accounts/{w.ids['anne']}/statuses"),
    ("GET", "/api/v1/accounts/{id}/followers"): lambda w: w.get(f"/api/v1/accounts/{w.ids['bram']}/followers"),
    ("GET", "/api/v1/accounts/{id}/following"): lambda w: w.get(f"/api/v1/accounts/{w.ids['bram']}/following"),
    ("POST", "/api/v1/accounts/{id}/follow"): lambda w: w.send("POST", f"/api/v1/accounts/{w.ids['bram']}/follow"),
    ("POST", "/api/v1/accounts/{id}/unfollow"): _unfollow,
    ("GET", "/api/v1/timelines/home"): lambda w: w.get("/api/v1/timelines/home"),
    ("GET", "/api/v1/timelines/public"): lambda w: w.get("/api/v1/timelines/public"),
    ("GET", "/api/v1/timelines/tag/{tag}"): lambda w: w.get("/api/v1/timelines/tag/woo"),
    ("POST", "/api/v1/statuses"): lambda w: w.send("POST", "/api/v1/statuses", {"status": "Nieuw\nmet #woo"}),
    ("GET", "/api/v1/statuses/{id}"): lambda w: w.get(f"/api/v1/statuses/{w.ids['reply']}"),
    ("DELETE", "/api/v1/statuses/{id}"): _delete,
    ("PUT", "/api/v1/statuses/{id}"): _edit,
    ("GET", "/api/v1/statuses/{id}/source"): lambda w: w.get(f"/api/v1/statuses/{w.ids['blog']}/source"),
    ("GET", "/api/v1/statuses/{id}/history"): lambda w: w.get(f"/api/v1/statuses/{w.ids['blog']}/history"),
    ("GET", "/api/v1/statuses/{id}/context"): lambda w: w.get(f"/api/v1/statuses/{w.ids['reply']}/context"),
    ("POST", "/api/v1/statuses/{id}/favourite"): lambda w: w.send(
        "POST", f"/api/v1/statuses/{w.ids['answer']}/favourite", who="bram"),
    ("POST", "/api/v1/statuses/{id}/unfavourite"): _unfavourite,
    ("POST", "/api/v1/statuses/{id}/reblog"): lambda w: w.send("POST", f"/api/v1/statuses/{w.ids['reply']}/reblog"),
    ("POST", "/api/v1/statuses/{id}/unreblog"): lambda w: w.send(
        "POST", f"/api/v1/statuses/{w.ids['reply']}/unreblog"),
    ("POST", "/api/v1/media"): lambda w: w.upload("POST", "/api/v1/media", {"description": "Foto", "focus": "0.5,-0.2"},
                                                  {"file": ("foto.jpg", media_samples.jpeg_with_gps(2000, 1500),
                                                            "image/jpeg")}),
    ("POST", "/api/v2/media"): lambda w: w.upload("POST", "/api/v2/media", {},
                                                  {"file": ("nota.pdf", media_samples.PDF, "application/pdf")}),
    ("GET", "/api/v1/media/{id}"): lambda w: w.send("GET", f"/api/v1/media/{w.media()}"),
    ("PUT", "/api/v1/media/{id}"): lambda w: w.send("PUT", f"/api/v1/media/{w.media()}", {
        "description": "Een vlak in groen", "focus": "0,0.5"}),
    ("POST", "/api/v1/reports"): lambda w: w.send("POST", "/api/v1/reports", {
        "account_id": w.ids["bram"], "status_ids": [w.ids["reply"]], "comment": "Reclame", "category": "spam"}),
    ("GET", "/api/v1/notifications"): lambda w: w.get("/api/v1/notifications"),
    ("POST", "/api/v1/notifications/clear"): lambda w: w.send("POST", "/api/v1/notifications/clear"),
    ("GET", "/api/v1/notifications/{id}"): lambda w: w.get(f"/api/v1/notifications/{w.ids['notification']}"),
    ("GET", "/api/v2/search"): lambda w: w.get("/api/v2/search", q="woo"),
    ("GET", "/api/v1/markers"): lambda w: w.get("/api/v1/markers", **{"timeline[]": ["home", "notifications"]}),
    ("POST", "/api/v1/markers"): lambda w: w.send(
        "POST", "/api/v1/markers", {"notifications": {"last_read_id": w.ids["notification"]}}),
    ("GET", "/api/v1/preferences"): lambda w: w.get("/api/v1/preferences"),
    ("GET", "/api/v1/custom_emojis"): lambda w: w.client.get("/api/v1/custom_emojis"),
    ("GET", "/api/v1/lists"): lambda w: w.get("/api/v1/lists"),
    ("GET", "/api/v1/announcements"): lambda w: w.get("/api/v1/announcements"),
    ("GET", "/api/v1/filters"): lambda w: w.get("/api/v1/filters"),
    ("GET", "/api/v2/filters"): lambda w: w.get("/api/v2/filters"),
    ("GET", "/api/v1/follow_requests"): lambda w: w.get("/api/v1/follow_requests"),
    ("POST", "/oauth/token"): _token,
    ("POST", "/oauth/revoke"): _revoke,
    ("GET", "/.well-known/oauth-authorization-server"): lambda w: w.client.get(
        "/.well-known/oauth-authorization-server"),
}
OAUTH = {("POST", "/oauth/token"), ("POST", "/oauth/revoke"), ("GET", "/.well-known/oauth-authorization-server")}


def test_every_endpoint_we_serve_has_a_case() -> None:
    served = {(methods[0], path) for path, _, methods in TABLE} | OAUTH
    assert served == set(CASES), f"missing: {served - set(CASES)}, stale: {set(CASES) - served}"


def test_the_allow_list_names_fields_the_description_requires(spec: dict[str, Any]) -> None:
    for name, fields in RELAXED.items():
        required = spec["components"]["schemas"][name].get("required", [])
        assert set(fields) <= set(required), f"{name}: {set(fields) - set(required)} not required any more"


def conventions(value: Any, where: str = "$") -> list[str]:
    """What clients assume beyond the schema: string ids, times with milliseconds and Z, "" spoilers, URL avatars."""
    problems: list[str] = []
    if isinstance(value, list):
        for index, item in enumerate(value):
            problems += conventions(item, f"{where}[{index}]")
        return problems
    if not isinstance(value, dict):
        return problems
    for key, item in value.items():
        here = f"{where}.{key}"
        if (key == "id" or key.endswith("_id")) and item is not None and not isinstance(item, str):
            problems.append(f"{here} is {item!r}, not a string")
        if key == "last_status_at":  # a day in Mastodon, not a time
            if item is not None and not DAY.match(str(item)):
                problems.append(f"{here} is {item!r}, not a date YYYY-MM-DD")
        elif key.endswith("_at") and isinstance(item, str) and not TIME.match(item):
            problems.append(f"{here} is {item!r}, not YYYY-MM-DDTHH:MM:SS.mmmZ")
        problems += conventions(item, here)
    if "spoiler_text" in value and value["spoiler_text"] != "":
        problems.append(f"{where}.spoiler_text is {value['spoiler_text']!r}, not \"\"")
    if "acct" in value:
        for key in ("avatar", "avatar_static", "header", "header_static"):
            if not re.match(r"^https?://\S+$", str(value.get(key) or "")):
                problems.append(f"{where}.{key} is {value.get(key)!r}, not a URL")
    return problems


def link_problems(answer: httpx.Response, body: Any) -> list[str]:
    link = answer.headers.get("link")
    if not body:
        return []
    if not link:
        return ["no Link header on a non-empty page"]
    rels = dict((rel, url) for url, rel in re.findall(r'<([^>]+)>;\s*rel="(\w+)"', link))
    problems = []
    for rel, name, item in (("next", "max_id", body[-1]), ("prev", "min_id", body[0])):
        query = parse_qs(urlsplit(rels.get(rel, "")).query)
        if query.get(name) != [item["id"]]:
            problems.append(f'rel="{rel}" should carry {name}={item["id"]}: {link}')
    return problems


@pytest.mark.parametrize(("method", "path"), sorted(CASES), ids=[f"{m} {p}" for m, p in sorted(CASES)])
def test_endpoint_answers_as_the_description_says(world: World, spec: dict[str, Any], registry: Registry,
                                                  method: str, path: str) -> None:
    answer = CASES[method, path](world)
    assert answer.status_code == 200, f"{method} {path}: {answer.status_code} {answer.text[:500]}"
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    if path in FILLED:
        assert body and (isinstance(body, list) or all(body.values())), f"{method} {path}: nothing to check: {body}"
    validator = Draft202012Validator(response_schema(spec, method, path), registry=registry)
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    report = [f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message[:300]}" for e in errors]
    report += conventions(body)
    if path in PAGED:
        report += link_problems(answer, body)
    assert not report, f"{method} {path}:\n" + "\n".join(report)


def test_an_edited_status_has_its_versions_as_status_edits(world: World) -> None:
    """The blog post was edited once (with its picture): two versions, the current one last, as Status shows it."""
    versions = world.get(f"/api/v1/statuses/{world.ids['blog']}/history").json()
    status = world.get(f"/api/v1/statuses/{world.ids['blog']}").json()
    first, current = versions
    assert first["content"].startswith("<p><strong>Blogtitel</strong></p><p>Over ") and "en werk." in first["content"]
    assert current["content"] == status["content"] and "Bijgewerkt" in current["content"]
    assert [v["account"]["id"] for v in versions] == [world.ids["anne"]] * 2
    assert versions[-1]["created_at"] == status["edited_at"] and versions[0]["created_at"] == status["created_at"]
    assert all(v["media_attachments"] == status["media_attachments"] for v in versions)


def test_the_moderators_stand_in_is_an_account_as_the_description_says(registry: Registry) -> None:
    """The stand-in a status edit credits when the viewer may not know which moderator made it
    (tests/test_api_history.py shows it in an answer); an acct no member can have."""
    stand_in = moderation_account("https://meent.example")
    validator = Draft202012Validator({"$ref": f"{SPEC_URI}#/components/schemas/Account"}, registry=registry)
    report = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in validator.iter_errors(stand_in)]
    assert not report + conventions(stand_in)
    assert not USERNAME.match(stand_in["acct"]) and stand_in["created_at"] == MODERATION_SINCE


def test_avatars_and_headers_are_images_we_serve(world: World) -> None:
    account = world.get("/api/v1/accounts/verify_credentials").json()
    for key in ("avatar", "avatar_static", "header", "header_static"):
        image = world.client.get(account[key])
        assert image.status_code == 200 and image.headers["content-type"].startswith("image/"), key


def test_timelines_page_back_and_forth_with_max_id_and_min_id(world: World) -> None:
    first = world.get("/api/v1/timelines/public", limit=2)
    ids = [s["id"] for s in world.get("/api/v1/timelines/public", limit=40).json()]
    assert [s["id"] for s in first.json()] == ids[:2]
    links = dict((rel, url) for url, rel in re.findall(r'<([^>]+)>;\s*rel="(\w+)"', first.headers["link"]))
    second = world.client.get(links["next"], headers=world.anne)
    assert [s["id"] for s in second.json()] == ids[2:4]
    assert "limit=2" in links["next"], "the Link keeps the other parameters"
    back = dict((rel, url) for url, rel in re.findall(r'<([^>]+)>;\s*rel="(\w+)"', second.headers["link"]))
    assert [s["id"] for s in world.client.get(back["prev"], headers=world.anne).json()] == ids[:2]
    newest = world.client.get(links["prev"], headers=world.anne)
    assert newest.status_code == 200 and newest.json() == [] and "link" not in newest.headers


def test_a_status_carries_its_attachments_as_files_we_serve(world: World) -> None:
    blog = world.get(f"/api/v1/statuses/{world.ids['blog']}").json()
    [attachment] = blog["media_attachments"]
    assert attachment["type"] == "image" and attachment["description"] == "Een groen vlak"
    assert attachment["meta"]["original"] == {"width": 300, "height": 200, "size": "300x200", "aspect": 1.5}
    assert attachment["remote_url"] is None and attachment["blurhash"]
    for key in ("url", "preview_url"):
        image = world.client.get(attachment[key])
        assert image.status_code == 200 and image.headers["content-type"] == "image/png", key


def test_a_large_photo_has_a_small_preview_and_a_document_is_unknown(world: World) -> None:
    photo = CASES["POST", "/api/v1/media"](world).json()  # 2000x1500, turned upright by its EXIF orientation
    assert photo["meta"]["original"] == {"width": 1500, "height": 2000, "size": "1500x2000", "aspect": 0.75}
    assert photo["meta"]["focus"] == {"x": 0.5, "y": -0.2} and photo["preview_url"] != photo["url"]
    preview = Image.open(io.BytesIO(world.client.get(photo["preview_url"]).content))
    small = photo["meta"]["small"]
    assert (small["width"], small["height"]) == preview.size == (960, 1280)
    document = CASES["POST", "/api/v2/media"](world).json()
    assert document["type"] == "unknown" and document["description"] is None and document["preview_url"] is None
    served = world.client.get(document["url"])
    assert served.status_code == 200 and served.content == media_samples.PDF

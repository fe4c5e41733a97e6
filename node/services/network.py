"""Following people and groups on other servers, by handle (@open-overheid@amsterdam.example) or URL, and
looking up a post or an actor by its URL."""

from __future__ import annotations

from urllib.parse import quote

from federation import discovery, ids, reading
from federation.actors import ActorUnavailable, RemoteActors
from federation.fetch import Fetcher, FetchError
from federation.policy import FederationPolicy, normalise_host
from node.services import outbound
from node.services.context import Node
from node.services.errors import Invalid
from node.services.ingest import Ingest
from storage import accounts, follows, groups, posts
from storage.db import Row


def _webfinger_url(policy: FederationPolicy, name: str, domain: str) -> str:
    host = normalise_host(domain) or domain
    # plain http only where private addresses are allowed (tests and demos on loopback)
    local = host in ("localhost",) or host.replace(".", "").isdigit()
    scheme = "http" if policy.allow_private_addresses and local else "https"
    return f"{scheme}://{domain}/.well-known/webfinger?resource={quote(f'acct:{name}@{domain}')}"


async def resolve(node: Node, fetcher: Fetcher, actors: RemoteActors, text: str) -> Row:
    """The remote actor a handle or URL names, fetched fresh; Invalid with a message when it cannot be."""
    text = text.strip()
    policy = FederationPolicy.from_config(node.config)
    try:
        if text.startswith(("https://", "http://")):
            uri: str | None = text
        else:
            name, domain = discovery.parse_handle(text)
            uri = discovery.actor_link(await fetcher.get_jrd(_webfinger_url(policy, name, domain)))
        if not uri:
            raise Invalid("error.remote_not_found", "handle")
        if ids.local_path(node.config.base_url, uri) is not None:
            raise Invalid("error.remote_is_local", "handle")
        return await _actor_at(fetcher, actors, uri)
    except discovery.BadHandle:
        raise Invalid("error.handle_format", "handle") from None
    except (FetchError, ActorUnavailable):
        raise Invalid("error.remote_not_found", "handle") from None


async def find_account(node: Node, text: str) -> Row:
    """A member by user name, or an account elsewhere by its actor URL or @name@server (fetched when new)."""
    text = text.strip()
    if not text:
        raise Invalid("error.required", "account")
    if not text.startswith(("https://", "http://")) and "@" not in text.lstrip("@"):
        found = accounts.local_by_username(node.db, text.lstrip("@").lower())
        if found is None:
            raise Invalid("error.account_unknown", "account")
        return found
    known = accounts.by_actor_uri(node.db, text)
    if known is not None:
        return known
    runtime = node.runtime()
    try:
        actor = await resolve(node, runtime.fetcher, runtime.actors, text)
    except Invalid:
        raise Invalid("error.account_unknown", "account") from None
    return await runtime.federated.ingest.remote_account(actor["uri"])


async def _actor_at(fetcher: Fetcher, actors: RemoteActors, url: str) -> Row:
    """The actor a URL names: its id, or a page that serves the actor's document under another id (a
    profile URL such as https://mastodon.example/@anne); the fetcher holds that id to the page's origin."""
    try:
        return await actors.get(url, refresh=True)
    except ActorUnavailable:
        actor_id = reading.id_of((await fetcher.get_json(url)).get("id"))
        if not actor_id or actor_id == url:
            raise
        return await actors.get(actor_id, refresh=True)


def _is_url(text: str) -> bool:
    return text.startswith(("https://", "http://"))


async def resolve_post(ingest: Ingest, url: str) -> Row | None:
    """A post by its URL: ours, one we have, or fetched and stored with the parents it needs, also where
    nobody here follows its author or group (someone asked for it), its thread completed by a queued
    backfill; None when the URL names no post we can show. `ingest` is the runtime's, which queues jobs."""
    found = ingest.known_post(url)
    if found is None and _is_url(url):
        found = await ingest.find_or_fetch(url)
    return found if found is not None and posts.is_visible(found) else None


async def store_actor(ingest: Ingest, actor: Row) -> tuple[str, Row]:
    """A resolved remote actor's row here: ("group", group row) or ("person", account row)."""
    if actor["type"] == "Group":
        group = await ingest.remote_group(actor["uri"])
        assert group is not None
        return "group", group
    return "person", await ingest.remote_account(actor["uri"])


def local_actor(node: Node, uri: str) -> tuple[str, Row] | None:
    """One of our own members or groups by its actor URL."""
    parsed = ids.parse_actor(node.config.base_url, uri)
    kind, name = parsed or ("", "")
    row = (accounts.local_by_username(node.db, name) if kind == "member"
           else groups.local_by_slug(node.db, name) if kind == "group" else None)
    if row is None or (kind == "member" and row["disabled"]):
        return None
    return ("person" if kind == "member" else "group"), row


async def look_up(ingest: Ingest, text: str) -> tuple[str, Row]:
    """What a handle or URL names, stored here: ("post", row), ("group", row) or ("person", account row)."""
    text = text.strip()
    if _is_url(text):
        post = await resolve_post(ingest, text)
        if post is not None:
            return "post", post
        local = local_actor(ingest.node, text)
        if local is not None:
            return local
    actor = await resolve(ingest.node, ingest.fetcher, ingest.actors, text)
    return await store_actor(ingest, actor)


async def follow(node: Node, fetcher: Fetcher, actors: RemoteActors, account: Row, text: str) -> Row:
    """Follow a remote person or group; a group also becomes one of the member's followed groups."""
    actor = await resolve(node, fetcher, actors, text)
    kind, row = await store_actor(Ingest(node, actors, fetcher), actor)
    if kind == "group":
        groups.follow(node.db, row["id"], account["id"], node.now())
    outbound.follow(node, ids.member(node.config.base_url, account["username"]), actor)
    return actor


def unfollow(node: Node, account: Row, actor_uri: str) -> None:
    group = groups.by_actor_uri(node.db, actor_uri)
    if group is not None:
        groups.unfollow(node.db, group["id"], account["id"])
    outbound.unfollow(node, ids.member(node.config.base_url, account["username"]), actor_uri)


def followed(node: Node, account: Row) -> list[Row]:
    """The remote actors a member follows, with the state of each follow."""
    return follows.followed_actors(node.db, ids.member(node.config.base_url, account["username"]))


def is_following(node: Node, account: Row, actor_uri: str) -> bool:
    member = ids.member(node.config.base_url, account["username"])
    return follows.get(node.db, member, actor_uri) is not None

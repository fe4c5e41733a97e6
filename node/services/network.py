"""Following people and groups on other servers, by handle (@open-overheid@amsterdam.example) or URL."""

from __future__ import annotations

from urllib.parse import quote

from federation import discovery, ids
from federation.actors import ActorUnavailable, RemoteActors
from federation.fetch import Fetcher, FetchError
from federation.policy import FederationPolicy, normalise_host
from node.services import outbound
from node.services.context import Node
from node.services.errors import Invalid
from node.services.ingest import Ingest
from storage import follows, groups
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
        return await actors.get(uri, refresh=True)
    except discovery.BadHandle:
        raise Invalid("error.handle_format", "handle") from None
    except (FetchError, ActorUnavailable):
        raise Invalid("error.remote_not_found", "handle") from None


async def follow(node: Node, fetcher: Fetcher, actors: RemoteActors, account: Row, text: str) -> Row:
    """Follow a remote person or group; a group also becomes one of the member's followed groups."""
    actor = await resolve(node, fetcher, actors, text)
    ingest = Ingest(node, actors, fetcher)
    if actor["type"] == "Group":
        group = await ingest.remote_group(actor["uri"])
        assert group is not None
        groups.follow(node.db, group["id"], account["id"], node.now())
    else:
        await ingest.remote_account(actor["uri"])
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

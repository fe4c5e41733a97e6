"""Moderation that other servers send us: removals, bans and locks about a remote group's content
(applied to our copies), and those of remote moderators of OUR groups (applied and passed on).

Who counts (docs/architecture.md, "Moderation from other servers"):
- for a remote group G: the activity arrives as G's Announce and its actor is in G's moderators
  collection (fetched, cached in group_moderators), or its actor shares G's origin (FEP-1b12);
  only G itself changes its moderators (Add/Remove on that collection);
- for one of our groups: the activity is sent by a remote account listed in the group's
  group_moderators (our moderators and admins act through the pages, not through the inbox).
Anything else is refused for good with its reason, and nothing is changed. Every applied action is
written to the public moderation log in its own transaction; applying it again changes nothing.

Seam: the actions of our own moderators live in node/services/moderation.py (another part of issue
9); `_apply` writes against storage directly, the same steps, and our group passes the remote
moderator's activity on unchanged (outbound.group_passes_on) instead of minting its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from federation import ids, reading, vocab
from federation import reading_moderation as wire
from federation.actors import ActorUnavailable, RemoteActors, iso
from federation.fetch import Fetcher, FetchError
from federation.outcomes import Final
from node import markup
from node.services import audit, outbound, outbound_moderation
from node.services import groups as group_service
from node.services.ingest import Ingest
from storage import accounts, groups, posts
from storage.db import Row

MODERATORS_PAGES = 3  # pages of a remote moderators collection we read at most
MODERATORS_MAX = 50  # moderators of one remote group we keep at most
REFRESH_SECONDS = 300.0  # a remote group's moderators are fetched again at most this often
NEW_PER_READ = 5  # accounts new to us fetched when the list is read; the others when they act
NOT_A_MODERATOR = "not a moderator of this group"
Activity = Mapping[str, Any]


@dataclass(frozen=True)
class Subject:
    """What a claim is about, here: the group (our own or our copy of a remote one) and the post."""

    group: Row
    post: Row | None = None


class RemoteModeration:
    def __init__(self, ingest: Ingest, actors: RemoteActors, fetcher: Fetcher,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.node = ingest.node
        self.ingest = ingest
        self.actors = actors
        self.fetcher = fetcher
        self.clock = clock
        self._lists: dict[int, tuple[float, set[str]]] = {}  # group id -> (when read, the actor ids it listed)

    @property
    def base(self) -> str:
        return str(self.node.config.base_url)

    async def direct(self, activity: Activity) -> None:
        """An activity its own actor sent us (the inbox checked the signature)."""
        found = wire.claim(activity)
        if found is not None:
            await self._handle(found, activity, None)

    async def announced(self, inner: Activity, announcer: str) -> None:
        """An activity passed on by `announcer`: the inner actor is only a claim until the group vouches."""
        found = wire.claim(inner)
        if found is None:
            return
        if reading.origin(found.activity_id) != reading.origin(found.actor):
            raise Final("the announced activity's id is not on its actor's server")
        await self._handle(found, inner, announcer)

    async def _handle(self, found: wire.Claim, activity: Activity, announcer: str | None) -> None:
        if found.action in (wire.ADD_MODERATOR, wire.REMOVE_TOPIC):
            listing = await self._moderators_collection_of(found)
            if listing is not None:
                await self._change_moderators(found, listing, announcer)
                return
            if found.action == wire.ADD_MODERATOR:
                return  # an Add to another collection (featured posts) is no moderation of ours
        subject = self._subject(found)
        if subject is None:
            return  # nothing of it here
        moderator = await self._authority(found, subject.group, announcer)
        await self._apply(found, subject, moderator, activity)

    # What a claim is about

    def _group(self, uri: str | None) -> Row | None:
        parsed = ids.parse_actor(self.base, uri or "")
        if parsed is not None:
            return groups.local_by_slug(self.node.db, parsed[1]) if parsed[0] == "group" else None
        return groups.by_actor_uri(self.node.db, uri or "")

    def _topic(self, uri: str) -> Row | None:
        """A topic by its id or its context (NodeBB removes a topic by its context)."""
        path = ids.local_path(self.base, uri) or ""
        if path.endswith("/context"):
            uri = self.base + path.removesuffix("/context")
        post = self.ingest.known_post(uri) or posts.topic_by_context(self.node.db, uri)
        return post if post is not None and post["kind"] == "topic" else None

    def _subject(self, found: wire.Claim) -> Subject | None:
        if found.action in (wire.BAN, wire.UNBAN):
            group = self._group(found.target)
            return Subject(group) if group is not None else None
        if found.action == wire.REMOVE_TOPIC:
            group = self._group(found.target)
            topic = self._topic(found.object)
            if group is None or topic is None:
                return None
            if topic["group_id"] != group["id"]:
                raise Final(f"that topic is not in the group {found.target}")
            return Subject(group, topic)
        post = self.ingest.known_post(found.object)
        if post is None or post["deleted_at"]:
            return None
        if found.action in (wire.LOCK, wire.UNLOCK) and post["kind"] != "topic":
            raise Final("only a topic can be locked")
        group = groups.by_id(self.node.db, post["group_id"]) if post["group_id"] else None
        if group is None:
            raise Final("not a post in a group: only its author may delete it")
        return Subject(group, post)

    # Who may claim it

    async def _authority(self, found: wire.Claim, group: Row, announcer: str | None) -> Row | None:
        """The moderator's account (None: the group itself), or Final with the reason."""
        if group["domain"] is None:
            if announcer is not None:
                raise Final(f"announced by {announcer}: only our own group passes on its moderation")
            account = accounts.by_actor_uri(self.node.db, found.actor)
            if account is None or not group_service.moderates(self.node, account, group):
                raise Final(NOT_A_MODERATOR)
            return account
        group_uri = str(group["actor_uri"])
        if announcer is not None and announcer != group_uri:
            raise Final(f"announced by {announcer}, not by the group {group_uri}")
        if found.actor == group_uri:
            return None
        if reading.origin(found.actor) != reading.origin(group_uri):
            if announcer is None:
                raise Final(f"{NOT_A_MODERATOR}: a moderator on another server counts only when the group"
                            " announces it")
            if not await self._listed(group, found.actor):
                raise Final(NOT_A_MODERATOR)
        return await self.ingest.remote_account(found.actor)

    async def _listed(self, group: Row, actor: str) -> bool:
        """Is the actor in the group's moderators collection? Our cache first; fetched again when an
        actor we do not know claims to moderate, at most once per REFRESH_SECONDS per group."""
        account = self._known_account(actor)
        if account is not None and groups.is_moderator(self.node.db, group["id"], account["id"]):
            return True
        read = self._lists.get(group["id"])
        if read is None or self.clock() - read[0] >= REFRESH_SECONDS:
            await self.refresh_moderators(group)
            read = self._lists[group["id"]]
        if actor not in read[1]:
            return False
        account = await self._account(actor)  # listed, but not fetched when the list was read
        groups.add_moderator(self.node.db, group["id"], account["id"], None, self.node.now())
        return True

    def _known_account(self, uri: str) -> Row | None:
        parsed = ids.parse_actor(self.base, uri)
        if parsed is not None:
            return accounts.local_by_username(self.node.db, parsed[1]) if parsed[0] == "member" else None
        return accounts.by_actor_uri(self.node.db, uri)

    def _uri_of(self, account: Row) -> str:
        return str(account["actor_uri"] or ids.member(self.base, account["username"]))

    async def _account(self, uri: str) -> Row:
        """Our member, or the row of a remote account (fetched when new)."""
        known = self._known_account(uri)
        if known is not None:
            return known
        if ids.local_path(self.base, uri) is not None:
            raise Final(f"{uri} is not an account here")
        return await self.ingest.remote_account(uri)

    # A remote group's moderators

    async def _moderators_url(self, group: Row) -> str | None:
        actor = await self.actors.get(str(group["actor_uri"]))
        return wire.moderators_url(orjson.loads(actor["raw"] or "{}"))

    async def _moderators_collection_of(self, found: wire.Claim) -> Row | None:
        """The group whose moderators collection the claim's target is, if it is one."""
        target = found.target or ""
        group = self._group(target.removesuffix("/moderators")) if target.endswith("/moderators") else None
        if group is None:
            sender = groups.by_actor_uri(self.node.db, found.actor)
            if sender is not None and sender["domain"] and target == await self._moderators_url(sender):
                group = sender
        return group

    async def refresh_moderators(self, group: Row) -> None:
        """Read the group's moderators collection (bounded) into group_moderators: the accounts we
        know at once, at most NEW_PER_READ new ones fetched (the others when they act)."""
        url = await self._moderators_url(group)
        listed: list[str] = []
        complete = True  # only a whole read may take moderators off our list
        page: Any = url
        for _ in range(MODERATORS_PAGES if url else 0):
            if isinstance(page, str):
                if reading.origin(page) != reading.origin(str(url)):
                    break
                try:
                    page = await self.fetcher.get_json(page)
                except FetchError as error:
                    if error.temporary and not listed:
                        raise  # retried later; the list we had stays as it was
                    complete = False
                    break
            if not isinstance(page, Mapping):
                break
            listed += wire.collection_items(page, MODERATORS_MAX)
            following = page.get("first") if reading.kind(page) in ("OrderedCollection", "Collection") else None
            page = following or page.get("next")
            if not page or len(listed) >= MODERATORS_MAX:
                break
        uris = set(listed[:MODERATORS_MAX])
        self._lists[group["id"]] = (self.clock(), uris)
        moderator_ids: set[int] = set()
        fetched = 0
        for uri in sorted(uris):
            known = self._known_account(uri)
            if known is None and fetched < NEW_PER_READ and ids.local_path(self.base, uri) is None:
                fetched += 1
                try:
                    known = await self.ingest.remote_account(uri)
                except ActorUnavailable:  # one unreachable moderator must not hide the others
                    continue
            if known is not None:
                moderator_ids.add(int(known["id"]))
        with self.node.db.transaction():
            for row in groups.moderators(self.node.db, group["id"]) if complete else []:
                if self._uri_of(row) not in uris:
                    groups.remove_moderator(self.node.db, group["id"], row["id"])
            for account_id in moderator_ids:
                groups.add_moderator(self.node.db, group["id"], account_id, None, self.node.now())

    async def _change_moderators(self, found: wire.Claim, group: Row, announcer: str | None) -> None:
        """Sent by the group itself (ours, Mbin), or by one of its moderators and announced by the group
        (Lemmy): the same rule as every other action about the group."""
        if group["domain"] is None:
            raise Final("only the group itself changes its moderators")
        await self._authority(found, group, announcer)
        account = await self._account(found.object)
        db, adding = self.node.db, found.action == wire.ADD_MODERATOR
        read = self._lists.get(group["id"])
        if read is not None:  # what the group says now is newer than the list we read
            (read[1].add if adding else read[1].discard)(found.object)
        with db.transaction():
            changed = (groups.add_moderator(db, group["id"], account["id"], None, self.node.now()) if adding
                       else groups.remove_moderator(db, group["id"], account["id"]))
            if changed:
                audit.publish(self.node, None, action="add_moderator" if adding else "remove_moderator",
                              target_url=found.object, target_label=_label(account), group_id=group["id"],
                              role=audit.ROLE_REMOTE, activity_uri=found.activity_id,
                              actor_name=str(group["slug"]))

    # Applying it

    async def _apply(self, found: wire.Claim, subject: Subject, moderator: Row | None, activity: Activity) -> None:
        group, post, db, now = subject.group, subject.post, self.node.db, self.node.now()
        banned = await self._account(found.object) if found.action in (wire.BAN, wire.UNBAN) else None
        with db.transaction():
            if post is not None and found.action in (wire.REMOVE, wire.REMOVE_TOPIC):
                changed = posts.remove(db, post["id"], found.reason, now)
            elif post is not None and found.action == wire.LOCK:
                changed = not post["locked_at"]
                posts.set_locked(db, post["id"], post["locked_at"] or now)
            elif post is not None and found.action == wire.UNLOCK:
                changed = bool(post["locked_at"])
                posts.set_locked(db, post["id"], None)
            elif banned is not None and found.action == wire.BAN:
                changed = self._ban(group, banned, moderator, found)
            elif banned is not None:
                changed = groups.unban(db, group["id"], banned["id"])
            else:
                return
            if not changed:
                return  # applied before: nothing is logged or passed on twice
            target_url = vocab.post_uri(self.base, post) if post is not None else found.object
            audit.publish(self.node, moderator, action=_ACTIONS[found.action], target_url=target_url,
                          target_label=_label(banned) if banned is not None else _post_label(post),
                          reason=found.reason, group_id=group["id"], role=audit.ROLE_REMOTE,
                          activity_uri=found.activity_id,
                          actor_name=None if moderator is not None else str(group["slug"]))
            if group["domain"] is None:  # our group passes it on, as it does its own moderators' actions
                had_it = outbound_moderation.audience_of_post(self.node, post) if post is not None else []
                if post is not None and not post["uri"] and found.action in (wire.REMOVE, wire.REMOVE_TOPIC):
                    had_it = outbound_moderation.author_deleted(self.node, post, had_it)  # for Mastodon
                outbound.group_passes_on(self.node, group, dict(activity), had_it)

    def _ban(self, group: Row, banned: Row, moderator: Row | None, found: wire.Claim) -> bool:
        db, now = self.node.db, self.node.now()
        if group["domain"] is None and (group_service.moderates(self.node, banned, group)
                                        or (moderator is not None and banned["id"] == moderator["id"])):
            raise Final("a moderator of this group cannot be banned from it by a remote moderator")
        expires = iso(found.expires) if found.expires else None
        existing = groups.active_ban(db, group["id"], banned["id"], now)
        if existing is not None and (existing["reason"], existing["expires_at"]) == (found.reason, expires):
            return False
        groups.ban(db, group["id"], banned["id"], reason=found.reason, banned_by=moderator["id"] if moderator else None,
                   now=now, expires_at=expires)  # a member of ours sees it on the group's page and when posting
        return True


_ACTIONS = {wire.REMOVE: "remove", wire.REMOVE_TOPIC: "remove", wire.LOCK: "lock", wire.UNLOCK: "unlock",
            wire.BAN: "ban", wire.UNBAN: "unban"}


def _label(account: Row) -> str:
    return str(account["display_name"] or account["username"])


def _post_label(post: Row | None) -> str:
    if post is None:
        return ""
    return str(post["title"] or markup.summarise(post["content"], 80))

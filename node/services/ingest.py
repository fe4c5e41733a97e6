"""Remote posts into our threads: a Note, Article, Page or Question becomes a topic, a reply or a
post on its author's page here; its HTML is sanitised before it is stored.

Nothing here waits on a third server inline: a reply whose parent we lack raises NeedsFetch (the
inbox worker queues a fetch job and comes back), and completing a thread is a backfill job. What
cannot be stored says why (outcomes.Final); a server that does not answer now is tried again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import orjson

from federation import ids, reading
from federation.actors import ActorUnavailable, RemoteActors, iso
from federation.fetch import Fetcher, FetchError
from federation.outcomes import Final, Job, NeedsFetch, Outcome
from node import markup
from node.markup import clean_text
from node.services import mail_notify, media, subscriptions, topic_subscriptions
from node.services.context import Node
from storage import accounts, follows, groups, notifications, posts, search
from storage import media as media_rows
from storage.db import Row

MAX_DEPTH = 5  # how far up an inReplyTo chain we fetch to complete a thread (FEP-f228)
BACKFILL_ITEMS = 50  # at most this many posts fetched to complete one thread
BACKFILL_PAGES = 5
TITLE_MAX = 200
JobQueue = Callable[[Job], str]


def post_fields(obj: Mapping[str, Any], document_types: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The parts of a remote post we keep (federation/reading.py reads them), cleaned here: HTML
    sanitised, the title as plain text, tags normalised."""
    read = reading.read_post(obj, datetime.now(UTC), document_types)
    html = markup.sanitise(read.content_html)
    tags = {markup.normalise_tag(name) for name in read.hashtags}
    return {
        "content": html,
        "title": " ".join(markup.plain_text(read.name).split())[:TITLE_MAX],
        "summary": markup.summarise(markup.sanitise(read.summary_html) if read.summary_html else html),
        "source": read.source_markdown,
        "language": read.language,
        "published": iso(read.published) if read.published else None,
        "updated": iso(read.updated) if read.updated else None,
        "url": read.url,
        "context": read.context,
        "tags": sorted(tag for tag in tags if markup.HASHTAG.fullmatch("#" + tag))[:reading.MAX_TAGS],
        "mentions": read.mentions,
        "attachments": read.attachments,
    }


def document_types(node: Node) -> frozenset[str]:
    return frozenset(media.allowed_document_types(node))


def stored_description(item: reading.RemoteAttachment) -> str:
    """A remote attachment's description (alt text) as we store it."""
    return clean_text(item.name).strip()[:media.DESCRIPTION_MAX]


def store_attachments(node: Node, post_id: int, found: list[reading.RemoteAttachment], replace: bool = False) -> None:
    """A remote post's images and documents as media rows naming their URL (in the post's
    transaction); the files are fetched through our cache when first shown. replace: a remote
    Update, whose attachments take the place of the ones before."""
    db = node.db
    if replace:
        media_rows.delete_remote_for_post(db, post_id)
    now = node.now()
    for position, item in enumerate(found):
        description = stored_description(item)
        name = media.clean_name(urlsplit(item.url).path) if item.kind == "document" else ""
        media_id = media_rows.add(db, account_id=None, kind=item.kind, media_type=item.media_type, file_hash=None,
                                   preview_hash=None, name=name, description=description, width=item.width,
                                   height=item.height, blurhash=item.blurhash, size=None, now=now, post_id=post_id,
                                   position=position, remote_url=item.url)
        if item.focus != (0.0, 0.0):
            media_rows.describe(db, media_id, description, *item.focus)
        media.remember_remote(node, item.url)


def remote_images(actor: Row) -> tuple[str | None, str | None]:
    """A remote actor's (icon, image) URLs from its cached document."""
    return _images_of(actor["raw"] or "{}")


def _remember(node: Node, urls: tuple[str | None, str | None]) -> None:
    for url in urls:
        if url:
            media.remember_remote(node, url)


@lru_cache(maxsize=512)
def _images_of(raw: str) -> tuple[str | None, str | None]:
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None, None
    return reading.actor_images(doc) if isinstance(doc, Mapping) else (None, None)


def actor_summary(actor: Row) -> str:
    """A remote actor's summary (a person's profile text, a group's description) as sanitised HTML,
    read from its cached document."""
    return _summary_of(actor["raw"] or "{}")


@lru_cache(maxsize=512)  # the same actor document is read for every activity of its actor
def _summary_of(raw: str) -> str:
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return ""
    return markup.sanitise(reading.summary_of(doc)) if isinstance(doc, Mapping) else ""


class Ingest:
    def __init__(self, node: Node, actors: RemoteActors, fetcher: Fetcher, add_job: JobQueue | None = None) -> None:
        self.node = node
        self.actors = actors
        self.fetcher = fetcher
        # Queues work for the inbox worker (set by the runtime); without one, threads are not completed.
        self.add_job: JobQueue = add_job or (lambda job: "refused")
        self._backfilled: set[int] = set()  # threads completed in this process already

    @property
    def base(self) -> str:
        return str(self.node.config.base_url)

    def local_post(self, uri: str) -> Row | None:
        path = ids.local_path(self.base, uri) or ""
        if path.startswith("/posts/") and path.removeprefix("/posts/").isdigit() and len(path) < 30:
            post = posts.by_id(self.node.db, int(path.removeprefix("/posts/")))
            if post is not None and post["state"] == "published" and post["topic_state"] == "published":
                return post
        return None

    def known_post(self, uri: str) -> Row | None:
        return self.local_post(uri) or posts.by_uri(self.node.db, uri)

    async def remote_account(self, uri: str) -> Row:
        actor = await self.actors.get(uri)
        handle = f"{actor['username'] or 'onbekend'}@{actor['domain']}"
        if accounts.by_username(self.node.db, handle) is not None and accounts.by_actor_uri(self.node.db, uri) is None:
            handle = uri  # two actors claim one handle: the id is unique
        account_id = accounts.upsert_remote(self.node.db, uri=uri, handle=handle, domain=actor["domain"],
                                            display_name=actor["name"][:100] or handle, about=actor_summary(actor),
                                            now=self.node.now())
        row = accounts.by_id(self.node.db, account_id)
        assert row is not None
        avatar, header = remote_images(actor)
        if (row["avatar_url"], row["header_url"]) != (avatar, header):  # a commit only for news
            with self.node.db.transaction():
                media_rows.set_remote_account_images(self.node.db, account_id, avatar, header)
                _remember(self.node, (avatar, header))
            row = accounts.by_id(self.node.db, account_id)
            assert row is not None
        return row

    async def remote_group(self, uri: str) -> Row | None:
        actor = await self.actors.get(uri)
        if actor["type"] != "Group":
            return None
        group_id = groups.upsert_remote(self.node.db, uri=uri, handle=f"{actor['username']}@{actor['domain']}",
                                        domain=actor["domain"], name=actor["name"][:100] or actor["username"],
                                        description=actor_summary(actor), now=self.node.now())
        row = groups.by_id(self.node.db, group_id)
        icon, banner = remote_images(actor)
        if row is not None and (row["icon_url"], row["banner_url"]) != (icon, banner):
            with self.node.db.transaction():
                media_rows.set_remote_group_images(self.node.db, group_id, icon, banner)
                _remember(self.node, (icon, banner))
            row = groups.by_id(self.node.db, group_id)
        return row

    async def find_or_fetch(self, uri: str, depth: int = 0) -> Row | None:
        """A post asked for by a person (search, the Netwerk page): fetched now, with the parents it
        needs, and its thread completed later; None when it cannot be had. It is solicited: stored also
        where nobody here follows its author or group."""
        known = self.known_post(uri)
        if known is not None or depth > MAX_DEPTH or ids.local_path(self.base, uri) is not None:
            return known
        try:
            obj = await self.fetcher.get_json(uri)
            for _ in range(2):
                try:
                    return await self.post(obj, depth=depth, solicited=True)
                except NeedsFetch as need:
                    if await self.find_or_fetch(need.job.uri, depth + 1) is None:
                        return None
        except (Outcome, FetchError, ActorUnavailable):
            return None
        return None

    async def fetch_job(self, uri: str, depth: int, group_id: int | None) -> None:
        """A queued fetch of a post we lack (a reply's parent, an item of a thread). It is solicited:
        something we took in needs it, so it is stored even where nobody here follows its author."""
        if self.known_post(uri) is not None or ids.local_path(self.base, uri) is not None:
            return
        obj = await self.fetcher.get_json(uri)  # FetchError: the worker tells temporary from final
        await self.post(obj, groups.by_id(self.node.db, group_id) if group_id else None, depth=depth,
                        solicited=True)

    def _local_group(self, obj: Mapping[str, Any]) -> Row | None:
        for uri in reading.ids_of(obj.get("audience")) + reading.ids_of(obj.get("to")) + reading.ids_of(obj.get("cc")):
            path = ids.local_path(self.base, uri) or ""
            if path.startswith("/groups/") and "/" not in path.removeprefix("/groups/"):
                found = groups.local_by_slug(self.node.db, path.removeprefix("/groups/"))
                if found is not None:
                    return found
        return None

    async def _audience_group(self, obj: Mapping[str, Any]) -> Row | None:
        """The remote group a post names as its audience (FEP-1b12), fetched when we do not know it yet."""
        for uri in reading.ids_of(obj.get("audience"))[:1]:
            if ids.local_path(self.base, uri) is None:
                try:
                    return await self.remote_group(uri)
                except ActorUnavailable:
                    return None
        return None

    def _place(self, obj: Mapping[str, Any], group: Row | None, depth: int,
               solicited: bool = False) -> dict[str, Any]:
        """Where a post goes: under its parent, as a topic in a group, or on its author's page.
        A solicited post (someone here asked for it by its URL) is placed even where nobody here follows."""
        parent_uri = reading.id_of(obj.get("inReplyTo"))
        if parent_uri:
            parent = self.known_post(parent_uri)
            if parent is None:
                if ids.local_path(self.base, parent_uri) is not None:
                    raise Final(f"it answers {parent_uri}, which is not a post here")
                if depth >= MAX_DEPTH:
                    raise Final(f"its thread goes deeper than {MAX_DEPTH} posts we lack")
                raise NeedsFetch(Job("fetch", parent_uri, {"depth": depth + 1,
                                                            "group_id": group["id"] if group else None}))
            if parent["deleted_at"]:
                raise Final("it answers a deleted post")
            return {"kind": "reply", "group_id": parent["group_id"], "blog_owner": parent["blog_owner"],
                    "topic_id": parent["topic_id"], "parent_id": parent["id"]}
        local = self._local_group(obj)
        if local is not None and self.node.config["federation.remote_posts_in_groups"]:
            return {"kind": "topic", "group_id": local["id"]}
        for uri in reading.ids_of(obj.get("audience")):
            known = groups.by_actor_uri(self.node.db, uri)
            if known is not None:
                return {"kind": "topic", "group_id": known["id"]}
        if group is not None:
            return {"kind": "topic", "group_id": group["id"]}
        author = reading.first_actor(obj.get("attributedTo")) or ""
        addressed = reading.mention_hrefs(obj) + reading.recipients(obj)
        to_us = any(ids.local_path(self.base, uri) for uri in addressed)
        if follows.followed_here(self.node.db, author, self.base) or to_us or solicited:
            return {"kind": "blog"}  # shown on the author's page here and on the network page
        raise Final("unsolicited: nobody here follows its author, and it is not addressed to us")

    async def post(self, obj: Mapping[str, Any], group: Row | None = None, depth: int = 0,
                   backfill: bool = True, solicited: bool = False) -> Row:
        """Store a remote post once (idempotent on its id), and queue the completion of its thread
        from its context collection the first time we see that thread (FEP-f228). Raises Final when
        it cannot be stored, NeedsFetch when its parent must be fetched first."""
        stored = await self._post(obj, group, depth, solicited)
        context = reading.id_of(obj.get("context"))
        if backfill and context and stored["topic_id"] not in self._backfilled and self._may_backfill(context, obj):
            self._backfilled.add(stored["topic_id"])
            self.add_job(Job("backfill", context, {"group_id": group["id"] if group else None}))
        return stored

    def _may_backfill(self, context: str, obj: Mapping[str, Any]) -> bool:
        """Only a context on the post's own server, so one post cannot send us to fetch from a third."""
        return (reading.web_url(context) and ids.local_path(self.base, context) is None
                and reading.origin(context) == reading.origin(str(obj.get("id"))))

    async def backfill(self, context_uri: str, group: Row | None) -> None:
        """Fetch a thread's context collection and store the posts we miss, within bounds: items
        embedded by the server that answered are stored now, the others are queued as fetch jobs of
        that server, and nothing is fetched from a third server."""
        if ids.local_path(self.base, context_uri) is not None:
            return
        items: list[tuple[Any, str]] = []  # (item, origin of the page that listed it)
        page: Any = context_uri
        for _ in range(BACKFILL_PAGES):
            if isinstance(page, str):
                if reading.origin(page) != reading.origin(context_uri):
                    break
                try:
                    page = await self.fetcher.get_json(page)
                except FetchError:
                    if not items:
                        raise  # the collection itself: the worker tries again, or gives it up
                    break
            if not isinstance(page, Mapping):
                return
            answered = reading.origin(str(page.get("id") or context_uri))  # the fetcher checked id against the URL
            items += [(item, answered) for item in reading.bounded(page.get("orderedItems") or page.get("items"),
                                                                  BACKFILL_ITEMS)]
            following = page.get("first") if reading.kind(page) in ("OrderedCollection", "Collection") else None
            page = following or page.get("next")
            if not page or len(items) >= BACKFILL_ITEMS:
                break
        group_id = group["id"] if group else None
        for item, answered in items[:BACKFILL_ITEMS]:
            uri = reading.id_of(item)
            if not uri or not reading.web_url(uri) or reading.origin(uri) != answered:
                continue  # nothing is fetched from a third server
            if self.known_post(uri) is not None:
                continue
            if isinstance(item, Mapping):
                try:
                    await self.post(item, group, backfill=False)
                    continue
                except NeedsFetch as need:
                    self.add_job(need.job)
                except Outcome:
                    continue
            self.add_job(Job("fetch", uri, {"depth": 1, "group_id": group_id}))

    async def _post(self, obj: Mapping[str, Any], group: Row | None, depth: int,
                    solicited: bool = False) -> Row:
        uri = obj.get("id")
        if not isinstance(uri, str) or reading.kind(obj) not in reading.POST_TYPES:
            raise Final(f"not a post we show (type {reading.kind(obj) or 'missing'})")
        known = self.known_post(uri)
        if known is not None:
            return known
        if not reading.is_public(obj):
            raise Final("not public: a direct or followers-only message is not something we publish")
        author_uri = reading.first_actor(obj.get("attributedTo"))
        if not author_uri or reading.origin(author_uri) != reading.origin(uri):
            raise Final("attributed to nobody, or to an actor of another server")
        if solicited and group is None and not obj.get("inReplyTo"):
            group = await self._audience_group(obj)  # a thread opened in a group nobody here follows
        place = self._place(obj, group, depth, solicited)  # before the author: a missing parent is queued at once
        author = await self.remote_account(author_uri)  # ActorUnavailable: temporary or final
        self._check_may_post(place, author)
        fields = post_fields(obj, document_types(self.node))
        if not fields["content"] and not fields["title"] and not fields["attachments"]:
            raise Final("empty: no content and no title")
        return self._store(uri, author, place, fields)

    def _check_may_post(self, place: dict[str, Any], author: Row) -> None:
        """Into one of our groups: not from an account banned from it, not into a locked topic."""
        group = groups.by_id(self.node.db, place["group_id"]) if place.get("group_id") else None
        if group is None or group["domain"] is not None:
            return  # a remote group's own moderators decide what it takes in
        ban = groups.active_ban(self.node.db, group["id"], author["id"], self.node.now())
        if ban is not None:
            until = f" until {ban['expires_at']}" if ban["expires_at"] else ""
            raise Final(f"banned from group {group['slug']}{until}: {ban['reason']}")
        topic = posts.by_id(self.node.db, place["topic_id"]) if place.get("topic_id") else None
        if topic is not None and topic["locked_at"]:
            raise Final("topic is locked")
        if topic is not None and topic["removed_at"]:
            raise Final("topic was removed by a moderator")

    def _store(self, uri: str, author: Row, place: dict[str, Any], fields: dict[str, Any]) -> Row:
        db = self.node.db
        now = self.node.now()
        title = fields["title"]
        if place["kind"] != "reply" and not title:  # a Note that opens a topic: its first line is the title
            title = markup.summarise(fields["content"], 80) or "…"
        with db.transaction():
            if place["kind"] == "blog":
                place["blog_owner"] = author["id"]
            post_id = posts.insert(db, {
                **place, "author_id": author["id"], "title": title if place["kind"] != "reply" else "",
                "summary": fields["summary"], "source": fields["source"], "content": fields["content"],
                "language": fields["language"], "uri": uri, "url": fields["url"] or uri,
                "context_uri": fields["context"],
                "created_at": now, "published_at": fields["published"] or now,
                # as storage.posts.recount has it: when it was written, not when it reached us (a
                # backfilled old topic is not news); a date in the future counts as now
                "last_activity_at": min(fields["published"] or now, now),
            })
            posts.set_tags(db, post_id, fields["tags"])
            store_attachments(self.node, post_id, fields["attachments"])
            mentioned = self._mentioned_members(fields["mentions"])
            posts.set_mentions(db, post_id, mentioned)
            search.index(db, post_id, title, markup.plain_text(fields["content"]), fields["tags"])
            for account_id in mentioned:
                notifications.add(db, account_id, "mention", post_id, author["id"], now)
                mail_notify.post_event(self.node, account_id, "mention", post_id, author["id"])
            told = subscriptions.tell_subscribers(self.node, post_id, frozenset(mentioned))
            stored = posts.by_id(db, post_id)
            assert stored is not None
            if stored["parent_author_id"] and stored["parent_author_id"] not in {*mentioned, *told}:
                parent_author = accounts.by_id(db, stored["parent_author_id"])
                if parent_author is not None and parent_author["domain"] is None:
                    notifications.add(db, parent_author["id"], "reply", post_id, author["id"], now)
                    mail_notify.post_event(self.node, parent_author["id"], "reply", post_id, author["id"])
                    told.add(parent_author["id"])
            topic_subscriptions.tell(self.node, post_id, frozenset({*mentioned, *told}))
        return stored

    def _mentioned_members(self, hrefs: list[str]) -> list[int]:
        """Our members among the mentioned, each once (3,000 equal Mentions make one notification)."""
        found: dict[int, None] = {}
        for href in hrefs:
            path = ids.local_path(self.base, href) or ""
            if path.startswith("/users/"):
                account = accounts.local_by_username(self.node.db, path.removeprefix("/users/"))
                if account is not None:
                    found[int(account["id"])] = None
        return list(found)

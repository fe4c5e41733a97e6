"""What remote activities do on our node, one handler per activity type, and the jobs of our own
that they queue (fetch a post, complete a thread). Idempotent: every handler tolerates seeing the
same activity again. A handler that cannot do its work raises: outcomes.Final (with the reason),
or a temporary error (FetchError, ActorUnavailable, outcomes.Temporary) for the worker to retry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from federation import ids, reading, vocab
from federation.actors import RemoteActors
from federation.fetch import Fetcher, FetchError
from federation.outcomes import Final
from node.services import media, outbound, reports, revisions
from node.services.context import Node
from node.services.ingest import Ingest, document_types, post_fields, store_attachments, stored_description
from node.services.remote_moderation import RemoteModeration
from storage import accounts, follows, groups, notifications, posts, search
from storage.db import Row

Activity = dict[str, Any]
WRAPPED = {"Create", "Update", "Delete", "Like", "Undo", "Add", "Remove", "Lock", "Block", "Flag"}
MODERATION = {"Remove", "Lock", "Block", "Add"}  # and a Delete by someone else than the author, an Undo of those


class Federated:
    def __init__(self, node: Node, actors: RemoteActors, fetcher: Fetcher) -> None:
        self.node = node
        self.actors = actors
        self.fetcher = fetcher
        self.ingest = Ingest(node, actors, fetcher)
        self.moderation = RemoteModeration(self.ingest, actors, fetcher)
        self.handlers: dict[str, Callable[[Activity], Awaitable[None]]] = {
            "Follow": self.follow, "Accept": self.accept, "Reject": self.reject, "Undo": self.undo,
            "Create": self.create, "Update": self.update, "Delete": self.delete, "Like": self.like,
            "Announce": self.announce, "meent:fetch": self.fetch_job, "meent:backfill": self.backfill_job,
            "Flag": self.flag,
            **{kind: self.moderation.direct for kind in MODERATION},
        }

    async def process(self, activity: Activity) -> None:
        """Unknown types (Move, ...) were stored by the inbox and are ignored here."""
        handler = self.handlers.get(reading.kind(activity))
        if handler is not None:
            await handler(activity)

    async def fetch_job(self, job: Activity) -> None:
        group_id = job.get("group_id")
        await self.ingest.fetch_job(str(job["object"]), int(job.get("depth") or 1),
                                    group_id if isinstance(group_id, int) else None)

    async def backfill_job(self, job: Activity) -> None:
        group_id = job.get("group_id")
        await self.ingest.backfill(str(job["object"]),
                                   groups.by_id(self.node.db, group_id) if isinstance(group_id, int) else None)

    @property
    def base(self) -> str:
        return str(self.node.config.base_url)

    def _is_local_actor(self, uri: str | None) -> bool:
        path = ids.local_path(self.base, uri or "") or ""
        if path == "/organisation":
            return True
        if path.startswith("/users/") or path.startswith("/groups/"):
            name = path.split("/", 2)[2]
            return "/" not in name
        return False

    async def _remote_account(self, uri: str) -> Row:
        """The local row of a remote actor; ActorUnavailable when it cannot be had now (tried again later)."""
        return await self.ingest.remote_account(uri)

    def _group_announce(self, post: Row | None, activity: Activity) -> None:
        if post is not None and post["group_slug"] and not post["group_domain"]:
            outbound.group_announces(self.node, post, activity)

    async def flag(self, activity: Activity) -> None:
        """A report from another server: into our queue when it is about our content (Final otherwise)."""
        reports.receive_flag(self.node, reading.read_flag(activity))

    # Follows

    async def follow(self, activity: Activity) -> None:
        target = reading.id_of(activity.get("object"))
        follower = reading.id_of(activity.get("actor"))
        if not follower or not self._is_local_actor(target):
            return
        await self.actors.get(follower)  # its inbox, for the Accept and for deliveries
        existing = follows.get(self.node.db, follower, str(target))
        follows.put(self.node.db, follower, str(target), "accepted", activity.get("id"), self.node.now())
        outbound.accept_follow(self.node, str(target), activity)
        member = accounts.local_by_username(self.node.db, (ids.local_path(self.base, str(target)) or "")
                                            .removeprefix("/users/"))
        follower_row = await self._remote_account(follower)
        if existing is None and member is not None and follower_row is not None:
            notifications.add(self.node.db, member["id"], "follow", None, follower_row["id"], self.node.now())

    def _our_follow(self, activity: Activity) -> Row | None:
        inner = activity.get("object")
        row = follows.by_activity(self.node.db, reading.id_of(inner) or "")
        if row is None and isinstance(inner, Mapping):
            row = follows.get(self.node.db, reading.id_of(inner.get("actor")) or "", reading.id_of(inner.get("object"))
                              or "")
        return row if row is not None and row["followee"] == reading.id_of(activity.get("actor")) else None

    async def accept(self, activity: Activity) -> None:
        row = self._our_follow(activity)
        if row is not None:
            follows.accept(self.node.db, row["follower"], row["followee"])

    async def reject(self, activity: Activity) -> None:
        row = self._our_follow(activity)
        if row is not None:
            follows.remove(self.node.db, row["follower"], row["followee"])

    async def undo(self, activity: Activity) -> None:
        actor = reading.id_of(activity.get("actor"))
        inner = activity.get("object")
        if isinstance(inner, Mapping) and reading.kind(inner) in ("Block", "Lock"):
            await self.moderation.direct(activity)
            return
        if not isinstance(inner, Mapping):
            row = follows.by_activity(self.node.db, reading.id_of(inner) or "")
            if row is not None and row["follower"] == actor:
                follows.remove(self.node.db, row["follower"], row["followee"])
            return
        if reading.id_of(inner.get("actor")) != actor:
            return
        if reading.kind(inner) == "Follow":
            follows.remove(self.node.db, str(actor), reading.id_of(inner.get("object")) or "")
        elif reading.kind(inner) == "Like":
            post = self.ingest.known_post(reading.id_of(inner.get("object")) or "")
            account = await self._remote_account(str(actor))
            if post is not None and account is not None and posts.unlike(self.node.db, post["id"], account["id"]):
                self._group_announce(post, activity)

    # Posts

    async def _object(self, activity: Activity) -> Mapping[str, Any] | None:
        """The activity's object: embedded when it comes from the actor's server, else fetched from its own."""
        obj = activity.get("object")
        actor = reading.id_of(activity.get("actor")) or ""
        if isinstance(obj, Mapping) and self._speaks_for_itself(obj, actor):
            return obj  # what the sender says about its own object; anything else we ask its server
        uri = reading.id_of(obj)
        if not uri:
            return None
        return await self.fetcher.get_json(uri)  # FetchError: temporary or final, the worker decides

    @staticmethod
    def _speaks_for_itself(obj: Mapping[str, Any], actor: str) -> bool:
        """An embedded object is believed from its own server, and a post only from its author."""
        if not isinstance(obj.get("id"), str) or reading.origin(obj["id"]) != reading.origin(actor):
            return False
        return reading.kind(obj) not in reading.POST_TYPES or reading.first_actor(obj.get("attributedTo")) == actor

    async def create(self, activity: Activity, group: Row | None = None) -> None:
        obj = await self._object(activity)
        if obj is None or reading.kind(obj) not in reading.POST_TYPES:
            return
        if reading.first_actor(obj.get("attributedTo")) != reading.id_of(activity.get("actor")):
            raise Final("one may only create one's own posts")
        post = await self.ingest.post(obj, group)
        if post["uri"]:  # the group passes it on; again after a crash, which queues nothing new
            self._group_announce(post, activity)

    async def update(self, activity: Activity) -> None:
        obj = await self._object(activity)
        if obj is None:
            return
        actor = reading.id_of(activity.get("actor")) or ""
        if obj.get("id") == actor:
            await self.actors.get(actor, refresh=True)
            # a new name, profile text, avatar or header (a group's icon, banner) shown here too
            if accounts.by_actor_uri(self.node.db, actor) is not None:
                await self.ingest.remote_account(actor)
            elif groups.by_actor_uri(self.node.db, actor) is not None:
                await self.ingest.remote_group(actor)
            return
        post = posts.by_uri(self.node.db, str(obj.get("id")))
        if post is None or post["deleted_at"] or post["author_uri"] != actor:
            return
        if reading.kind(obj) not in reading.POST_TYPES:
            return
        fields = post_fields(obj, document_types(self.node))
        edited_at = edit_time(fields["updated"], post, self.node.now())
        if edited_at is None:  # older than what we have: it came late, a newer one is applied already
            self._group_announce(post, activity)  # passed on all the same: its receivers judge it alike
            return
        changes = {"content": fields["content"], "summary": fields["summary"], "source": fields["source"],
                   "edited_at": edited_at}
        if post["kind"] != "reply" and fields["title"]:
            changes["title"] = fields["title"]
        if self._changes_nothing(post, changes, fields):
            self._group_announce(post, activity)  # passed on all the same, but no edit to keep or show
            return
        with self.node.db.transaction():
            revisions.record(self.node, post, post["author_id"], edited_at)
            posts.update(self.node.db, post["id"], changes)
            posts.set_tags(self.node.db, post["id"], fields["tags"])
            store_attachments(self.node, post["id"], fields["attachments"], replace=True)
            search.index(self.node.db, post["id"], changes.get("title", post["title"]), fields["content"],
                         fields["tags"])
        self._group_announce(posts.by_id(self.node.db, post["id"]), activity)

    def _changes_nothing(self, post: Row, changes: Mapping[str, Any], fields: Mapping[str, Any]) -> bool:
        """A repeated Update (or one of what we do not keep) changes no text, summary, tag, file, image
        description or focal point."""
        db = self.node.db
        if revisions.text_changed(post, changes.get("title"), changes["source"], changes["content"]):
            return False
        if changes["summary"] != post["summary"] or fields["tags"] != posts.tags_of(db, [post["id"]])[post["id"]]:
            return False
        return attachments_same(media.for_posts(self.node, [post["id"]]).get(post["id"], []), fields["attachments"])

    async def delete(self, activity: Activity) -> None:
        actor = reading.id_of(activity.get("actor"))
        target = reading.id_of(activity.get("object"))
        post = self.ingest.known_post(target or "")
        if post is None or post["deleted_at"]:
            return
        if not post["uri"] or actor not in (post["author_uri"], post["group_uri"]):
            await self.moderation.direct(activity)  # a moderator's removal, or refused with the reason
            return
        self._tombstone(post)
        self._group_announce(post, activity)

    def _tombstone(self, post: Row) -> None:
        with self.node.db.transaction():
            posts.tombstone(self.node.db, post["id"], self.node.now())
            media.post_deleted(self.node, post["id"])
            posts.set_tags(self.node.db, post["id"], [])
            search.unindex(self.node.db, post["id"])

    async def like(self, activity: Activity) -> None:
        actor = reading.id_of(activity.get("actor"))
        post = self.ingest.known_post(reading.id_of(activity.get("object")) or "")
        if post is None or not actor or post["deleted_at"]:
            return
        account = await self._remote_account(actor)
        if account is not None and posts.like(self.node.db, post["id"], account["id"], self.node.now()):
            if not post["author_uri"]:
                notifications.add(self.node.db, post["author_id"], "like", post["id"], account["id"],
                                  self.node.now())
            self._group_announce(post, activity)

    async def announce(self, activity: Activity) -> None:
        """A group passing on its threads (FEP-1b12), or a person boosting a post."""
        announcer = reading.id_of(activity.get("actor")) or ""
        group = groups.by_actor_uri(self.node.db, announcer)
        inner = activity.get("object")
        if isinstance(inner, str) and reading.origin(inner) == reading.origin(announcer):
            inner = await self.fetcher.get_json(inner)
        if isinstance(inner, Mapping) and reading.kind(inner) == "Flag" and group is not None:
            reports.receive_flag(self.node, reading.read_flag(inner), via_group=group)  # to its moderators here
            return
        if isinstance(inner, Mapping) and reading.kind(inner) in WRAPPED:
            await self._announced_activity(dict(inner), group, announcer)
            return
        ours = self.ingest.local_post(reading.id_of(inner) or "")
        if ours is not None:  # someone shared one of our posts
            sharer = await self._remote_account(announcer)
            if sharer is not None and not ours["author_uri"]:
                notifications.add(self.node.db, ours["author_id"], "reblog", ours["id"], sharer["id"],
                                  self.node.now())
            return
        obj = await self._object({"actor": announcer, "object": inner})
        if obj is not None and reading.kind(obj) in reading.POST_TYPES:
            await self.ingest.post(obj, group)

    async def _announced_activity(self, inner: Activity, group: Row | None, announcer: str) -> None:
        """Another author's activity passed on by a group: what it says is checked at the object's origin."""
        kind = reading.kind(inner)
        object_id = reading.id_of(inner.get("object")) or ""
        if self._is_moderation(inner):
            await self.moderation.announced(inner, announcer)
            return
        if kind in ("Like", "Undo") and group is not None:
            await self._announced_like(inner, group)
            return
        if not object_id or kind not in ("Create", "Update", "Delete"):
            return  # moderation of other servers is theirs
        known = posts.by_uri(self.node.db, object_id)
        if kind == "Delete" and known is None:
            return  # nothing of it here to delete
        if kind != "Create" and known is not None and not self._speaks_for(known, announcer, group):
            raise Final(f"an announced {kind} counts only from the post's author or its group")
        try:
            fetched: Mapping[str, Any] = await self.fetcher.get_json(object_id)
        except FetchError as error:
            if error.status not in (404, 410):
                raise
            fetched = {"type": "Tombstone"}
        if reading.kind(fetched) == "Tombstone":
            if known is not None and not known["deleted_at"]:
                self._tombstone(known)
        elif reading.kind(fetched) in reading.POST_TYPES:
            if known is None:
                await self.ingest.post(fetched, group)
            else:
                await self.update({"actor": known["author_uri"], "object": fetched})

    def _is_moderation(self, inner: Activity) -> bool:
        """Moderation passed on by a group: a Delete by someone else than the post's author or group,
        a Remove, Lock, Block or Add, or an Undo of a Block or a Lock."""
        kind, obj = reading.kind(inner), inner.get("object")
        if kind in MODERATION:
            return True
        if kind == "Undo":
            return isinstance(obj, Mapping) and reading.kind(obj) in ("Block", "Lock")
        if kind != "Delete":
            return False
        post = self.ingest.known_post(reading.id_of(obj) or "")
        actor = reading.id_of(inner.get("actor"))
        return post is not None and actor not in (vocab.author_uri(self.base, post), post["group_uri"])

    @staticmethod
    def _speaks_for(post: Row, announcer: str, group: Row | None) -> bool:
        """FEP-1b12: an announced Update or Delete counts when it is announced by the post's own group
        or by its author: the inner activity's actor is only a claim (and what the origin says decides)."""
        return (group is not None and post["group_id"] == group["id"]) or announcer == post["author_uri"]

    async def _announced_like(self, inner: Activity, group: Row) -> None:
        """A like passed on by the group whose thread it is: the group vouches for its own threads."""
        like = inner.get("object") if reading.kind(inner) == "Undo" else inner
        if not isinstance(like, Mapping) or reading.kind(like) != "Like":
            return
        actor = reading.id_of(like.get("actor"))
        post = self.ingest.known_post(reading.id_of(like.get("object")) or "")
        if not actor or post is None or post["group_id"] != group["id"] or post["deleted_at"]:
            return
        if ids.local_path(self.base, actor) is not None:
            return  # our own members' likes are already counted
        account = await self._remote_account(actor)
        if account is None:
            return
        if reading.kind(inner) == "Undo":
            posts.unlike(self.node.db, post["id"], account["id"])
        else:
            posts.like(self.node.db, post["id"], account["id"], self.node.now())


def edit_time(updated: str | None, post: Row | Mapping[str, Any], now: str) -> str | None:
    """When a federated Update was made: the object's `updated` (our time format), or `now` when it
    has none (or a nonsensical one) or one after now. None when it is earlier than the post's last
    change here (its last edit, or its publication when never edited): a late Update, outdone by
    one we took in already, which changes nothing (as in Mastodon)."""
    if updated is None or updated > now:
        return now
    return None if updated < (post["edited_at"] or post["published_at"] or "") else updated


def attachments_same(had: Sequence[Row | Mapping[str, Any]], found: Sequence[reading.RemoteAttachment]) -> bool:
    """The stored attachments of a post are what an Update sends: the same files in the same order,
    each with the same description (alt text) and focal point as we would store them."""
    return ([(row["remote_url"], row["description"], row["focus_x"], row["focus_y"]) for row in had]
            == [(item.url, stored_description(item), *item.focus) for item in found])

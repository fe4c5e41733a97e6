"""Federation at run time, built once at start-up and reached through the node (`node.federation`):
four outbound HTTP sessions with budgets of their own (keys, objects, deliveries, remote media), the
fetchers, the remote-actor cache, the inbox, the two workers (inbox processing, delivery), the
pruning of finished queue rows and of media nothing uses."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import aiohttp
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from federation import ids
from federation.actors import RemoteActors, iso
from federation.delivery import DeliveryWorker, UnknownSigner
from federation.fetch import Fetcher
from federation.http import make_session
from federation.inbox import Inbox
from federation.inbox_worker import InboxWorker
from federation.keys import load_private
from federation.policy import FederationPolicy
from node import __version__
from node.services import block_lists, blocks, media, media_remote
from node.services.context import Node
from node.services.federated import Federated
from storage import blocks as block_store
from storage import deliveries, inbox, keys

log = logging.getLogger("meent.federation")
PRUNE_EVERY_SECONDS = 600.0
# Blocks changed by another process (`meent block`) are noticed within this many seconds.
RULES_POLL_SECONDS = 2.0
# Subscribed lists are looked at this often; each is fetched again once its next_fetch_at has come.
LISTS_POLL_SECONDS = 60.0

# Budgets, set apart so that one kind of traffic cannot starve another: a new sender's key must be
# fetched while slow servers hold object fetches and deliveries. (connections in all, per server, seconds)
KEY_BUDGET = (32, 2, 5.0)
OBJECT_BUDGET = (32, 4, 10.0)
DELIVERY_BUDGET = (96, 4, 20.0)
# Other servers' images for our cache (node/services/media_remote.py): a page full of new avatars
# must not take the connections federation needs.
MEDIA_BUDGET = (16, 2, 15.0)
MEDIA_PRUNE_SECONDS = 600.0


def actor_of_owner(base: str, owner: str) -> str:
    """The actor URI of a key owner ("user:anne", "group:x", "organisation")."""
    kind, _, name = owner.partition(":")
    if kind == "user":
        return ids.member(base, name)
    if kind == "group":
        return ids.group(base, name)
    return ids.organisation(base)


class FederationRuntime:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.policy = FederationPolicy.from_config(node.config)
        self._rules_seen = ""
        self.stop_event = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []
        self.sessions: list[aiohttp.ClientSession] = []

    def signer(self, owner: str) -> tuple[str, RSAPrivateKey]:
        row = keys.get(self.node.db, owner)
        if row is None:
            raise UnknownSigner(owner)
        return ids.key(actor_of_owner(self.node.config.base_url, owner)), load_private(row["private_pem"])

    def _session(self, budget: tuple[int, int, float]) -> aiohttp.ClientSession:
        limit, per_host, seconds = budget
        user_agent = f"Meent/{__version__} (+{self.node.config.base_url})"
        session = make_session(self.policy, user_agent, limit=limit, limit_per_host=per_host, total_timeout=seconds)
        self.sessions.append(session)
        return session

    async def start(self) -> None:
        organisation_key = lambda: self.signer("organisation")  # noqa: E731
        key_fetcher = Fetcher(self._session(KEY_BUDGET), self.policy, organisation_key, timeout=KEY_BUDGET[2])
        self.reload_rules()
        self.object_session = self._session(OBJECT_BUDGET)
        self.fetcher = Fetcher(self.object_session, self.policy, organisation_key, timeout=OBJECT_BUDGET[2])
        self.actors = RemoteActors(self.node.db, key_fetcher)
        self.federated = Federated(self.node, self.actors, self.fetcher)
        self.inbox_worker = InboxWorker(self.node.db, self.federated.process)
        self.federated.ingest.add_job = self.inbox_worker.add_job
        self.inbox = Inbox(self.node.db, self.policy, self.actors, self.inbox_worker.received,
                           backlog=self.inbox_worker.backlog)
        first_retry = timedelta(seconds=self.node.config["federation.retry_first_seconds"])
        self.delivery = DeliveryWorker(self.node.db, self._session(DELIVERY_BUDGET), self.signer,
                                       first_delay=first_retry, allows=self.policy.allows)
        self.node.wake_delivery = self.delivery.wake
        self.remote_media = media_remote.RemoteMedia(self._session(MEDIA_BUDGET), self.policy, MEDIA_BUDGET[2])
        self.node.federation = self
        self.tasks = [asyncio.create_task(self.inbox_worker.run(self.stop_event)),
                      asyncio.create_task(self.delivery.run(self.stop_event)),
                      asyncio.create_task(self._prune_now_and_then()),
                      asyncio.create_task(self._every(RULES_POLL_SECONDS, self._rules_changed, "reloading blocks")),
                      asyncio.create_task(self._every(LISTS_POLL_SECONDS, self._refresh_lists,
                                                      "refreshing the shared block lists")),
                      asyncio.create_task(self._every(MEDIA_PRUNE_SECONDS, self._prune_media, "pruning media"))]

    def reload_rules(self) -> None:
        """Give the policy the blocks, limits and list entries in the database now."""
        self._rules_seen = block_store.fingerprint(self.node.db)
        self.policy.update(blocks.rules(self.node))
        self.delivery_policy_changed()

    def delivery_policy_changed(self) -> None:
        if hasattr(self, "delivery"):
            self.delivery.policy_changed()

    async def _rules_changed(self) -> None:
        if block_store.fingerprint(self.node.db) != self._rules_seen:
            self.reload_rules()

    async def _refresh_lists(self) -> None:
        await block_lists.refresh_due(self.node)

    async def _prune_media(self) -> None:
        media.prune(self.node)

    async def _every(self, seconds: float, work: Callable[[], Awaitable[None]], what: str) -> None:
        while not self.stop_event.is_set():
            try:
                await work()
            except Exception:  # the next turn tries again; federation works on meanwhile
                log.exception("%s failed", what)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop_event.wait(), timeout=seconds)

    def prune(self) -> tuple[int, int]:
        """Forget finished queue rows older than the configured ages; returns (inbox, deliveries) rows."""
        now = datetime.now(UTC)
        done_before = iso(now - timedelta(days=self.node.config["federation.keep_done_days"]))
        others_before = iso(now - timedelta(days=self.node.config["federation.keep_failed_days"]))
        return (inbox.prune(self.node.db, done_before=done_before, others_before=others_before),
                deliveries.prune(self.node.db, done_before=done_before, others_before=others_before))

    async def _prune_now_and_then(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.prune()
            except Exception:  # pruning may wait for the next turn; the queues work without it
                log.exception("pruning the federation queues failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop_event.wait(), timeout=PRUNE_EVERY_SECONDS)

    async def stop(self) -> None:
        self.stop_event.set()
        self.inbox_worker.wake()
        self.delivery.wake()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                try:
                    await asyncio.wait_for(task, timeout=10)
                except TimeoutError:
                    task.cancel()
        self.node.wake_delivery = lambda: None
        for session in self.sessions:
            await session.close()

"""Federation at run time: one outbound HTTP session, the fetcher, the remote-actor cache, the
inbox and the two workers (inbox processing, delivery), started and stopped with the app."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from starlette.requests import Request
from starlette.responses import Response

from federation import ids
from federation.actors import RemoteActors
from federation.delivery import DeliveryWorker, UnknownSigner
from federation.fetch import Fetcher
from federation.http import make_session
from federation.inbox import Inbox, InboxWorker
from federation.keys import load_private
from federation.policy import FederationPolicy
from node import __version__
from node.services.context import Node
from node.services.federated import Federated
from storage import accounts, groups, keys


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
        self.stop_event = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    def signer(self, owner: str) -> tuple[str, RSAPrivateKey]:
        row = keys.get(self.node.db, owner)
        if row is None:
            raise UnknownSigner(owner)
        return ids.key(actor_of_owner(self.node.config.base_url, owner)), load_private(row["private_pem"])

    async def start(self) -> None:
        user_agent = f"Meent/{__version__} (+{self.node.config.base_url})"
        self.session = make_session(self.policy, user_agent)
        self.fetcher = Fetcher(self.session, self.policy, lambda: self.signer("organisation"))
        self.actors = RemoteActors(self.node.db, self.fetcher)
        self.federated = Federated(self.node, self.actors, self.fetcher)
        self.inbox_worker = InboxWorker(self.node.db, self.federated.process)
        self.inbox = Inbox(self.node.db, self.policy, self.actors, self.inbox_worker.wake)
        first_retry = timedelta(seconds=self.node.config["federation.retry_first_seconds"])
        self.delivery = DeliveryWorker(self.node.db, self.session, self.signer, first_delay=first_retry,
                                       allows=self.policy.allows)
        self.node.wake_delivery = self.delivery.wake
        self.tasks = [asyncio.create_task(self.inbox_worker.run(self.stop_event)),
                      asyncio.create_task(self.delivery.run(self.stop_event))]

    async def stop(self) -> None:
        self.stop_event.set()
        self.inbox_worker.wake()
        self.delivery.wake()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                try:
                    await asyncio.wait_for(task, timeout=5)
                except TimeoutError:
                    task.cancel()
        self.node.wake_delivery = lambda: None
        await self.session.close()


def _local_inbox_exists(request: Request) -> bool:
    db = request.app.state.node.db
    if "name" in request.path_params:
        account = accounts.local_by_username(db, request.path_params["name"])
        return account is not None and not account["disabled"]
    if "slug" in request.path_params:
        return groups.local_by_slug(db, request.path_params["slug"]) is not None
    return True


async def inbox(request: Request) -> Response:
    """POST /inbox and every actor's inbox: all verified and stored the same way."""
    if not _local_inbox_exists(request):
        return Response('{"error": "no such inbox"}', status_code=404, media_type="application/json")
    runtime: FederationRuntime = request.app.state.federation
    return await runtime.inbox.receive(request)

"""One URL per thing: a server that asks for ActivityStreams on a page's URL gets the object.

Browsers get the HTML page from the normal routes; requests whose Accept asks for
activity+json or ld+json and whose path is an actor or a post go to these handlers.
"""

from __future__ import annotations

from starlette.routing import Match, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from node.ap import actors, collections, objects
from node.ap.respond import wants_activity

SHARED_ROUTES = [
    Route("/users/{name}", actors.person),
    Route("/groups/{slug}", actors.group),
    Route("/posts/{post_id:int}", objects.post),
    Route("/groups/{slug}/topics/{post_id:int}", objects.post),
    Route("/users/{name}/blog/{post_id:int}", objects.post),
    Route("/blog/{post_id:int}", objects.post),
    Route("/moderation-log", collections.moderation_log),
    Route("/moderation-log/{entry_id:int}", collections.moderation_log_entry),
    Route("/groups/{slug}/moderation-log", collections.moderation_log),
]


class ActivityNegotiation:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.router = Router(routes=SHARED_ROUTES)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            accept = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"accept"), "")
            if wants_activity(accept) and any(r.matches(scope)[0] == Match.FULL for r in self.router.routes):
                await self.router(scope, receive, send)
                return
        await self.app(scope, receive, send)

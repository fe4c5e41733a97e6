"""The route table: every URL of the web UI in one place."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from node.ap import actors as ap_actors
from node.ap import collections, objects, wellknown
from node.ap import inbox as ap_inbox
from node.api.routes import api_routes
from node.config import Config
from node.pages import (
    admin,
    admin_blocks,
    admin_federation,
    assets,
    auth,
    blogs,
    groups,
    home,
    network,
    notices,
    posts,
    profiles,
    settings,
    tags,
    topics,
)

STATIC = Path(__file__).resolve().parent.parent / "static"


def federation_routes() -> list[BaseRoute]:
    """ActivityStreams-only URLs: collections, threads, activities and discovery."""
    return [
        Route("/.well-known/webfinger", wellknown.webfinger),
        Route("/.well-known/host-meta", wellknown.host_meta),
        Route("/.well-known/nodeinfo", wellknown.nodeinfo_links),
        Route("/nodeinfo/2.1", wellknown.nodeinfo),
        Route("/organisation", ap_actors.organisation),
        Route("/organisation/outbox", collections.outbox),
        Route("/organisation/followers", collections.followers),
        Route("/organisation/following", collections.following),
        Route("/users/{name}/outbox", collections.outbox),
        Route("/users/{name}/followers", collections.followers),
        Route("/users/{name}/following", collections.following),
        Route("/users/{name}/liked", collections.liked),
        Route("/groups/{slug}/outbox", collections.outbox),
        Route("/groups/{slug}/followers", collections.followers),
        Route("/groups/{slug}/following", collections.following),
        Route("/groups/{slug}/moderators", collections.moderators),
        Route("/posts/{post_id:int}/context", objects.context),
        Route("/posts/{post_id:int}/replies", objects.replies),
        Route("/activities/{activity_id}", objects.activity),
    ]


def routes(config: Config) -> list[BaseRoute]:
    return [
        # first: the inbox is the busiest path, and these only match POSTs to their own paths
        Route("/inbox", ap_inbox.receive, methods=["POST"]),
        Route("/organisation/inbox", ap_inbox.receive, methods=["POST"]),
        Route("/users/{name}/inbox", ap_inbox.receive, methods=["POST"]),
        Route("/groups/{slug}/inbox", ap_inbox.receive, methods=["POST"]),
        *api_routes(),
        Route("/", home.home),
        Route("/login", auth.login_form, methods=["GET"]),
        Route("/login", auth.login, methods=["POST"]),
        Route("/logout", auth.logout, methods=["POST"]),
        Route("/register", auth.register_form, methods=["GET"]),
        Route("/register", auth.register, methods=["POST"]),
        Route("/groups", groups.index, methods=["GET"]),
        Route("/groups", groups.create, methods=["POST"]),
        Route("/groups/{slug}.atom", groups.feed),
        Route("/groups/{slug}", groups.show),
        Route("/groups/{slug}/follow", groups.follow, methods=["POST"]),
        Route("/groups/{slug}/unfollow", groups.unfollow, methods=["POST"]),
        Route("/groups/{slug}/new", topics.new_form, methods=["GET"]),
        Route("/groups/{slug}/topics", topics.create, methods=["POST"]),
        Route("/groups/{slug}/topics/{topic_id:int}", topics.show),
        Route("/posts/{post_id:int}", posts.show),
        Route("/posts/{post_id:int}/reply", posts.reply_form, methods=["GET"]),
        Route("/posts/{post_id:int}/reply", posts.reply, methods=["POST"]),
        Route("/posts/{post_id:int}/edit", posts.edit_form, methods=["GET"]),
        Route("/posts/{post_id:int}/edit", posts.edit, methods=["POST"]),
        Route("/posts/{post_id:int}/delete", posts.delete, methods=["POST"]),
        Route("/posts/{post_id:int}/like", posts.like, methods=["POST"]),
        Route("/posts/{post_id:int}/unlike", posts.unlike, methods=["POST"]),
        Route("/blog", blogs.index),
        Route("/blog/new", blogs.new_form, methods=["GET"]),
        Route("/blog/new", blogs.create, methods=["POST"]),
        Route("/blog/organisation", blogs.organisation_blog),
        Route("/blog.atom", blogs.organisation_feed),
        Route("/blog/organisation.atom", blogs.organisation_feed),
        Route("/blog/{post_id:int}", blogs.organisation_post),
        Route("/users/{name}", profiles.show),
        Route("/users/{name}/blog", blogs.member_blog),
        Route("/users/{name}/blog.atom", blogs.member_feed),
        Route("/users/{name}/blog/{post_id:int}", blogs.member_post),
        Route("/tags/{tag}.atom", tags.feed),
        Route("/tags/{tag}", tags.show),
        Route("/search", tags.search),
        Route("/network", network.show, methods=["GET"]),
        Route("/network/follow", network.follow, methods=["POST"]),
        Route("/network/unfollow", network.unfollow, methods=["POST"]),
        Route("/network/look-up", network.look_up, methods=["POST"]),
        Route("/notifications", notices.index, methods=["GET"]),
        Route("/notifications/read", notices.mark_read, methods=["POST"]),
        Route("/settings", settings.show, methods=["GET"]),
        Route("/settings", settings.save_profile, methods=["POST"]),
        Route("/settings/password", settings.change_password, methods=["POST"]),
        Route("/settings/sessions/end", settings.end_session, methods=["POST"]),
        Route("/settings/sessions/others", settings.end_other_sessions, methods=["POST"]),
        Route("/admin", admin.show, methods=["GET"]),
        Route("/admin/federation", admin_federation.show, methods=["GET"]),
        Route("/admin/federation", admin_federation.act, methods=["POST"]),
        Route("/admin/blocks", admin_blocks.show, methods=["GET"]),
        Route("/admin/blocks", admin_blocks.act, methods=["POST"]),
        Route("/admin/blocks/lists", admin_blocks.lists, methods=["POST"]),
        Route("/admin/registration", admin.registration, methods=["POST"]),
        Route("/admin/invites", admin.invite, methods=["POST"]),
        Route("/admin/members", admin.create_member, methods=["POST"]),
        Route("/admin/members/{name}", admin.member, methods=["POST"]),
        *federation_routes(),
        Route("/theme.css", assets.theme_tokens),
        Route("/assets/nlds.css", assets.nlds_components),
        Route("/assets/tokens.css", assets.nlds_tokens),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]

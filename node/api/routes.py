"""The client API's route table. Every path also answers with a trailing slash (Mastodon.py asks for
/api/v1/instance/); any other /api/ path is a JSON 404 so that apps fall back gracefully."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from node.api import (
    accounts,
    images,
    instance,
    media,
    misc,
    notifications,
    oauth,
    reports,
    search,
    statuses,
    timelines,
)
from node.api.respond import Handler, endpoint

GET, POST, PUT, DELETE, PATCH = ["GET"], ["POST"], ["PUT"], ["DELETE"], ["PATCH"]

TABLE: list[tuple[str, Handler, list[str]]] = [
    ("/api/v1/apps", oauth.register_app, POST),
    ("/api/v1/apps/verify_credentials", oauth.verify_app, GET),
    ("/api/v1/instance", instance.v1, GET),
    ("/api/v2/instance", instance.v2, GET),
    ("/api/v1/instance/rules", instance.rules_list, GET),
    ("/api/v1/accounts/verify_credentials", accounts.verify_credentials, GET),
    ("/api/v1/accounts/update_credentials", accounts.update_credentials, PATCH),
    ("/api/v1/profile/avatar", accounts.remove_avatar, DELETE),
    ("/api/v1/profile/header", accounts.remove_header, DELETE),
    ("/api/v1/accounts/lookup", accounts.lookup, GET),
    ("/api/v1/accounts/relationships", accounts.relationships, GET),
    ("/api/v1/accounts/{id}", accounts.show, GET),
    ("/api/v1/accounts/{id}/statuses", accounts.statuses, GET),
    ("/api/v1/accounts/{id}/followers", accounts.follow_lists, GET),
    ("/api/v1/accounts/{id}/following", accounts.follow_lists, GET),
    ("/api/v1/accounts/{id}/follow", accounts.follow, POST),
    ("/api/v1/accounts/{id}/unfollow", accounts.unfollow, POST),
    ("/api/v1/timelines/home", timelines.home, GET),
    ("/api/v1/timelines/public", timelines.public, GET),
    ("/api/v1/timelines/tag/{tag}", timelines.tag, GET),
    ("/api/v1/statuses", statuses.create, POST),
    ("/api/v1/statuses/{id}", statuses.show, GET),
    ("/api/v1/statuses/{id}", statuses.delete, DELETE),
    ("/api/v1/statuses/{id}", statuses.edit, PUT),
    ("/api/v1/statuses/{id}/source", statuses.source, GET),
    ("/api/v1/statuses/{id}/history", statuses.history, GET),
    ("/api/v1/statuses/{id}/context", statuses.context, GET),
    ("/api/v1/statuses/{id}/favourite", statuses.favourite, POST),
    ("/api/v1/statuses/{id}/unfavourite", statuses.unfavourite, POST),
    ("/api/v1/statuses/{id}/reblog", statuses.reblog, POST),
    ("/api/v1/statuses/{id}/unreblog", statuses.unreblog, POST),
    ("/api/v1/media", media.create, POST),
    ("/api/v2/media", media.create, POST),
    ("/api/v1/media/{id}", media.show, GET),
    ("/api/v1/media/{id}", media.update, PUT),
    ("/api/v1/reports", reports.create, POST),
    ("/api/v1/notifications", notifications.index, GET),
    ("/api/v1/notifications/clear", notifications.clear, POST),
    ("/api/v1/notifications/{id}", notifications.show, GET),
    ("/api/v2/search", search.v2, GET),
    ("/api/v1/markers", misc.markers_get, GET),
    ("/api/v1/markers", misc.markers_set, POST),
    ("/api/v1/preferences", misc.preferences, GET),
    ("/api/v1/custom_emojis", misc.custom_emojis, GET),
    ("/api/v1/lists", misc.empty_list, GET),
    ("/api/v1/announcements", misc.empty_list, GET),
    ("/api/v1/filters", misc.empty_list, GET),
    ("/api/v2/filters", misc.empty_list, GET),
    ("/api/v1/follow_requests", misc.empty_list, GET),
]


def api_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for path, handler, methods in TABLE:
        wrapped = handler if getattr(handler, "__wrapped__", None) else endpoint(handler)
        routes.append(Route(path, wrapped, methods=methods))
        routes.append(Route(path + "/", wrapped, methods=methods))
    routes += [
        Route("/oauth/authorize", oauth.authorize_page, methods=GET),
        Route("/oauth/authorize/", oauth.authorize_page, methods=GET),
        Route("/oauth/authorize", oauth.authorize, methods=POST),
        Route("/oauth/authorize/", oauth.authorize, methods=POST),
        Route("/oauth/token", endpoint(oauth.token), methods=POST),
        Route("/oauth/token/", endpoint(oauth.token), methods=POST),
        Route("/oauth/revoke", endpoint(oauth.revoke), methods=POST),
        Route("/oauth/revoke/", endpoint(oauth.revoke), methods=POST),
        Route("/.well-known/oauth-authorization-server", endpoint(oauth.server_metadata), methods=GET),
        Route("/avatars/default.png", images.avatar),
        Route("/headers/default.png", images.header),
        Route("/api/{rest:path}", misc.not_found, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
    ]
    return routes

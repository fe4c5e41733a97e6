"""GET /api/v1/instance, /api/v2/instance and /api/v1/instance/rules: every field the apps decode,
typed as Mastodon types them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node import __version__
from node.api.respond import endpoint, json
from node.services import media, node_settings, rules, sniff
from node.services.accounts import registration_mode
from node.services.context import Node
from node.web import node_of
from storage import accounts, posts

COMPATIBLE = f"4.3.0 (compatible; Meent {__version__})"
LIMITS = {"max_characters": 50_000, "max_media_attachments": 0, "characters_reserved_per_url": 23}


def _statuses(node: Node) -> dict:
    return LIMITS | {"max_media_attachments": node.config["media.max_files_per_post"]}


def _media(node: Node) -> dict:
    """What uploads take (node/services/media.py): images and the allowed documents; no video or sound."""
    return {"supported_mime_types": [*sniff.IMAGE_TYPES, *media.allowed_document_types(node)],
            "image_size_limit": node.config["media.max_file_bytes"],
            "image_matrix_limit": node.config["media.max_pixels"],
            "video_size_limit": 0, "video_frame_rate_limit": 0, "video_matrix_limit": 0,
            "description_limit": media.DESCRIPTION_MAX}

POLLS = {"max_options": 0, "max_characters_per_option": 0, "min_expiration": 300, "max_expiration": 300}


def _common(request: Request) -> dict:
    node = node_of(request)
    face = node_settings.current(node)
    return {"title": face.name, "version": COMPATIBLE, "languages": ["nl", "en"],
            "description": face.description or f"{face.name}: discussies en blogs op Meent.",
            "email": face.email, "rules": _rules(request)}


def _rules(request: Request) -> list[dict[str, str]]:
    """The node's rules as Mastodon's Rule entity (no hints: ours are short texts)."""
    return [{"id": str(rule["id"]), "text": rule["text"], "hint": ""} for rule in rules.of_node(node_of(request))]


@endpoint
async def rules_list(request: Request) -> Response:
    return json(_rules(request))


@endpoint
async def v1(request: Request) -> Response:
    node = node_of(request)
    base, domain = node.config.base_url, node.config["node.domain"]
    counts = posts.counts(node.db)
    face = node_settings.current(node)
    return json(_common(request) | {
        "uri": domain, "short_description": face.description or f"{face.name} op Meent",
        "urls": {"streaming_api": base.replace("http", "ws", 1)},
        "stats": {"user_count": accounts.count(node.db), "domain_count": 1,
                  "status_count": sum(counts.values())},
        "thumbnail": f"{base}/headers/default.png",
        "registrations": registration_mode(node) != "closed", "approval_required": False,
        "invites_enabled": registration_mode(node) == "invite",
        "configuration": {"accounts": {"max_featured_tags": 0}, "statuses": _statuses(node),
                          "media_attachments": _media(node), "polls": POLLS},
        "contact_account": None,
    })


@endpoint
async def v2(request: Request) -> Response:
    node = node_of(request)
    base, domain = node.config.base_url, node.config["node.domain"]
    mode = registration_mode(node)
    return json(_common(request) | {
        "domain": domain, "source_url": "https://meent.example/source",
        "usage": {"users": {"active_month": accounts.count(node.db)}},
        "thumbnail": {"url": f"{base}/headers/default.png", "blurhash": None, "versions": {}},
        "icon": [{"src": f"{base}/avatars/default.png", "size": "96x96"}],
        "configuration": {
            "urls": {"streaming": base.replace("http", "ws", 1), "status": None, "about": f"{base}/",
                     "privacy_policy": None, "terms_of_service": None},
            "vapid": {"public_key": ""},
            "accounts": {"max_featured_tags": 0, "max_pinned_statuses": 0},
            "statuses": _statuses(node), "media_attachments": _media(node), "polls": POLLS,
            "translation": {"enabled": False},
            "timelines_access": {"live_feeds": {"local": "public", "remote": "public"},
                                 "hashtag_feeds": {"local": "public", "remote": "public"},
                                 "trending_link_feeds": {"local": "public", "remote": "public"}},
            "limited_federation": node.config["federation.mode"] == "allowlist",
        },
        "registrations": {"enabled": mode != "closed", "approval_required": False, "message": None,
                          "url": f"{base}/register" if mode != "closed" else None, "min_age": None,
                          "reason_required": False},
        "api_versions": {"mastodon": 2},
        "contact": {"email": node_settings.current(node).email or f"beheer@{domain.split(':')[0]}",
                    "account": None},
    })

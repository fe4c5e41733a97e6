"""An admin deletes a member: the account row stays (its user name reserved: other servers cache
the actor), emptied; their posts become tombstones; sessions, app tokens, half-finished log-ins,
mail links, mail preferences and mails queued to them end; an SSO link stays, disabled, so the
provider's account cannot come back as a new member; one `Delete` of the actor goes to every
server that follows them or got their posts; the actor URL answers 410 afterwards
(node/ap/actors.py). Disabling and enabling: accounts.set_disabled."""

from __future__ import annotations

from federation import vocab
from node.services import audit, outbound
from node.services import media as media_service
from node.services.context import Node
from node.services.errors import Conflict, Forbidden, NotFound
from storage import accounts, mail, posts, second_factor, sessions, subscriptions, tokens, writing
from storage import oidc as oidc_links
from storage.db import Row


def delete_member(node: Node, username: str, *, by: Row | None = None, address: str = "") -> int:
    """Returns how many posts became tombstones. by: the admin (None: the command line)."""
    account = accounts.local_by_username(node.db, username.strip().lower())
    if account is None:
        raise NotFound("error.member_not_found")
    if account["deleted_at"]:
        raise Conflict("error.member_deleted")
    if by is not None and by["id"] == account["id"]:
        raise Forbidden("error.not_allowed")
    base = node.config.base_url
    post_ids = second_factor.local_post_ids(node.db, account["id"])
    post_uris = []
    for post_id in post_ids:
        post = posts.by_id(node.db, post_id)
        if post is not None:
            post_uris.append(vocab.post_uri(base, post))
    now = node.now()
    with node.db.transaction():
        for post_id in post_ids:
            posts.tombstone(node.db, post_id, now)
            media_service.post_deleted(node, post_id)
        sessions.delete_for_account(node.db, account["id"])
        writing.delete_drafts_of(node.db, account["id"])  # unsent text goes with the member
        tokens.revoke_for_account(node.db, account["id"], now)
        mail.forget_account(node.db, account["id"], account["email"])
        subscriptions.forget_account(node.db, account["id"])
        media_service.member_deleted(node, account["id"])
        second_factor.mark_deleted(node.db, account["id"], now)
        for link in oidc_links.links_for(node.db, account["id"]):  # kept, so the next SSO log-in is
            oidc_links.disable_link(node.db, link["id"], "member deleted", now)  # refused, not a new member
        outbound.actor_deleted(node, account["username"], post_uris)
        audit.record(node, by, "account_delete", account["username"], f"{len(post_ids)} posts", address)
    return len(post_ids)

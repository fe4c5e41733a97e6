"""Like without reload (issue 12): the like and unlike endpoints answer JSON when asked (like.js), with
the same checks as the form, and the usual 303 otherwise; the page loads like.js only for members and
gives it its texts; the CSP still allows only our own scripts."""

from __future__ import annotations

import re

import httpx2 as httpx

from node.i18n import translate
from node.services import groups, posts
from storage import accounts as account_store
from storage import posts as post_store
from tests.helpers import Site

TOPIC = "/groups/open-overheid/topics/1"
JSON = {"accept": "application/json"}
CSRF_MESSAGE = translate("nl", "error.csrf")


def thread(site: Site) -> None:
    site.member("anne")
    site.member("bram")
    site.group()
    anne = account_store.by_username(site.node.db, "anne")
    topic = posts.start_topic(site.node, anne, groups.get(site.node, "open-overheid"), "Samen inkopen", "Wie doet mee?")
    posts.reply(site.node, anne, topic["id"], "Ik doe mee")


def send(site: Site, path: str, csrf: str | None, headers: dict[str, str] | None = None) -> httpx.Response:
    data = {"csrf": csrf} if csrf is not None else {}
    return site.client.post(path, data=data, headers=headers or JSON, follow_redirects=False)


def like_count(site: Site, post_id: int) -> int:
    return int(post_store.by_id(site.node.db, post_id)["like_count"])


def test_like_and_unlike_answer_json_when_asked(site: Site) -> None:
    thread(site)
    site.login("bram")
    csrf = site.csrf(TOPIC)
    liked = send(site, "/posts/2/like", csrf)
    assert liked.status_code == 200 and liked.headers["content-type"].startswith("application/json")
    assert liked.json() == {"liked": True, "count": 1, "count_text": "1 waardering"}
    assert like_count(site, 2) == 1
    again = send(site, "/posts/2/like", csrf)  # twice is still one like
    assert again.json() == {"liked": True, "count": 1, "count_text": "1 waardering"}
    site.logout()
    site.login("anne")
    csrf = site.csrf(TOPIC)
    english = send(site, "/posts/2/like?lang=en", csrf)
    assert english.json() == {"liked": True, "count": 2, "count_text": "2 likes"}
    assert send(site, "/posts/2/unlike", csrf).json() == {"liked": False, "count": 1, "count_text": "1 waardering"}
    assert send(site, "/posts/2/unlike", csrf).json() == {"liked": False, "count": 1, "count_text": "1 waardering"}
    assert like_count(site, 2) == 1
    # the page shows what the answers said (a reload after like.js's change shows the same)
    page = site.client.get(TOPIC).text
    assert re.search(r'<span class="meent-like-count">· 1 waardering</span>', page)


def test_refusals_answer_json_with_their_status(site: Site) -> None:
    thread(site)
    site.login("bram")
    csrf = site.csrf(TOPIC)
    no_token = send(site, "/posts/2/like", None)
    assert no_token.status_code == 403 and no_token.json() == {"error": CSRF_MESSAGE, "status": 403}
    assert like_count(site, 2) == 0
    wrong_token = send(site, "/posts/2/like", "x" * 43)
    assert wrong_token.status_code == 403 and wrong_token.json()["status"] == 403 and like_count(site, 2) == 0
    missing = send(site, "/posts/999/like", csrf)
    assert missing.status_code == 404 and missing.json() == {"error": "Dit bericht bestaat niet.", "status": 404}
    # a draft of anne's blog: bram may not see it, so he may not like it either (nor learn it is there)
    anne = account_store.by_username(site.node.db, "anne")
    draft = posts.write_blog_post(site.node, anne, "Nog niet af", "", "Concept", "", publish=False)
    for action in ("like", "unlike"):
        hidden = send(site, f"/posts/{draft['id']}/{action}", csrf)
        assert hidden.status_code == 404 and hidden.json()["error"] == "Dit bericht bestaat niet."
    assert like_count(site, draft["id"]) == 0
    site.logout()
    logged_out = send(site, "/posts/2/like", site.csrf())
    assert logged_out.status_code == 401 and logged_out.json() == {"error": "Log eerst in.", "status": 401}
    assert like_count(site, 2) == 0


def test_the_form_without_javascript_still_redirects(site: Site) -> None:
    thread(site)
    site.login("bram")
    csrf = site.csrf(TOPIC)
    browser = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    liked = send(site, "/posts/2/like", csrf, browser)
    assert liked.status_code == 303 and liked.headers["location"] == TOPIC + "#post-2"
    assert like_count(site, 2) == 1
    unliked = send(site, "/posts/2/unlike", csrf, browser)
    assert unliked.status_code == 303 and like_count(site, 2) == 0
    refused = send(site, "/posts/2/like", None, browser)  # no token: the error page, as before
    assert refused.status_code == 403 and refused.headers["content-type"].startswith("text/html")
    site.logout()
    to_login = send(site, "/posts/2/like", site.csrf(), browser)
    assert to_login.status_code == 303 and to_login.headers["location"].startswith("/login?next=")


def test_like_js_only_for_members_with_its_texts_and_the_csp_allows_only_our_scripts(site: Site) -> None:
    thread(site)
    visitor = site.client.get(TOPIC)
    assert "/static/like.js" not in visitor.text and "meent-like-status" not in visitor.text
    assert "/static/like.js" not in site.client.get("/groups/open-overheid").text
    site.login("bram")
    page = site.client.get(TOPIC)
    assert '<script src="/static/like.js" defer></script>' in page.text
    status = re.search(r'<p class="meent-visually-hidden" id="meent-like-status" role="status"([^>]*)></p>', page.text)
    assert status, page.text
    for text in ('data-like="Waardeer"', 'data-liked="Gewaardeerd ✓"', 'data-unlike="Niet meer waarderen"',
                 'data-said-liked="U waardeert dit bericht."',
                 'data-said-unliked="U waardeert dit bericht niet meer."'):
        assert text in status.group(1)
    assert 'class="meent-inline-form meent-like-form" data-like-post="2"' in page.text
    assert "<script>" not in page.text  # nothing inline
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp
    english = site.client.get(TOPIC + "?lang=en").text
    assert 'data-said-liked="You like this post."' in english
    script = site.client.get("/static/like.js")
    assert script.status_code == 200 and "meent-like-form" in script.text
    bram = account_store.by_username(site.node.db, "bram")
    blog = posts.write_blog_post(site.node, bram, "Een blog", "", "Tekst", "", publish=True)
    assert '<script src="/static/like.js" defer></script>' in site.client.get(f"/users/bram/blog/{blog['id']}").text


def test_a_removed_post_or_one_hidden_from_the_member_cannot_be_liked(site: Site) -> None:
    """Not found, as the pages say: no like, no notification, no federated Like, no count."""
    from node.services import blocks, moderation
    from tests.test_threads_hidden import EVE, eve_replies

    thread(site)
    eve = eve_replies(site, 1, 1)[0]
    moderation.remove_post(site.node, None, 2, "Spam")
    blocks.block(site.node, None, EVE, "test", limit=True)
    site.login("bram")
    csrf = site.csrf(TOPIC)
    for post_id in (2, eve):
        for action in ("like", "unlike"):
            answer = send(site, f"/posts/{post_id}/{action}", csrf)
            assert answer.status_code == 404 and "count" not in answer.json(), (post_id, action)
        assert like_count(site, post_id) == 0
    site.logout()
    site.login("anne")  # the removed post's author may still like it (she sees it, with the notice)
    assert send(site, "/posts/2/like", site.csrf(TOPIC)).json()["liked"] is True

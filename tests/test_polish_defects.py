"""Issue 12's defects, each through the real app: likes that look liked, delete with a confirmation,
every sign-up error at once, oversized forms, invitation-only sign-up, the lock-out page, the
profile's "Over mij" and full handle, the "Naar reageren" skip link."""

from __future__ import annotations

import re

from node.services import accounts, groups, posts
from storage import accounts as account_store
from storage import posts as post_store
from tests.helpers import PASSWORD, Site

TOPIC = "/groups/open-overheid/topics/1"


def thread(site: Site) -> None:
    site.member("anne")
    site.group()
    anne = account_store.by_username(site.node.db, "anne")
    topic = posts.start_topic(site.node, anne, groups.get(site.node, "open-overheid"), "Samen inkopen",
                              "Wie doet mee? " + "woord " * 80)
    posts.reply(site.node, anne, topic["id"], "Ik doe mee")


def like_button(page: str, post_id: int) -> str:
    match = re.search(rf'action="/posts/{post_id}/(?:un)?like".*?(<button.*?</button>)', page, re.S)
    assert match, page
    return match.group(1)


def test_a_liked_post_looks_liked_in_words_not_colour_alone(site: Site) -> None:
    thread(site)
    site.login("anne")
    before = like_button(site.client.get(TOPIC).text, 2)
    assert 'aria-pressed="false"' in before and "Waardeer" in before and "✓" not in before
    assert site.post("/posts/2/like", {}, site.csrf(TOPIC)).status_code == 303
    after = like_button(site.client.get(TOPIC).text, 2)
    assert 'aria-pressed="true"' in after and "meent-like--on" in after
    assert "Gewaardeerd ✓" in after and "Niet meer waarderen" in after
    english = like_button(site.client.get(TOPIC + "?lang=en").text, 2)
    assert "Liked ✓" in english and "Unlike" in english


def test_delete_asks_first_and_the_post_keeps_csrf(site: Site) -> None:
    thread(site)
    site.login("anne")
    edit = site.client.get("/posts/1/edit").text
    assert 'action="/posts/1/delete"' not in edit and 'href="/posts/1/delete"' in edit  # no one-click delete
    confirm = site.client.get("/posts/1/delete")
    assert confirm.status_code == 200
    assert "<h1" in confirm.text and "Bericht verwijderen" in confirm.text
    assert "Samen inkopen" in confirm.text and "Wie doet mee?" in confirm.text and " …" in confirm.text  # summary
    assert 'action="/posts/1/delete"' in confirm.text and 'name="csrf"' in confirm.text
    assert post_store.by_id(site.node.db, 1)["deleted_at"] is None  # looking deletes nothing
    refused = site.client.post("/posts/1/delete", data={"csrf": "wrong"}, follow_redirects=False)
    assert refused.status_code == 403 and post_store.by_id(site.node.db, 1)["deleted_at"] is None
    csrf = re.search(r'name="csrf" value="([^"]+)"', confirm.text)
    assert csrf
    assert site.post("/posts/1/delete", {}, csrf.group(1)).status_code == 303
    assert post_store.by_id(site.node.db, 1)["deleted_at"] is not None
    site.logout()
    site.member("bram")
    site.login("bram")
    assert site.client.get("/posts/2/delete").status_code == 403  # not theirs
    site.logout()
    # the confirmation asks exactly what the delete allows: an author may delete a removed post
    site.member("mod", role="moderator")
    site.login("mod")
    reason = site.csrf("/posts/2/moderate")
    assert site.post("/posts/2/remove", {"reason": "spam"}, reason).status_code == 303
    assert site.client.get("/posts/2/delete").status_code == 409  # removed already: nothing to confirm
    site.logout()
    site.login("anne")
    assert site.client.get("/posts/2/delete").status_code == 200


def test_sign_up_shows_every_field_error_at_once(site: Site) -> None:
    accounts.set_registration_policy(site.node, "domains", ["utrecht.nl"])
    response = site.post("/register", {"username": "B!", "password": "short", "email": "nope"}, site.csrf("/register"))
    assert response.status_code == 422
    for message in ("kleine letters", "8 tot 256", "geldig e-mailadres"):
        assert message in response.text, message
    for name in ("username", "password", "email"):
        assert f'id="error-{name}"' in response.text and f'href="#field-{name}"' in response.text
    assert 'value="B!"' in response.text  # what was typed stays (not the password)
    site.member("anne")
    taken = site.post("/register", {"username": "anne", "password": PASSWORD, "email": "a@gmail.com"},
                      site.csrf("/register"))
    assert "al in gebruik" in taken.text and "utrecht.nl" in taken.text  # taken name and wrong domain together
    # a name like another member's is said together with the rest, not only after they are fixed
    site.member("modern")
    alike = site.post("/register", {"username": "modem", "password": "short", "email": "a@gmail.com"},
                      site.csrf("/register"))
    assert alike.status_code == 422 and 'id="error-username"' in alike.text
    assert 'id="error-password"' in alike.text and "utrecht.nl" in alike.text


def test_an_oversized_form_says_what_happened_and_leads_back(site: Site) -> None:
    thread(site)
    site.login("anne")
    for path in ("/posts/1/reply", "/groups/open-overheid/new", "/blog/new", "/posts/2/edit", TOPIC):
        assert re.search(r'<textarea[^>]*name="body"[^>]*maxlength="50000"', site.client.get(path).text), path
    csrf = site.csrf("/posts/1/reply")
    response = site.client.post("/posts/1/reply", data={"csrf": csrf, "body": "x" * 300_000},
                                headers={"Referer": "http://127.0.0.1:8000/posts/1/reply"})
    assert response.status_code == 413
    assert "Te veel tekst" in response.text and "niet opgeslagen" in response.text and "Vorige" in response.text
    assert 'href="/posts/1/reply">Terug naar het formulier' in response.text
    elsewhere = site.client.post("/posts/1/reply", data={"csrf": csrf, "body": "x" * 300_000},
                                 headers={"Referer": "https://evil.example/form"})
    assert elsewhere.status_code == 413 and "evil.example" not in elsewhere.text


def test_invitation_only_sign_up_has_no_dead_end_links(site: Site) -> None:
    thread(site)
    accounts.set_registration_policy(site.node, "invite", [])
    for path in ("/", "/login", TOPIC, "/groups"):
        page = site.client.get(path).text
        assert 'href="/register"' not in page, path
    assert "uitnodigingslink" in site.client.get("/login").text
    assert "uitnodigingslink" in site.client.get("/").text
    token = accounts.create_invite(site.node, None)
    assert 'name="invite"' in site.client.get(f"/register?invite={token}").text  # the link itself still works
    accounts.set_registration_policy(site.node, "domains", ["utrecht.nl"])
    assert 'href="/register"' in site.client.get("/login").text
    accounts.set_registration_policy(site.node, "closed", [])
    assert 'href="/register"' not in site.client.get("/login").text


def test_the_lock_out_page_says_wait_with_retry_after(site: Site) -> None:
    site.member("anne")
    csrf = site.csrf("/login")
    statuses = [site.post("/login", {"username": "anne", "password": "wrong"}, csrf).status_code for _ in range(12)]
    assert statuses[0] == 401 and statuses[-1] == 429
    response = site.post("/login", {"username": "anne", "password": "wrong"}, csrf)
    assert response.status_code == 429 and response.headers["retry-after"] == "900"
    from node.services.errors import TooManyAttempts
    from node.services.throttle import WINDOW_SECONDS
    assert TooManyAttempts("error.too_many_attempts").retry_after == WINDOW_SECONDS == 900
    assert "<title>Even geduld" in response.text and "Er ging iets mis" not in response.text
    english = site.client.post("/login?lang=en", data={"csrf": csrf, "username": "anne", "password": "x"})
    assert "<title>Too many attempts" in english.text


def test_profile_about_is_markdown_and_the_handle_is_whole(site: Site) -> None:
    site.member("anne")
    anne = account_store.by_username(site.node.db, "anne")
    about = "Ik werk aan **open data**.\n\n- één\n- twee\n\n<script>x</script>"
    accounts.update_profile(site.node, anne, {"about": about})
    page = site.client.get("/users/anne").text
    assert "<strong>open data</strong>" in page and "<li>één</li>" in page
    assert "<script>x" not in page
    assert '<code class="meent-handle">@anne@127.0.0.1:8000</code>' in page


def test_thread_pages_skip_to_the_reply_box(site: Site) -> None:
    thread(site)
    page = site.client.get(TOPIC).text
    assert 'href="#main"' in page and 'href="#reply-heading">Naar reageren</a>' in page
    assert 'id="reply-heading"' in page
    assert "Naar reageren" not in site.client.get("/groups").text

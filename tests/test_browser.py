"""End to end in a real headless Chromium, with an axe-core scan of every page type.

A member logs in through the form, starts a discussion, replies, replies to the
reply (the tree nests), writes a blog post and finds the discussion again by
search; the administrator changes the registration policy, makes an invitation
and replies. Every page type on the way, logged in and logged out, is scanned
with axe-core: a "serious" or "critical" violation anywhere fails the test.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import PASSWORD, LiveNode, meent, start_node

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
BLOCKING = ("serious", "critical")
GROUP = "/groups/open-overheid"
TOPIC_TITLE = "Coördinatie van Woo-verzoeken"
TOPIC_URL = re.compile(r"/groups/open-overheid/topics/(\d+)$")
REPLY_URL = re.compile(r"/groups/open-overheid/topics/\d+#post-(\d+)$")
BLOG_URL = re.compile(r"/users/anne/blog/(\d+)$")


@dataclass
class Browser:
    """What the test needs from Playwright and axe, imported only where a browser can run."""

    sync_playwright: Any
    axe: Any


@pytest.fixture
def browser() -> Browser:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"no browser: {CHROMIUM} is missing (Debian: apt-get install chromium, or `make browser`)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        pytest.skip(f"no browser: the Python package playwright cannot be imported ({error})")
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError as error:
        pytest.skip(f"no browser: the Python package axe-playwright-python cannot be imported ({error})")
    return Browser(sync_playwright, Axe())


@pytest.fixture
def node(browser: Browser, tmp_path: Path) -> Iterator[LiveNode]:
    """A real node (after the browser check, so a skip starts nothing) with a member and a group."""
    live = start_node(tmp_path / "node")
    try:
        config = str(live.config_path)
        meent("user", "add", "anne", "--password", PASSWORD, "--config", config)
        meent("group", "add", "open-overheid", "--name", "Open Overheid", "--config", config)
        yield live
    finally:
        live.stop()


@dataclass
class Scanner:
    """Runs axe-core on the page's current document and keeps every serious or critical violation."""

    page: Page
    axe: Any
    problems: list[str] = field(default_factory=list)
    scanned: list[str] = field(default_factory=list)

    def scan(self, what: str) -> None:
        self.page.wait_for_load_state("load")
        results = self.axe.run(self.page)
        self.scanned.append(what)
        for violation in results.response["violations"]:
            if violation["impact"] not in BLOCKING:
                continue
            nodes = "\n".join(f"      {' '.join(node['html'].split())}" for node in violation["nodes"])
            self.problems.append(
                f"{what} ({self.page.url}): {violation['id']} [{violation['impact']}] {violation['help']}"
                f" ({violation['helpUrl']})\n{nodes}"
            )

    def visit(self, path: str, what: str, status: int = 200) -> None:
        response = self.page.goto(path)
        assert response is not None, path
        assert response.status == status, f"GET {path}: {response.status}, expected {status}"
        self.scan(what)

    def blocking(self) -> list[str]:
        """The ids of the serious or critical rules axe reports on the current document (for the self-check)."""
        results = self.axe.run(self.page)
        return [violation["id"] for violation in results.response["violations"] if violation["impact"] in BLOCKING]

    def report(self) -> str:
        return (f"{len(self.problems)} serious or critical axe-core violations on {len(self.scanned)} scanned pages:\n"
                + "\n".join(self.problems))


def submit(page: Page, button: Locator, url: str | re.Pattern[str], status: int = 303) -> None:
    """Click a form's button; check the POST's status and that of the page it leads to, once that has loaded."""
    with (
        page.expect_response(lambda response: response.request.method == "POST") as posted,
        page.expect_navigation(url=url) as navigated,
    ):
        button.click()
    assert posted.value.status == status, f"POST {posted.value.url}: {posted.value.status}, expected {status}"
    if status == 303:
        final = navigated.value
        assert final is not None and final.status == 200, f"after POST {posted.value.url}: {final and final.status}"


def number(pattern: re.Pattern[str], url: str) -> int:
    match = pattern.search(url)
    assert match, f"{url} does not match {pattern.pattern}"
    return int(match.group(1))


def path_of(page: Page) -> str:
    """The current page's path, query and fragment, without the node's origin."""
    return re.sub(r"^https?://[^/]+", "", page.url)


def log_in(page: Page, name: str) -> None:
    page.goto("/login")
    page.get_by_label("Gebruikersnaam").fill(name)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    submit(page, page.get_by_role("button", name="Inloggen"), re.compile(r"/$"))
    assert page.get_by_role("button", name="Uitloggen").is_visible()


def log_out(page: Page) -> None:
    submit(page, page.get_by_role("button", name="Uitloggen"), re.compile(r"/$"))
    assert page.get_by_role("link", name="Inloggen").first.is_visible()


def start_topic(page: Page, body: str) -> tuple[str, int]:
    """The signed-in member starts TOPIC_TITLE in GROUP through the form: its path and id."""
    page.goto(f"{GROUP}/new")
    page.get_by_label("Titel").fill(TOPIC_TITLE)
    body_field(page).fill(body)
    submit(page, page.get_by_role("button", name="Discussie starten"), TOPIC_URL)
    return path_of(page), number(TOPIC_URL, page.url)


def body_field(page: Page) -> Locator:
    return page.get_by_label("Bericht", exact=True)


def test_member_journey_is_accessible(browser: Browser, node: LiveNode) -> None:
    with browser.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = chromium.new_context(base_url=node.url, locale="nl-NL")
            page = context.new_page()
            page.set_default_timeout(10_000)
            scanner = Scanner(page, browser.axe)
            journey(page, scanner, node)
        finally:
            chromium.close()
    assert not scanner.problems, scanner.report()
    print(f"axe-core: no serious or critical violations on {len(scanner.scanned)} pages")


def journey(page: Page, scanner: Scanner, node: LiveNode) -> None:
    # Logged out: the public pages while the node is still empty, and a failed log-in.
    scanner.visit("/", "home, logged out, empty")
    scanner.visit("/groups", "groups, logged out")
    scanner.visit(GROUP, "group, logged out, no topics")
    scanner.visit("/register", "register, closed")
    scanner.visit("/bestaat-niet", "404 page", status=404)
    scanner.visit("/login", "login form")
    page.get_by_label("Gebruikersnaam").fill("anne")
    page.get_by_label("Wachtwoord").fill("not the password")
    submit(page, page.get_by_role("button", name="Inloggen"), re.compile(r"/login$"), status=401)
    scanner.scan("login form with an error")

    # Anne logs in through the form and starts a discussion in the group.
    log_in(page, "anne")
    scanner.scan("home, logged in")
    page.goto("/groups")
    page.get_by_role("link", name="Open Overheid").click()
    page.wait_for_url(re.compile(GROUP + "$"))
    scanner.scan("group, logged in, no topics")
    page.get_by_role("link", name="Nieuwe discussie").click()
    page.wait_for_url(re.compile(GROUP + "/new$"))
    scanner.scan("new-topic form")

    # The form with an empty title, past the browser's own check: the server's error page.
    page.evaluate("document.querySelectorAll('[required]').forEach(el => el.removeAttribute('required'))")
    submit(page, page.get_by_role("button", name="Discussie starten"), re.compile(GROUP + "/topics$"), status=422)
    assert page.get_by_role("alert").is_visible()
    assert page.get_by_label("Titel").get_attribute("aria-invalid") == "true"
    scanner.scan("new-topic form with errors")

    page.get_by_label("Titel").fill(TOPIC_TITLE)
    body_field(page).fill("Hoe verdelen we het werk tussen de afdelingen? #woo #openbaarheid")
    submit(page, page.get_by_role("button", name="Discussie starten"), TOPIC_URL)
    topic_path = path_of(page)
    topic_id = number(TOPIC_URL, page.url)
    assert page.get_by_role("heading", level=1).inner_text() == TOPIC_TITLE
    scanner.scan("topic page, no replies")

    # A reply with the form at the bottom, then a reply to that reply through its "Reageer" link.
    body_field(page).fill("Wij werken met een vast team per verzoek.")
    submit(page, page.get_by_role("button", name="Plaatsen"), REPLY_URL)
    first = number(REPLY_URL, page.url)
    page.locator(f"#post-{first}").get_by_role("link", name="Reageer").click()
    page.wait_for_url(re.compile(rf"/posts/{first}/reply$"))
    scanner.scan("reply form")
    body_field(page).fill("Dat team heeft ook een vaste jurist nodig.")
    submit(page, page.get_by_role("button", name="Plaatsen"), REPLY_URL)
    second = number(REPLY_URL, page.url)
    assert second != first

    tree = page.locator(f"section[aria-labelledby='replies-heading'] > ol.meent-thread > li:has(> #post-{first})")
    assert tree.count() == 1, "the first reply is not a top-level branch"
    nested = tree.locator(f":scope > ol.meent-thread--nested > li > article#post-{second}")
    assert nested.count() == 1, "the reply to the reply is not nested under the first reply"
    assert "vaste jurist" in nested.inner_text()
    assert page.locator(f"ol.meent-thread:not(.meent-thread--nested) > li > article#post-{second}").count() == 0
    scanner.scan("topic page with a threaded tree")
    scanner.visit(f"/posts/{second}/edit", "edit form, reply")
    scanner.visit(f"/posts/{topic_id}/edit", "edit form, topic")

    # The tag from the body, and search with a diacritic folded away.
    scanner.visit("/tags/woo", "tag page")
    assert page.get_by_role("link", name=TOPIC_TITLE).is_visible()
    page.goto("/search")
    scanner.scan("search form")
    page.get_by_label("Zoek in discussies en blogs").fill("coordinatie")
    page.get_by_role("main").get_by_role("button", name="Zoeken").click()
    page.wait_for_url(re.compile(r"/search\?q=coordinatie$"))
    results = page.get_by_role("main").get_by_role("list")
    assert results.get_by_role("link", name=TOPIC_TITLE).is_visible(), "search did not find the topic"
    scanner.scan("search results")
    scanner.visit("/search?q=bestaatnergens", "search without results")

    # A blog post through the form.
    scanner.visit("/blog", "blogs, logged in")
    page.get_by_role("link", name="Nieuw blogbericht").click()
    page.wait_for_url(re.compile(r"/blog/new$"))
    scanner.scan("new blog post form")
    page.get_by_label("Titel").fill("Ons eerste blogbericht")
    page.get_by_label("Samenvatting").fill("Wat we leerden van een jaar Woo.")
    body_field(page).fill("Een jaar #woo in de praktijk.\n\nMet **dank** aan iedereen.")
    page.get_by_label("Tags").fill("woo praktijk")
    submit(page, page.get_by_role("button", name="Publiceren"), BLOG_URL)
    blog_path = path_of(page)
    blog_id = number(BLOG_URL, page.url)
    assert page.get_by_role("heading", level=1).inner_text() == "Ons eerste blogbericht"
    scanner.scan("blog post page, logged in")
    scanner.visit(f"/posts/{blog_id}/edit", "edit form, blog post")
    scanner.visit("/users/anne/blog", "member's blog, own")
    scanner.visit("/users/anne", "profile, logged in")
    scanner.visit("/settings", "settings")
    page.get_by_label("Huidig wachtwoord").fill("not the password")
    page.get_by_label("Nieuw wachtwoord").fill("another long password")
    submit(page, page.get_by_role("button", name="Wachtwoord wijzigen"), re.compile(r"/settings/password$"), 422)
    assert page.get_by_label("Huidig wachtwoord").get_attribute("aria-invalid") == "true"
    scanner.scan("settings with an error")
    scanner.visit("/notifications", "notifications, empty")

    # The administrator: registration by invitation, an invitation link, a reply that tells anne.
    log_out(page)
    log_in(page, "beheerder")
    scanner.visit("/admin", "admin")
    page.get_by_label("Alleen met een uitnodigingslink").check()
    submit(page, page.get_by_role("button", name="Opslaan", exact=True), re.compile(r"/admin#registration$"))
    scanner.scan("admin with a message")
    submit(page, page.get_by_role("button", name="Nieuwe uitnodigingslink"), re.compile(r"/admin#invites$"))
    invite = page.locator("code.meent-invite").inner_text()
    assert "/register?invite=" in invite
    scanner.scan("admin with an invitation link")
    _seed_federation_trouble(node)
    scanner.visit("/admin/federation", "federation: failing server, failed and refused activities")
    scanner.visit("/groups", "groups, as administrator (new-group form)")
    page.goto(topic_path)
    like = page.locator(f"#post-{topic_id}").get_by_role("button", name="Waardeer")
    like_in_place(page, like)  # like.js: no reload
    assert like.get_attribute("aria-pressed") == "true"
    body_field(page).fill("Goed plan, @anne. Ik regel de jurist.")
    submit(page, page.get_by_role("button", name="Plaatsen"), REPLY_URL)
    log_out(page)

    # Logged out again: the pages with content, the invitation's sign-up form.
    scanner.scan("home, logged out, with content")
    scanner.visit(topic_path, "topic page, logged out")
    scanner.visit(blog_path, "blog post page, logged out")
    scanner.visit("/blog", "blogs, logged out")
    scanner.visit("/users/anne/blog", "member's blog, logged out")
    scanner.visit("/users/anne", "profile, logged out")
    scanner.visit("/tags/woo", "tag page, logged out")
    scanner.visit("/search?q=co%C3%B6rdinatie", "search results, logged out")
    assert page.get_by_role("main").get_by_role("link", name=TOPIC_TITLE).is_visible()
    scanner.visit(re.sub(r"^https?://[^/]+", "", invite), "register form (invitation)")
    assert page.get_by_label("E-mailadres (werk)").is_visible()
    scanner.visit("/posts/999999/reply", "reply form, logged out (redirects to log-in)")
    assert "/login" in page.url

    # Anne again: the notification of the administrator's reply, then the English pages.
    log_in(page, "anne")
    assert page.locator(".meent-badge").first.is_visible()
    scanner.visit("/notifications", "notifications, unread")
    assert page.get_by_role("main").get_by_role("link", name=re.compile("beheerder", re.IGNORECASE)).first.is_visible()
    scanner.visit(topic_path + "?lang=en", "topic page in English")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name=re.compile("^Replies")).is_visible()
    scanner.visit("/?lang=en", "home in English")
    scanner.visit("/bestaat-niet", "404 page in English", status=404)
    page.goto("/?lang=nl")

    # The scan itself must work: a known critical violation on this very page is reported.
    page.evaluate("document.querySelector('main').append(document.createElement('img'))")
    assert "image-alt" in scanner.blocking(), "axe-core did not report an image without alternative text"


def _seed_federation_trouble(node: LiveNode) -> None:
    """What /admin/federation shows when things go wrong, written beside the running node as a
    crashed peer would leave it: a failing server with a delivery waiting, a failed and a refused
    activity."""
    import sqlite3

    db = sqlite3.connect(node.config_path.parent / "meent.db", timeout=10)
    try:
        now = "2026-03-02T09:30:00.000Z"
        db.execute("INSERT INTO servers (domain, failures, failing_since, last_failure_at, last_error)"
                   " VALUES ('traag.example', 3, ?, ?, 'ClientConnectorError: connection refused')", (now, now))
        for state, error in (("failed", "gave up after 26 tries: HTTP 502"), ("refused", "not public")):
            db.execute("INSERT INTO inbox (activity_id, actor, type, body, state, lane, attempts, next_try_at, error,"
                       " received_at, processed_at) VALUES (?, 'https://traag.example/u', 'Create', '{}', ?,"
                       " 'traag.example', 1, ?, ?, ?, ?)",
                       (f"https://traag.example/act/{state}", state, now, error, now, now))
        db.commit()
    finally:
        db.close()



def test_reports_and_the_moderation_queue_are_accessible(browser: Browser, node: LiveNode) -> None:
    """The report form (as a visitor, with an error, and as a member), the queue and a report page:
    no serious or critical axe violation, and a report is made with the keyboard alone."""
    with browser.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = chromium.new_context(base_url=node.url, locale="nl-NL").new_page()
            page.set_default_timeout(10_000)
            scanner = Scanner(page, browser.axe)
            _report_pages(page, scanner)
        finally:
            chromium.close()
    assert not scanner.problems, scanner.report()


def _report_pages(page: Page, scanner: Scanner) -> None:
    log_in(page, "anne")
    topic_path, topic_id = start_topic(page, "Koop nu goedkope horloges")
    log_out(page)

    # A visitor, with the keyboard only: the link under the post, a category, the text, an e-mail address.
    page.goto(topic_path)
    page.locator(f"#post-{topic_id}").get_by_role("link", name=re.compile("Meld een probleem")).focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/posts/{topic_id}/report$"))
    scanner.scan("report form, visitor")
    page.evaluate("document.querySelectorAll('[required]').forEach(el => el.removeAttribute('required'))")
    submit(page, page.get_by_role("button", name="Melding versturen"), re.compile(r"/report$"), status=422)
    assert page.get_by_role("alert").is_visible()
    scanner.scan("report form with errors")
    page.get_by_label("Spam of reclame").focus()
    page.keyboard.press("Space")
    assert page.get_by_label("Spam of reclame").is_checked()
    page.keyboard.press("Tab")
    page.keyboard.type("Reclame voor horloges")
    page.keyboard.press("Tab")
    page.keyboard.type("bezoeker@example.nl")
    with page.expect_navigation(url=TOPIC_URL):
        page.keyboard.press("Enter")
    assert page.get_by_role("status").inner_text().startswith("Dank u")
    scanner.scan("topic page after a report")

    log_in(page, "anne")
    scanner.visit("/users/beheerder/report", "report form, member, profile")
    assert page.get_by_label("Uw e-mailadres").count() == 0
    log_out(page)

    log_in(page, "beheerder")
    scanner.visit("/moderation", "moderation queue")
    assert page.get_by_role("main").get_by_text("Reclame voor horloges").is_visible()
    page.get_by_role("link", name="#1").click()
    page.wait_for_url(re.compile(r"/moderation/reports/1$"))
    scanner.scan("report page")
    assert page.get_by_text("bezoeker@example.nl").is_visible()
    page.get_by_label("Notitie", exact=True).fill("Bekeken")
    submit(page, page.get_by_role("button", name="Notitie toevoegen"), re.compile(r"/moderation/reports/1$"))
    submit(page, page.get_by_role("button", name="Markeren als afgehandeld"), re.compile(r"/moderation/reports/1$"))
    scanner.scan("report page, resolved, with a note")
    scanner.visit("/moderation?state=resolved", "moderation queue, resolved")
    scanner.visit("/moderation?state=dismissed&lang=en", "moderation queue, empty, in English")


def _seed_moderation_log(node: LiveNode) -> None:
    """Entries as the moderation actions write them (a removal with its report, a node-wide block), beside
    the running node."""
    import sqlite3

    db = sqlite3.connect(node.config_path.parent / "meent.db", timeout=10)
    try:
        now = "2026-03-02T09:30:00.000Z"
        group_id = db.execute("SELECT id FROM groups WHERE slug = 'open-overheid'").fetchone()[0]
        db.execute("INSERT INTO moderation_log (group_id, action, target_url, target_label, reason, role, created_at)"
                   " VALUES (?, 'remove', ?, 'Reclame', 'Reclame hoort hier niet', 'moderator', ?)",
                   (group_id, f"{node.url}/posts/1", now))
        db.execute("INSERT INTO moderation_log (action, target_url, target_label, reason, role, created_at)"
                   " VALUES ('block', 'https://spam.example', 'spam.example', 'Alleen spam', 'admin', ?)", (now,))
        db.commit()
    finally:
        db.close()


def test_logs_rules_and_audit_pages_are_accessible(browser: Browser, node: LiveNode) -> None:
    """The public moderation logs, the rules pages (edited through their forms) and /admin/audit."""
    _seed_moderation_log(node)
    with browser.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = chromium.new_context(base_url=node.url, locale="nl-NL").new_page()
            page.set_default_timeout(10_000)
            scanner = Scanner(page, browser.axe)
            scanner.visit("/moderation-log", "node moderation log")
            assert page.get_by_role("cell", name="Alleen spam").is_visible()
            scanner.visit(GROUP + "/moderation-log", "group moderation log")
            assert page.get_by_role("cell", name="Reclame hoort hier niet").is_visible()
            scanner.visit(GROUP + "/rules", "group rules, logged out (no rules yet)")

            log_in(page, "beheerder")
            scanner.visit(GROUP + "/rules", "group rules with the edit form")
            page.get_by_label("Regels, één per regel").fill("Blijf bij het onderwerp\nGeen reclame")
            submit(page, page.get_by_role("button", name="Regels bijwerken"), re.compile(GROUP + "/rules$"))
            scanner.scan("group rules, saved")
            scanner.visit(GROUP, "group page with its rules")
            assert page.get_by_role("listitem").filter(has_text="Geen reclame").is_visible()
            page.goto("/admin")
            page.get_by_label("Regels, één per regel").fill("Wees beleefd")
            submit(page, page.get_by_role("button", name="Regels bijwerken"), re.compile(r"/admin#rules$"))
            scanner.visit("/about", "about page with the node's rules")
            assert page.get_by_role("listitem").filter(has_text="Wees beleefd").is_visible()
            scanner.visit("/admin/audit", "audit log")
            assert page.get_by_role("cell", name="Regels gewijzigd").first.is_visible()
            page.get_by_label("Toon handeling").select_option("rule_change")
            page.get_by_role("button", name="Filteren").click()
            page.wait_for_url(re.compile(r"/admin/audit\?action=rule_change$"))
            scanner.scan("audit log, filtered")
            scanner.visit("/moderation-log?lang=en", "node moderation log in English")
        finally:
            chromium.close()
    assert not scanner.problems, scanner.report()


def test_moderation_pages_are_accessible(browser: Browser, node: LiveNode) -> None:
    """A topic page with the moderators' controls, a post's moderation page (with an error and after a
    removal), a group's moderation page with a ban in its table, and the admin page's suspend forms."""
    with browser.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = chromium.new_context(base_url=node.url, locale="nl-NL").new_page()
            page.set_default_timeout(10_000)
            scanner = Scanner(page, browser.axe)
            _moderation_pages(page, scanner)
        finally:
            chromium.close()
    assert not scanner.problems, scanner.report()
    print(f"axe-core: no serious or critical violations on {len(scanner.scanned)} moderation pages")


def _moderation_pages(page: Page, scanner: Scanner) -> None:
    log_in(page, "anne")
    page.goto(GROUP + "/new")
    page.get_by_label("Titel").fill("Een onderwerp om te modereren")
    body_field(page).fill("De tekst van het onderwerp.")
    submit(page, page.get_by_role("button", name="Discussie starten"), TOPIC_URL)
    topic_path, topic_id = path_of(page), number(TOPIC_URL, page.url)
    body_field(page).fill("Een reactie die weg moet.")
    submit(page, page.get_by_role("button", name="Plaatsen"), REPLY_URL)
    reply = number(REPLY_URL, page.url)
    log_out(page)

    log_in(page, "beheerder")
    scanner.visit(topic_path, "topic page with moderator controls")
    page.locator(f"#post-{reply}").get_by_role("link", name=re.compile("Modereren")).click()
    page.wait_for_url(re.compile(rf"/posts/{reply}/moderate$"))
    scanner.scan("post moderation page")
    page.evaluate("document.querySelectorAll('[required]').forEach(el => el.removeAttribute('required'))")
    submit(page, page.get_by_role("button", name="Bericht verwijderen"), re.compile(rf"/posts/{reply}/remove$"),
           status=422)
    assert page.get_by_role("alert").is_visible()
    assert page.locator("#remove-reason").get_attribute("aria-invalid") == "true"
    scanner.scan("post moderation page with an error")
    page.locator("#remove-reason").fill("Persoonsgegevens")
    submit(page, page.get_by_role("button", name="Bericht verwijderen"), re.compile(rf"{topic_path}#post-{reply}$"))
    assert page.get_by_text("Verwijderd door een moderator").first.is_visible()
    scanner.scan("topic page with a removed reply, as a moderator")
    scanner.visit(f"/posts/{topic_id}/moderate", "topic moderation page (lock, pin, ban)")
    page.locator("#lock-reason").fill("Afgerond")
    submit(page, page.get_by_role("button", name="Onderwerp sluiten"), re.compile(rf"{topic_path}$"))
    assert page.get_by_text("Dit onderwerp is gesloten").first.is_visible()
    scanner.scan("locked topic page")

    scanner.visit(GROUP + "/moderation", "group moderation page, no bans")
    page.locator("#ban-account").fill("anne")
    page.locator("#ban-reason").fill("Herhaaldelijk buiten de orde")
    page.locator("#ban-until").fill("2999-01-01")
    submit(page, page.get_by_role("button", name="Uitsluiten", exact=True), re.compile(GROUP + "/moderation$"))
    assert page.get_by_role("cell", name="Herhaaldelijk buiten de orde").is_visible()
    scanner.scan("group moderation page with a ban")
    page.locator("#moderator-account").fill("niemand")
    submit(page, page.get_by_role("button", name="Moderator toevoegen"), re.compile(GROUP + "/moderators$"),
           status=422)
    assert page.locator("#moderator-account").get_attribute("aria-invalid") == "true"
    scanner.scan("group moderation page with an error")
    scanner.visit("/admin", "admin page with suspend forms")
    page.goto("/")
    log_out(page)
    scanner.visit(topic_path, "locked topic with a removed reply, logged out")


def test_admin_blocks_page_is_accessible(browser: Browser, node: LiveNode) -> None:
    """/admin/blocks with a block, a limit, a shared list with a conflict, and a form with an error."""
    import sqlite3

    config = str(node.config_path)
    meent("block", "bad.example", "--reason", "Spam uit bad.example", "--config", config)
    meent("block", "https://druk.example/users/eve", "--limit", "--reason", "Veel berichten", "--config", config)
    db = sqlite3.connect(node.config_path.parent / "meent.db", timeout=10)
    try:
        now = "2026-03-02T09:30:00.000Z"
        db.execute("INSERT INTO block_lists (id, url, kind, created_at, fetched_at, next_fetch_at, last_error,"
                   " entry_count) VALUES (1, 'https://lijst.example/vertrouwd.txt', 'allow', ?, ?, '2099-01-01',"
                   " '2 lines skipped', 1)", (now, now))
        db.execute("INSERT INTO block_list_entries (list_id, domain, severity) VALUES (1, 'bad.example', 'allow')")
        db.commit()
    finally:
        db.close()
    with browser.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = chromium.new_context(base_url=node.url, locale="nl-NL").new_page()
            page.set_default_timeout(10_000)
            scanner = Scanner(page, browser.axe)
            log_in(page, "beheerder")
            scanner.visit("/admin/blocks", "blocks, with a block, a limit, a list and a conflict")
            assert page.get_by_text("Spam uit bad.example").is_visible()
            assert page.locator("#conflicts ~ div").get_by_text("bad.example").is_visible()
            page.get_by_label("Account of server").fill("spam.example")
            page.get_by_label("Reden").fill("   ")  # passes the browser's check, not the node's
            submit(page, page.get_by_role("button", name="Opslaan"), re.compile(r"/admin/blocks$"), status=422)
            scanner.scan("blocks, a block without a reason")
            page.set_viewport_size({"width": 375, "height": 800})
            scanner.visit("/admin/blocks", "blocks at 375 px")
        finally:
            chromium.close()
    assert not scanner.problems, scanner.report()


def test_log_in_with_the_organisations_account_is_accessible(browser: Browser, tmp_path: Path) -> None:
    """The log-in page with an SSO button, scanned; then the whole redirect flow through a real
    OpenID provider (tests/oidc_provider) in Chromium, back on Meent as the new member."""
    from node.config import to_toml
    from tests.helpers import free_port, serve_node
    from tests.oidc_helpers import NAME, OpenIdProvider, node_tables, provider_installed

    if not provider_installed():
        pytest.skip("oidc-provider is not installed (make oidc-provider needs npm)")
    port = free_port()
    provider = OpenIdProvider(tmp_path, f"http://127.0.0.1:{port}/auth/oidc/callback")
    provider.start()
    config_path = tmp_path / "config.toml"
    config_path.write_text(to_toml(node_tables(port, tmp_path, provider)))
    live = serve_node(config_path, port)
    try:
        with browser.sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = chromium.new_context(base_url=live.url, locale="nl-NL").new_page()
                page.set_default_timeout(10_000)
                scanner = Scanner(page, browser.axe)
                scanner.visit("/login?next=/settings", "log-in page with an SSO button")
                page.get_by_role("link", name=f"Inloggen met {NAME}").click()
                page.wait_for_url(re.compile(rf"^{re.escape(provider.issuer)}/interaction/"))
                page.get_by_label("User").fill("alice")
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_url(f"{live.url}/settings")
                assert page.get_by_role("button", name="Uitloggen").first.is_visible()
                scanner.scan("settings after the first SSO log-in")
            finally:
                chromium.close()
    finally:
        live.stop()
        provider.stop()
    assert not scanner.problems, scanner.report()


def test_sign_up_by_email_domain_and_password_reset_are_accessible(browser: Browser, tmp_path: Path) -> None:
    """Sign up by e-mail domain, confirm through the link in the mail a real SMTP server received, choose
    mail notifications in /settings, then forget the password and set a new one; axe scans every page."""
    import tomllib

    from node.config import to_toml
    from tests.helpers import free_port, serve_node
    from tests.mail_helpers import SmtpServer, link

    smtp = SmtpServer().start()
    port = free_port()
    data = tmp_path / "node"
    meent("init", "--data-dir", str(data), "--domain", f"127.0.0.1:{port}", "--admin", "beheerder",
          "--password", PASSWORD, "--name", "Gemeente Test")
    config = data / "config.toml"
    values = tomllib.loads(config.read_text())
    values["registration"] = {"mode": "domains", "allowed_email_domains": ["utrecht.nl"]}
    values["mail"] = smtp.config()
    config.write_text(to_toml(values))
    live = serve_node(config, port)
    origin = re.compile(r"^https?://[^/]+")
    try:
        with browser.sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = chromium.new_context(base_url=live.url, locale="nl-NL").new_page()
                page.set_default_timeout(10_000)
                scanner = Scanner(page, browser.axe)
                scanner.visit("/register", "sign-up by e-mail domain")
                page.get_by_label("Naam", exact=True).fill("Bob de Vries")
                page.get_by_label("Gebruikersnaam").fill("bob")
                page.get_by_label("E-mailadres (werk)").fill("bob@utrecht.nl")
                page.get_by_label("Wachtwoord").fill(PASSWORD)
                submit(page, page.get_by_role("button", name="Account aanmaken"), re.compile(r"/register$"), 200)
                assert page.get_by_text("bob@utrecht.nl").is_visible()
                scanner.scan("sign-up sent: check your e-mail")
                [mail] = smtp.wait_for("bob@utrecht.nl", what="the confirmation mail")
                scanner.visit(origin.sub("", link(mail, "/register/confirm?token=")), "confirm e-mail address")
                submit(page, page.get_by_role("button", name="Bevestigen"), re.compile(r"/login\?next=/welcome$"))
                assert page.get_by_text("Je e-mailadres is bevestigd").is_visible()
                scanner.scan("log-in page after confirming")
                log_in(page, "bob")
                scanner.visit("/settings", "settings with mail preferences")
                page.get_by_label("nieuwe onderwerpen in groepen en met tags die ik volg").check()
                page.get_by_label("één keer per dag, samengevat").check()
                submit(page, page.get_by_role("button", name="E-mailinstellingen opslaan"), re.compile(r"/settings"))
                assert page.get_by_label("één keer per dag, samengevat").is_checked()
                log_out(page)
                page.goto("/login")
                page.get_by_role("link", name="Wachtwoord vergeten?").click()
                page.wait_for_url(re.compile(r"/password/forgot$"))
                scanner.scan("forgot password")
                page.get_by_label("E-mailadres (werk)").fill("bob@utrecht.nl")
                submit(page, page.get_by_role("button", name="Versturen"), re.compile(r"/password/forgot$"), 200)
                scanner.scan("forgot password: sent if known")
                reset = smtp.wait_for("bob@utrecht.nl", count=2, what="the reset mail")[1]
                scanner.visit(origin.sub("", link(reset, "/password/reset?token=")), "choose a new password")
                page.get_by_label("Nieuw wachtwoord").fill("kort")
                page.locator("form").last.evaluate("form => form.noValidate = true")
                submit(page, page.get_by_role("button", name="Wachtwoord opslaan"), re.compile(r"/password/reset$"),
                       422)
                scanner.scan("new password too short")
                page.get_by_label("Nieuw wachtwoord").fill("een heel nieuw wachtwoord")
                submit(page, page.get_by_role("button", name="Wachtwoord opslaan"), re.compile(r"/login$"))
                scanner.visit("/password/reset?token=" + "x" * 43, "a guessed reset link", status=400)
            finally:
                chromium.close()
    finally:
        live.stop()
        smtp.stop()
    assert not scanner.problems, scanner.report()


def test_second_factor_pages_are_accessible(browser: Browser, node: LiveNode) -> None:
    """The admins' second-factor policy on /admin, enrolling in /settings and right after the password
    (the policy requires it), the recovery codes, and the code step of a log-in, with their errors."""
    import time

    import pyotp

    with browser.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = chromium.new_context(base_url=node.url, locale="nl-NL").new_page()
            page.set_default_timeout(10_000)
            scanner = Scanner(page, browser.axe)
            log_in(page, "beheerder")
            scanner.visit("/settings", "settings with the second factor off")
            scanner.visit("/settings/second-factor", "enrolling in settings")
            assert page.locator("svg").first.is_visible()
            totp = pyotp.TOTP(page.locator("#totp-secret").inner_text())
            page.get_by_label("Code uit de app").fill(totp.now())
            submit(page, page.get_by_role("button", name="Bevestigen"), re.compile(r"/settings/second-factor$"), 200)
            assert page.locator("#recovery-codes li").count() == 10
            scanner.scan("the recovery codes, shown once")
            scanner.visit("/admin#second-factor", "admin with the second-factor policy")
            page.get_by_label("Iedereen", exact=True).check()
            submit(page, page.get_by_role("button", name="Beleid toepassen"), re.compile(r"/admin"))
            assert page.get_by_label("Iedereen", exact=True).is_checked()
            scanner.scan("admin after saving the policy")
            page.goto("/")
            log_out(page)

            page.goto("/login")
            page.get_by_label("Gebruikersnaam").fill("anne")
            page.get_by_label("Wachtwoord").fill(PASSWORD)
            submit(page, page.get_by_role("button", name="Inloggen"), re.compile(r"/login/enrol$"))
            scanner.scan("enrolment the policy requires, right after the password")
            page.get_by_label("Code uit de app").fill("12ab")
            submit(page, page.get_by_role("button", name="Bevestigen"), re.compile(r"/login/enrol$"), 422)
            assert page.get_by_label("Code uit de app").get_attribute("aria-invalid") == "true"
            scanner.scan("enrolment with a wrong code")
            anne = pyotp.TOTP(page.locator("#totp-secret").inner_text())
            page.get_by_label("Code uit de app").fill(anne.now())
            submit(page, page.get_by_role("button", name="Bevestigen"), re.compile(r"/login/enrol$"), 200)
            page.get_by_role("link", name="Verder").click()
            log_out(page)

            page.goto("/login")
            page.get_by_label("Gebruikersnaam").fill("anne")
            page.get_by_label("Wachtwoord").fill(PASSWORD)
            submit(page, page.get_by_role("button", name="Inloggen"), re.compile(r"/login/code$"))
            scanner.scan("the code step of a log-in")
            page.get_by_label("Code", exact=True).fill("abc")
            submit(page, page.get_by_role("button", name="Inloggen"), re.compile(r"/login/code$"), 422)
            scanner.scan("the code step with a code of the wrong shape")
            page.get_by_label("Code", exact=True).fill(anne.at(time.time() + anne.interval))
            submit(page, page.get_by_role("button", name="Inloggen"), re.compile(r"/$"))
            assert page.get_by_role("button", name="Uitloggen").is_visible()
        finally:
            chromium.close()
    assert not scanner.problems, scanner.report()


def test_attaching_an_image_with_its_description_is_accessible(browser: Browser, node: LiveNode,
                                                               tmp_path: Path) -> None:
    """Issue 11: a topic with an image chosen in the form; without a description the form comes back
    with the upload kept; with one the thread shows the image with that text, at 1280 and 375 px."""
    from tests import media_samples

    picture = tmp_path / "sessie.png"
    picture.write_bytes(media_samples.png(1600, 900))
    with browser.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = chromium.new_context(base_url=node.url, locale="nl-NL").new_page()
            page.set_default_timeout(10_000)
            scanner = Scanner(page, browser.axe)
            log_in(page, "anne")
            scanner.visit("/groups/open-overheid/new", "the new topic form with file slots")
            page.get_by_label("Titel").fill("Foto's van de sessie")
            page.get_by_label("Bericht", exact=True).fill("Zie de foto.")
            page.get_by_label("Bestand 1", exact=True).set_input_files(str(picture))
            submit(page, page.get_by_role("button", name="Discussie starten"), re.compile(r"/topics$"), 422)
            assert "Beschrijf elke afbeelding" in page.content()
            scanner.scan("the form back with the upload kept and its description asked for")
            page.get_by_label("Beschrijving van sessie.png").fill("Twintig mensen rond een tafel")
            submit(page, page.get_by_role("button", name="Discussie starten"), re.compile(r"/topics/\d+$"))
            image = page.get_by_role("img", name="Twintig mensen rond een tafel")
            assert image.is_visible()
            assert image.evaluate("img => img.naturalWidth") == 1280  # the preview; the full size is behind the link
            scanner.scan("a topic with an image")
            for width in (1280, 375):
                page.set_viewport_size({"width": width, "height": 900})
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), width
            scanner.scan("a topic with an image at 375 px")
        finally:
            chromium.close()
    assert not scanner.problems, scanner.report()


def test_avatars_initials_and_the_image_fields_are_accessible(browser: Browser, node: LiveNode,
                                                              tmp_path: Path) -> None:
    """A profile with an avatar and a header, a thread with an avatar and initials, and the settings
    page with its upload fields (also after a refused file), at 1280 and 375 px: axe finds nothing
    and the page never scrolls sideways."""
    from tests import media_samples

    picture = tmp_path / "ik.png"
    picture.write_bytes(media_samples.png(600, 600, (200, 80, 40)))
    wide = tmp_path / "breed.jpg"
    wide.write_bytes(media_samples.jpeg_with_gps(1600, 700))
    fake = tmp_path / "nep.png"
    fake.write_bytes(media_samples.HTML_AS_PNG)
    with browser.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = chromium.new_context(base_url=node.url, locale="nl-NL").new_page()
            page.set_default_timeout(10_000)
            scanner = Scanner(page, browser.axe)
            log_in(page, "anne")
            page.goto("/settings")
            page.get_by_label("Profielfoto", exact=True).set_input_files(str(fake))
            submit(page, page.get_by_role("button", name="Opslaan"), re.compile(r"/settings$"), 415)
            assert page.locator("#error-avatar").is_visible()
            scanner.scan("settings after a refused image")
            page.get_by_label("Profielfoto", exact=True).set_input_files(str(picture))
            page.get_by_label("Omslagafbeelding", exact=True).set_input_files(str(wide))
            submit(page, page.get_by_role("button", name="Opslaan"), re.compile(r"/settings$"))
            assert page.locator(".meent-current-avatar img.meent-avatar").is_visible()
            page.goto(f"{GROUP}/new")
            page.get_by_label("Titel").fill("Foto's bij berichten")
            body_field(page).fill("Hoe ziet dit eruit?")
            submit(page, page.get_by_role("button", name="Discussie starten"), TOPIC_URL)
            topic = path_of(page)
            log_out(page)
            log_in(page, "beheerder")
            page.goto(topic)
            body_field(page).fill("Zonder foto: mijn initialen.")
            submit(page, page.get_by_role("button", name="Plaatsen"), REPLY_URL)
            assert page.locator("img.meent-avatar").count() >= 1
            assert page.locator("span.meent-avatar").count() >= 1
            for width in (1280, 375):
                page.set_viewport_size({"width": width, "height": 900})
                for path, what in ((topic, "a thread with an avatar and initials"), ("/users/anne", "a profile"
                                   " with an avatar and a header"), ("/settings", "settings with the image fields")):
                    scanner.visit(path, f"{what} at {width} px")
                    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (path, width)
        finally:
            chromium.close()
    assert not scanner.problems, scanner.report()


def _seed_long_thread(node: LiveNode) -> tuple[int, list[int]]:
    """A topic by anne with 300 replies (anne and the administrator taking turns) and a reader, dirk,
    written through the service layer beside the running node."""
    from node.config import load
    from node.services import accounts, groups, posts
    from node.services.context import Node
    from storage.db import Database

    config = load(node.config_path)
    db = Database(config.database_path)
    try:
        service = Node(config=config, db=db)
        accounts.create(service, "dirk", PASSWORD, display_name="Dirk")
        anne, admin = accounts.get(service, "anne"), accounts.get(service, "beheerder")
        topic = posts.start_topic(service, anne, groups.get(service, "open-overheid"), "Een lang gesprek",
                                  "Drie honderd reacties, verdeeld over pagina's.")
        ids = [posts.reply(service, (admin, anne)[n % 2], topic["id"], f"Reactie nummer {n + 1}.")["id"]
               for n in range(300)]
        return topic["id"], ids
    finally:
        db.close()


def test_a_long_thread_in_pages_with_what_is_new(browser: Browser, node: LiveNode, tmp_path: Path) -> None:
    """A 300-reply topic over six pages at 1280 and 375 px (no sideways scroll, axe finds nothing of
    any impact), a permalink to a reply on page 3, and the new markers a reader sees go once read."""
    topic, ids = _seed_long_thread(node)
    path = f"{GROUP}/topics/{topic}"
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with browser.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = chromium.new_context(base_url=node.url, locale="nl-NL").new_page()
            page.set_default_timeout(10_000)
            problems: list[str] = []

            def check(what: str) -> None:
                check_page(page, browser.axe, what, problems, shots, full_page=False)

            for width in (1280, 375):
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(path)
                pager = page.get_by_role("navigation", name="Pagina's van dit gesprek (boven)")
                assert pager.locator("[aria-current=page]").inner_text().endswith("1")
                check(f"thread page 1 at {width}")
                pager.get_by_role("link", name="Volgende").click()
                page.wait_for_url(re.compile(rf"{path}\?page=2$"))
                assert page.locator(f"#post-{ids[50]}").is_visible()
                check(f"thread page 2 at {width}")
                page.get_by_role("navigation", name="Pagina's van dit gesprek (onder)").get_by_role(
                    "link", name="Pagina 6", exact=True).click()
                page.wait_for_url(re.compile(rf"{path}\?page=6$"))
                assert page.locator(f"#post-{ids[-1]}").is_visible()
                assert page.get_by_role("link", name="Naar het begin van het gesprek").is_visible()
                check(f"thread last page at {width}")

            page.goto(f"/posts/{ids[120]}")  # the permalink of the 121st reply
            page.wait_for_url(re.compile(rf"{path}\?page=3#post-{ids[120]}$"))
            assert page.evaluate("document.querySelector(':target').id") == f"post-{ids[120]}"
            assert page.locator(f"#post-{ids[120]}").is_visible()
            top = page.get_by_role("navigation", name="Pagina's van dit gesprek (boven)")
            current = top.locator("[aria-current=page]")
            assert current.inner_text().endswith("3")
            check("permalink to a reply on page 3")

            log_in(page, "dirk")
            page.goto(GROUP)
            entry = page.locator("li.meent-entry").filter(has_text="Een lang gesprek")
            assert entry.locator(".meent-badge--new").inner_text() == "Nieuw"
            check("group page with a new topic")
            page.goto("/groups")
            assert page.get_by_text("1 onderwerp met nieuwe berichten").is_visible()
            check("groups list with a count of new topics")
            page.goto(path)
            assert page.locator(f"#post-{ids[0]} .meent-badge--new").inner_text() == "Nieuw"
            check("thread page 1 with new markers")
            page.goto(path)  # seen now: the markers are gone, the first new post is on page 2
            assert page.locator(".meent-badge--new").count() == 0
            page.get_by_role("link", name="Naar het eerste nieuwe bericht").click()
            page.wait_for_url(re.compile(rf"{path}\?page=2#post-{ids[50]}$"))
            assert page.locator(f"#post-{ids[50]} .meent-badge--new").is_visible()
            check("thread page 2 reached by first new post")
            for number in range(3, 7):
                page.goto(f"{path}?page={number}")
            page.goto(GROUP)
            assert page.locator("li.meent-entry").filter(has_text="Een lang gesprek").locator(
                ".meent-badge--new").count() == 0
            check("group page after reading")
            page.goto("/groups")
            assert page.get_by_text("onderwerp met nieuwe berichten").count() == 0
            check("groups list after reading")
        finally:
            chromium.close()
    assert not problems, "\n".join(problems)


def test_long_words_local_time_likes_and_delete_confirmation_fit_every_width(browser: Browser, node: LiveNode,
                                                                              tmp_path: Path) -> None:
    """Issue 12's polish: a post with a 300-character URL, a long word and a wide code block, /admin,
    a profile, a topic with a liked post and the delete confirmation, at 1280 and 375 px: no sideways
    scroll, no axe violation of any impact, local time shown; a screenshot of each into tmp_path."""
    long_url = "https://example.org/" + "/".join(["woo-verzoek-documenten"] * 13) + "?q=" + "x" * 10
    assert len(long_url) >= 300
    long_word = "Rijksoverheidsinformatiehuishoudingsverbeteringsprogramma" * 2
    body = (f"Zie {long_url} voor alles.\n\n{long_word}\n\n> Een citaat uit het verzoek.\n\n"
            f"Gebruik `meent user add`:\n\n```\n{'echo ' + 'lange-regel-' * 30}\n```")
    with browser.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = chromium.new_context(base_url=node.url, locale="nl-NL").new_page()
            page.set_default_timeout(10_000)
            log_in(page, "anne")
            page.goto("/settings")
            page.get_by_label("Over mij").fill("Ik werk aan **open data** en " + long_word)
            submit(page, page.get_by_role("button", name="Opslaan").first, re.compile(r"/settings$"))
            page.goto(f"{GROUP}/new")
            page.get_by_label("Titel").fill("Lange woorden: " + long_word)
            body_field(page).fill(body)
            submit(page, page.get_by_role("button", name="Discussie starten"), TOPIC_URL)
            topic = path_of(page)
            topic_id = number(TOPIC_URL, topic)
            log_out(page)
            log_in(page, "beheerder")
            page.goto(topic)
            like_in_place(page, page.locator(f"#post-{topic_id}").get_by_role("button", name="Waardeer"))
            liked = page.locator(f"#post-{topic_id}").locator("button.meent-like--on")
            assert liked.get_attribute("aria-pressed") == "true" and "Gewaardeerd ✓" in liked.inner_text()
            time_text = page.locator(f"#post-{topic_id} time").first.inner_text()
            assert re.fullmatch(r"(zojuist|\d+ (minuut|minuten|uur) geleden) \(\d{1,2} [a-z]+ \d{4}, \d\d:\d\d\)",
                                time_text), time_text
            pages = [(topic, "topic with a liked post and long words"), (f"/posts/{topic_id}/delete",
                     "delete confirmation"), ("/admin", "admin"), ("/users/anne", "profile with long words")]
            problems: list[str] = []
            for width in (1280, 375):
                page.set_viewport_size({"width": width, "height": 900})
                for path, what in pages:
                    response = page.goto(path)
                    assert response is not None and response.status == 200, path
                    check_page(page, browser.axe, f"{what} at {width} px", problems, tmp_path)
            page.goto(f"/posts/{topic_id}/delete")
            assert page.get_by_role("heading", name="Bericht verwijderen").is_visible()
            page.get_by_label("Reden").fill("Proef")  # the administrator removes anne's post: with a reason
            submit(page, page.get_by_role("button", name="Ja, verwijderen"), TOPIC_URL)
        finally:
            chromium.close()
    assert not problems, "\n".join(problems)


def check_page(page: Page, axe: Any, what: str, problems: list[str], shots: Path | None = None,
               full_page: bool = True) -> None:
    """The issue 12 pages' check of the current document at the current width: every axe violation of
    any impact goes into problems (the pages are new: they start clean), nothing may scroll
    sideways, and a screenshot goes into shots, named after what."""
    page.wait_for_load_state("load")
    problems += [f"{what} ({page.url}): {violation['id']} [{violation['impact']}] {violation['help']}: "
                 + "; ".join(" ".join(node["html"].split()) for node in violation["nodes"])
                 for violation in axe.run(page).response["violations"]]
    wide = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert wide[0] <= wide[1], f"{what} scrolls sideways: {wide}"
    if shots is not None:
        page.screenshot(path=str(shots / f"{re.sub(r'[^a-z0-9]+', '-', what.lower()).strip('-')}.png"),
                        full_page=full_page)


def test_the_organisations_face_is_accessible(browser: Browser, node: LiveNode, tmp_path: Path) -> None:
    """The admin sets the organisation's details (one refused link on the way) and publishes the privacy
    statement from its template; the settings form, the statements and the welcome page have no axe
    violation of any impact and never scroll sideways, at 1280 and 375 px (screenshots in tmp_path)."""
    problems: list[str] = []
    with browser.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = chromium.new_context(base_url=node.url, locale="nl-NL").new_page()
            page.set_default_timeout(10_000)
            log_in(page, "beheerder")
            page.goto("/admin")
            page.get_by_label("Naam van de organisatie").fill("Gemeente Meentdorp")
            page.get_by_label("Korte beschrijving").fill("Praat mee over de plannen van de gemeente.")
            page.get_by_label("E-mail", exact=True).fill("info@meentdorp.nl")
            page.get_by_label("Telefoon").fill("030 123 45 67")
            page.get_by_label("Tekst van link 1").fill("Wet open overheid")
            page.get_by_label("Adres van link 1").fill("javascript:alert(1)")
            submit(page, page.get_by_role("button", name="Gegevens van de organisatie opslaan"),
                   re.compile(r"/admin/organisation$"), 422)
            assert page.locator("#error-link_url_0").is_visible()
            assert page.get_by_label("Korte beschrijving").input_value().startswith("Praat mee")  # nothing lost
            check_page(page, browser.axe, "organisation form after a refused link", problems)
            page.get_by_label("Adres van link 1").fill("https://www.meentdorp.nl/woo")
            submit(page, page.get_by_role("button", name="Gegevens van de organisatie opslaan"), re.compile(r"/admin"))
            assert page.get_by_role("contentinfo").get_by_role("link", name="Wet open overheid").is_visible()
            privacy = page.get_by_role("region", name="Privacyverklaring").get_by_label("Tekst (Markdown)")
            assert "[datum]" in privacy.input_value()  # the template to start from
            privacy.fill(privacy.input_value().replace("[datum]", "1 december 2026"))
            submit(page, page.get_by_role("button", name="Privacyverklaring opslaan"), re.compile(r"/admin"))
            for width in (1280, 375):
                page.set_viewport_size({"width": width, "height": 900})
                for path, what in (("/admin", "admin with the organisation's settings"), ("/privacy", "privacy"),
                                   ("/toegankelijkheid", "accessibility statement (not yet published)"),
                                   ("/welcome", "welcome page"), ("/?lang=en", "home in English with the footer")):
                    response = page.goto(path)
                    assert response is not None and response.status == 200, path
                    check_page(page, browser.axe, f"{what} at {width} px", problems, tmp_path)
            page.goto("/privacy")
            assert page.get_by_text("Laatst bijgewerkt: 1 december 2026").is_visible()
            assert page.get_by_role("heading", name="Uw rechten onder de AVG").is_visible()
        finally:
            chromium.close()
    assert not problems, "\n".join(problems)


def _seed_many_topics(node: LiveNode, count: int) -> None:
    """Topics and replies written through the service layer beside the running node (same database)."""
    from node.config import load
    from node.services import posts as post_service
    from node.services.context import Node
    from storage import accounts as account_store
    from storage import groups as group_store
    from storage.db import Database

    config = load(node.config_path)
    side = Node(config=config, db=Database(config.database_path))
    try:
        anne = account_store.by_username(side.db, "anne")
        group = group_store.by_slug(side.db, "open-overheid")
        assert anne and group
        for n in range(count):
            topic = post_service.start_topic(side, anne, group, f"Onderwerp {n:02d}",
                                             f"- punt een\n- punt twee over https://{'heel-lang-' * 8}voorbeeld.nl")
            for _ in range(n % 4):
                post_service.reply(side, anne, topic["id"], "Een reactie over #archief")
    finally:
        side.db.close()


def test_group_sorted_and_paged_and_search_filters_are_accessible(browser: Browser, node: LiveNode,
                                                                  tmp_path: Path) -> None:
    """Issue 12, finding: a group sorted by most replies and paged (the sort kept across pages), then
    search narrowed by kind and date; axe finds nothing of any impact and no page scrolls sideways
    at 1280 or 375 px. Screenshots go into the test's folder."""
    _seed_many_topics(node, 35)
    with browser.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = chromium.new_context(base_url=node.url, locale="nl-NL").new_page()
            page.set_default_timeout(10_000)
            problems: list[str] = []

            def check(what: str) -> None:
                for width in (375, 1280):  # ends where it began
                    page.set_viewport_size({"width": width, "height": 900})
                    check_page(page, browser.axe, f"{what} at {width} px", problems, tmp_path)

            page.goto(GROUP)
            page.get_by_role("navigation", name="Sorteren").get_by_role("link", name="Meeste reacties").click()
            page.wait_for_url(re.compile(r"\?sort=replies$"))
            assert page.get_by_role("link", name="Meeste reacties").get_attribute("aria-current") == "true"
            assert "3 reacties" in page.locator(".meent-entry").first.inner_text()
            check("group sorted by replies")
            pages = page.get_by_role("navigation", name="Pagina's: Discussies")
            pages.get_by_role("link", name="Volgende").click()
            page.wait_for_url(re.compile(r"\?sort=replies&page=2$"))
            assert pages.locator('[aria-current="page"]').inner_text().endswith("2")
            assert page.locator(".meent-entry").count() == 5
            check("group page 2")

            page.goto("/search")
            page.get_by_label("Zoek in discussies en blogs").fill("archief")
            page.get_by_label("Soort").select_option("reply")
            page.get_by_label("Vanaf datum").fill("2020-01-01")
            page.get_by_role("button", name="Zoeken").click()
            page.wait_for_url(re.compile(r"kind=reply"))
            assert "resultaten voor ‘archief’" in page.locator("#results").inner_text()
            titles = page.locator(".meent-entry-title").all_inner_texts()
            assert titles and all(title.startswith("Reactie op: ") for title in titles)
            check("search filtered")
            page.get_by_role("navigation", name="Pagina's: Zoeken").get_by_role("link", name="Volgende").click()
            page.wait_for_url(re.compile(r"kind=reply.*page=2|page=2.*kind=reply"))
            assert page.get_by_label("Soort").input_value() == "reply"
            check("search filtered page 2")
            page.goto("/search?q=archief&from=2026-05-01&to=2026-04-01")
            assert page.locator("#error-to").is_visible()
            check("search with a wrong date range")
        finally:
            chromium.close()
    assert not problems, "\n".join(problems)


def test_preview_quote_and_edit_history_are_accessible(browser: Browser, node: LiveNode, tmp_path: Path) -> None:
    """Issue 12 (writing): quote the opening post (whole, and a selected passage through quote.js),
    preview the reply, post it, and read the history of an edited post; axe finds nothing of any
    impact, at 1280 and 375 px nothing scrolls sideways."""
    with browser.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        problems: list[str] = []
        try:
            page = chromium.new_context(base_url=node.url, locale="nl-NL").new_page()
            page.set_default_timeout(10_000)
            log_in(page, "anne")
            topic, topic_id = start_topic(page, "Wie beantwoordt **welk** verzoek?\nEen tweede regel.")
            log_out(page)
            log_in(page, "beheerder")
            page.goto(topic)
            # quote.js: a passage selected in the opening post, then "Citeer selectie"
            page.evaluate("""(id) => {
                const text = document.querySelector('#post-' + id + ' .meent-content p').firstChild;
                const range = document.createRange(); range.setStart(text, 0); range.setEnd(text, 3);
                const selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range);
            }""", topic_id)
            page.locator(f"#post-{topic_id}").get_by_role("button", name="Citeer selectie").click()
            page.wait_for_url(re.compile(rf"/posts/{topic_id}/reply\?quote_text=Wie$"))
            assert body_field(page).input_value() == "anne schreef:\n> Wie\n\n"
            page.goto(topic)
            page.locator(f"#post-{topic_id}").get_by_role("link", name=re.compile("^Citeer")).click()
            page.wait_for_url(re.compile(rf"/posts/{topic_id}/reply\?quote=1$"))
            assert body_field(page).input_value().startswith("anne schreef:\n> Wie beantwoordt **welk** verzoek?")
            body_field(page).press("Control+End")  # below the quote
            body_field(page).type("Het team van de afdeling.")
            submit(page, page.get_by_role("button", name="Voorbeeld"), re.compile(rf"/posts/{topic_id}/reply$"),
                   status=200)
            preview = page.locator("section.meent-preview")
            assert preview.locator("blockquote strong").inner_text() == "welk"
            assert body_field(page).input_value().endswith("> Een tweede regel.\n\nHet team van de afdeling.")
            assert preview.locator("blockquote + p").inner_text() == "Het team van de afdeling."
            check_page(page, browser.axe, "reply form with a preview", problems)
            page.screenshot(path=str(tmp_path / "writing-preview.png"), full_page=True)
            submit(page, page.get_by_role("button", name="Plaatsen"), REPLY_URL)
            reply = number(REPLY_URL, page.url)
            assert page.locator(f"#post-{reply} blockquote").count() == 1
            log_out(page)
            log_in(page, "anne")
            page.goto(f"/posts/{topic_id}/edit")
            body_field(page).fill("Wie beantwoordt welk verzoek, en wanneer?")
            submit(page, page.get_by_role("button", name="Opslaan"), TOPIC_URL)
            page.locator(f"#post-{topic_id}").get_by_role("link", name=re.compile("bewerkt")).click()
            page.wait_for_url(re.compile(rf"/posts/{topic_id}/history$"))
            assert page.locator("pre.meent-diff ins").count() >= 1 and page.locator("pre.meent-diff del").count() >= 1
            for width in (1280, 375):
                page.set_viewport_size({"width": width, "height": 900})
                for path, what in ((f"/posts/{topic_id}/history", "edit history"), (topic, "thread with a quote"),
                                   (f"/posts/{reply}/reply?quote=1", "reply form with a quote"), ("/drafts", "drafts")):
                    page.goto(path)
                    check_page(page, browser.axe, f"{what} at {width} px", problems, tmp_path)
        finally:
            chromium.close()
    assert not problems, "\n".join(problems)


def test_following_and_muting_topics_is_accessible(browser: Browser, node: LiveNode, tmp_path: Path) -> None:
    """Subscriptions (issue 12): a member follows a topic (by keyboard), mutes another, follows a
    tag, and sees all three on the notifications page; axe finds no violation of any impact, and no
    page scrolls sideways at 1280 or 375 px. Screenshots go to the test's folder."""
    problems: list[str] = []
    with browser.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = chromium.new_context(base_url=node.url, locale="nl-NL").new_page()
            page.set_default_timeout(10_000)
            log_in(page, "anne")
            topics = []
            for title in ("Een onderwerp om te volgen met een heel lange titel over archivering", "Te negeren"):
                page.goto(f"{GROUP}/new")
                page.get_by_label("Titel").fill(title)
                body_field(page).fill("Wat vinden jullie van #archief?")
                submit(page, page.get_by_role("button", name="Discussie starten"), TOPIC_URL)
                topics.append(path_of(page))
            assert page.get_by_text("U volgt dit onderwerp").is_visible()  # started: followed
            submit(page, page.get_by_role("button", name=re.compile("^Negeren")), re.compile(re.escape(topics[1])))
            assert page.get_by_text("U negeert dit onderwerp").is_visible()
            page.goto(topics[0])
            submit(page, page.get_by_role("button", name=re.compile("^Niet meer volgen")),
                   re.compile(re.escape(topics[0])))
            follow = page.get_by_role("button", name=re.compile("^Volgen"))
            follow.focus()
            with page.expect_navigation(url=re.compile(re.escape(topics[0]))):
                page.keyboard.press("Enter")  # the keyboard alone
            assert page.get_by_text("U volgt nu").is_visible()
            page.goto("/tags/archief")
            submit(page, page.get_by_role("button", name="Volg #archief"), re.compile("/tags/archief$"))
            page.goto("/notifications")
            listing = page.locator(".meent-subscriptions")
            assert listing.get_by_role("link", name=re.compile("^Een onderwerp om te volgen")).is_visible()
            assert listing.get_by_role("link", name="Te negeren").is_visible()
            assert listing.get_by_role("link", name="#archief").is_visible()
            for width in (1280, 375):
                page.set_viewport_size({"width": width, "height": 900})
                for path, name in ((topics[0], "topic followed"), (topics[1], "topic muted"),
                                   ("/tags/archief", "tag followed"), ("/notifications", "notifications")):
                    page.goto(path)
                    check_page(page, browser.axe, f"subscriptions: {name} at {width} px", problems, tmp_path)
        finally:
            chromium.close()
    assert not problems, "\n".join(problems)


def wait_until(page: Page, expression: str, arg: Any = None, seconds: float = 10.0) -> None:
    """Poll from here: Playwright's wait_for_function evaluates its predicate with eval inside the
    page, which our CSP (script-src 'self') rightly refuses."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression, arg):
        assert time.monotonic() < deadline, f"not true after {seconds} s: {expression}"
        page.wait_for_timeout(50)


def like_in_place(page: Page, button: Locator) -> None:
    """Press a like button with like.js at work: one POST, answered with JSON, and no navigation; returns
    once the script has turned the button (it does so after reading the answer's body)."""
    pressed = button.element_handle()  # its name changes with its state: hold the element itself
    before = pressed.get_attribute("aria-pressed")
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        pressed.click()
    assert posted.value.status == 200, f"POST {posted.value.url}: {posted.value.status}"
    assert posted.value.request.headers.get("accept") == "application/json"
    wait_until(page, "([button, before]) => button.getAttribute('aria-pressed') !== before", [pressed, before])


def test_like_without_reload_and_without_javascript(browser: Browser, node: LiveNode, tmp_path: Path) -> None:
    """Issue 12: a member likes a post and the page does not reload (like.js): the button's pressed
    state and label, the count and a polite live region change, the focus stays on the button, and a
    reload shows the same. When like.js's request fails the form is sent the normal way; with
    JavaScript off the form works as before. axe finds no violation of any impact."""
    problems: list[str] = []
    with browser.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = chromium.new_context(base_url=node.url, locale="nl-NL").new_page()
            page.set_default_timeout(10_000)
            log_in(page, "anne")
            topic, topic_id = start_topic(page, "Wie beantwoordt welk verzoek?")
            log_out(page)
            log_in(page, "beheerder")
            page.goto(topic)
            post = page.locator(f"#post-{topic_id}")
            button = post.locator("form.meent-like-form button")
            count = post.locator(".meent-like-count")
            status = page.locator("#meent-like-status")
            assert button.get_attribute("aria-pressed") == "false" and count.inner_text() == ""
            navigations: list[str] = []
            page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
            before = page.url

            like_in_place(page, button)
            wait_until(page, "document.getElementById('meent-like-status').textContent !== ''")
            assert page.url == before and navigations == [], navigations
            assert button.get_attribute("aria-pressed") == "true"
            assert "meent-like--on" in (button.get_attribute("class") or "")
            assert button.inner_text().startswith("Gewaardeerd ✓") and "Niet meer waarderen" in button.inner_text()
            assert count.inner_text() == "· 1 waardering"
            assert status.inner_text() == "U waardeert dit bericht. 1 waardering."
            assert status.get_attribute("role") == "status"
            assert page.evaluate("(id) => document.activeElement === document.querySelector("
                                 "'#post-' + id + ' form.meent-like-form button')", topic_id)
            assert post.locator("form.meent-like-form").get_attribute("action") == f"/posts/{topic_id}/unlike"
            check_page(page, browser.axe, "topic after a like without reload", problems)

            page.reload()
            assert button.get_attribute("aria-pressed") == "true" and count.inner_text() == "· 1 waardering"
            assert button.inner_text().startswith("Gewaardeerd ✓")

            button.focus()  # by keyboard: unlike, in place as well
            with page.expect_response(lambda response: response.request.method == "POST") as posted:
                page.keyboard.press("Enter")
            assert posted.value.status == 200
            wait_until(page, "document.getElementById('meent-like-status').textContent.includes('niet meer')")
            assert button.get_attribute("aria-pressed") == "false" and button.inner_text().startswith("Waardeer")
            assert count.inner_text() == "" and status.inner_text() == "U waardeert dit bericht niet meer."
            navigations.clear()

            # like.js's request fails (the network): the form goes the normal way, and the like is made
            def fail_scripted(route: Any) -> None:
                if route.request.headers.get("accept") == "application/json":
                    route.abort()
                else:
                    route.continue_()
            page.route("**/posts/*/like", fail_scripted)
            submit(page, button, TOPIC_URL)
            assert navigations, "the form was not sent after like.js's request failed"
            assert button.get_attribute("aria-pressed") == "true" and count.inner_text() == "· 1 waardering"
            check_page(page, browser.axe, "topic after the form's fallback", problems)
            page.unroute("**/posts/*/like")

            # like.js's answer is an error (no CSRF token in the form): the form goes, the server says why
            page.evaluate("(id) => document.querySelector('#post-' + id + ' form.meent-like-form input[name=csrf]')"
                          ".value = 'verlopen'", topic_id)
            submit(page, button, re.compile(rf"/posts/{topic_id}/unlike$"), status=403)
            assert page.get_by_text("Het formulier is verlopen").is_visible()

            # JavaScript off: the form as it always was
            plain = chromium.new_context(base_url=node.url, locale="nl-NL", java_script_enabled=False).new_page()
            plain.set_default_timeout(10_000)
            log_in(plain, "anne")
            plain.goto(topic)
            plain_button = plain.locator(f"#post-{topic_id} form.meent-like-form button")
            submit(plain, plain_button, TOPIC_URL)
            assert plain_button.get_attribute("aria-pressed") == "true"
            assert plain.locator(f"#post-{topic_id} .meent-like-count").inner_text() == "· 2 waarderingen"
            page.goto(topic)
            assert count.inner_text() == "· 2 waarderingen"
            for width, pressed in ((1280, "false"), (375, "true")):
                page.set_viewport_size({"width": width, "height": 900})
                like_in_place(page, button)  # beheerder unlikes, then likes again: both in place
                wait_until(page, "([id, pressed]) => document.querySelector('#post-' + id + "
                           "' form.meent-like-form button').getAttribute('aria-pressed') === pressed",
                           [topic_id, pressed])
                check_page(page, browser.axe, f"topic after a like at {width} px", problems, tmp_path)
        finally:
            chromium.close()
    assert not problems, "\n".join(problems)


def test_following_a_blog_post_is_accessible(browser: Browser, node: LiveNode, tmp_path: Path) -> None:
    """Issue 12 round 2: a member opens someone else's blog post, follows it (by keyboard) and mutes
    it with the topic page's buttons; axe finds no violation of any impact on the blog post page in
    each state, and it does not scroll sideways at 1280 or 375 px. Screenshots go to the test's folder."""
    from node.config import load
    from node.services import accounts, posts
    from node.services.context import Node
    from storage.db import Database

    config = load(node.config_path)
    db = Database(config.database_path)
    try:
        service = Node(config=config, db=db)
        accounts.create(service, "dirk", PASSWORD, display_name="Dirk")
        blog = posts.write_blog_post(service, accounts.get(service, "anne"), "Een jaar hybride werken",
                                     "Vijf lessen.", "Schrijf meer op.", "", publish=True)
    finally:
        db.close()
    path = f"/users/anne/blog/{blog['id']}"
    with browser.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = chromium.new_context(base_url=node.url, locale="nl-NL").new_page()
            page.set_default_timeout(10_000)
            problems: list[str] = []

            def check(what: str) -> None:
                """axe on the current page: no violation of any impact; and no sideways scroll."""
                for width in (1280, 375):
                    page.set_viewport_size({"width": width, "height": 900})
                    page.reload()
                    check_page(page, browser.axe, f"{what} at {width} px", problems, tmp_path)

            log_in(page, "dirk")
            page.goto(path)
            controls = page.get_by_role("region", name="Meldingen over dit blogbericht")
            assert controls.get_by_text("volgt het vanzelf").is_visible()
            check("blog post not followed")
            follow = controls.get_by_role("button", name="Volgen (Een jaar hybride werken)")
            follow.focus()
            with page.expect_navigation(url=re.compile(re.escape(path) + "$")):
                page.keyboard.press("Enter")  # the keyboard alone
            assert page.get_by_text("U volgt nu").is_visible()
            assert page.get_by_text("U volgt dit blogbericht").is_visible()
            check("blog post followed")
            submit(page, page.get_by_role("button", name=re.compile("^Negeren")), re.compile(re.escape(path) + "$"))
            assert page.get_by_text("U negeert dit blogbericht").is_visible()
            check("blog post muted")
        finally:
            chromium.close()
    assert not problems, "\n".join(problems)


def test_a_redacted_history_is_accessible(browser: Browser, node: LiveNode, tmp_path: Path) -> None:
    """Issue 12 round 2 (redaction): a moderator's edit of a member's topic leaves a trace without the
    withdrawn text; a visitor reads "een moderator", never the text; axe finds nothing of any impact, at
    1280 and 375 px nothing scrolls sideways."""
    with browser.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        problems: list[str] = []
        try:
            page = chromium.new_context(base_url=node.url, locale="nl-NL").new_page()
            page.set_default_timeout(10_000)
            log_in(page, "anne")
            page.goto(f"{GROUP}/new")
            page.get_by_label("Titel").fill("Bereikbaarheid")
            body_field(page).fill("Bel me thuis op 06-12345678.")
            submit(page, page.get_by_role("button", name="Discussie starten"), TOPIC_URL)
            topic_id = number(TOPIC_URL, page.url)
            log_out(page)
            log_in(page, "beheerder")
            page.goto(f"/posts/{topic_id}/edit")
            body_field(page).fill("Bel me via het algemene nummer.")
            submit(page, page.get_by_role("button", name="Opslaan"), TOPIC_URL)
            log_out(page)
            for width in (1280, 375):
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(f"/posts/{topic_id}/history")
                page.wait_for_load_state("load")
                text = page.locator("main").inner_text()
                assert "06-12345678" not in page.content() and "Gewijzigd door een moderator" in text
                assert "Een moderator heeft de eerdere versies van dit bericht verwijderd" in text
                check_page(page, browser.axe, f"redacted history at {width} px", problems, tmp_path)
        finally:
            chromium.close()
    assert not problems, "\n".join(problems)

"""Every form control on every page with a form, parsed as a browser would: no attribute glued to
another (`requiredaria-describedby` under trim_blocks), every described-by id on the page, every
control with an error marked invalid, every control labelled."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from node.services import accounts, groups, posts, reports
from storage import accounts as account_store
from tests.helpers import PASSWORD, Site

CONTROLS = {"input", "textarea", "select", "button"}
GLOBAL = {"class", "id", "title", "lang", "dir", "hidden", "tabindex", "style", "role", "inputmode", "autofocus",
          "form", "spellcheck", "autocapitalize", "enterkeyhint"}
PER_TAG = {
    "input": {"name", "type", "value", "required", "maxlength", "minlength", "autocomplete", "placeholder", "checked",
              "disabled", "readonly", "min", "max", "step", "pattern", "accept", "multiple", "size", "list"},
    "textarea": {"name", "rows", "cols", "wrap", "required", "maxlength", "minlength", "placeholder", "disabled",
                 "readonly", "autocomplete"},
    "select": {"name", "multiple", "size", "required", "disabled", "autocomplete"},
    "button": {"name", "type", "value", "disabled", "formaction", "formmethod", "formnovalidate"},
}
ARIA = {"aria-describedby", "aria-invalid", "aria-pressed", "aria-label", "aria-labelledby", "aria-required",
        "aria-current", "aria-expanded", "aria-controls", "aria-hidden", "aria-live", "aria-errormessage"}
SKIP_LABEL = {"hidden", "submit", "button", "reset", "image"}


class Page(HTMLParser):
    """The ids, the labels' targets and the form controls of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.controls: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.group_described: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if tag == "label" and found.get("for"):
            self.label_for.add(str(found["for"]))
        if tag in CONTROLS:
            self.controls.append((tag, attrs))
        if tag == "fieldset":  # a group of radio buttons carries its error on the fieldset
            self.group_described.update((found.get("aria-describedby") or "").split())

    handle_startendtag = handle_starttag


def problems(html: str) -> list[str]:
    page = Page()
    page.feed(html)
    found: list[str] = []
    duplicate_ids = {i for i in page.ids if page.ids.count(i) > 1}
    if duplicate_ids:
        found.append(f"duplicate ids {sorted(duplicate_ids)}")
    ids = set(page.ids)
    described_errors: set[str] = set(page.group_described)
    found.extend(f"fieldset aria-describedby {target!r} is not on the page" for target in page.group_described
                 if target not in ids)
    for tag, attrs in page.controls:
        names = [name for name, _ in attrs]
        shown = f"<{tag} {' '.join(names)}> (id={dict(attrs).get('id')})"
        if len(set(names)) != len(names):
            found.append(f"repeated attribute in {shown}")
        for name in names:
            valid = name in GLOBAL or name in PER_TAG[tag] or name in ARIA or re.fullmatch(r"data-[a-z0-9-]+", name)
            if not valid:
                found.append(f"unknown attribute {name!r} in {shown}")
        values = dict(attrs)
        described = (values.get("aria-describedby") or "").split()
        for target in described:
            if target not in ids:
                found.append(f"aria-describedby {target!r} is not on the page: {shown}")
        errors = [target for target in described if target.startswith("error-")]
        described_errors.update(errors)
        if errors and values.get("aria-invalid") != "true":
            found.append(f"a control with an error is not aria-invalid: {shown}")
        if values.get("aria-invalid") == "true" and not errors:
            found.append(f"an invalid control does not point to its error: {shown}")
        needs_label = tag in ("textarea", "select") or (tag == "input" and values.get("type", "text") not in SKIP_LABEL)
        if needs_label and not (values.get("aria-label") or values.get("aria-labelledby")):
            if not values.get("id") or values["id"] not in page.label_for:
                found.append(f"no <label for> for {shown}")
    for error_id in ids:
        if error_id.startswith("error-") and error_id not in described_errors:
            found.append(f"error message {error_id!r} is not tied to any control")
    return found


@pytest.fixture
def filled(site: Site) -> Site:
    site.member("beheer", role="admin")
    site.member("anne")
    site.group()
    anne = account_store.by_username(site.node.db, "anne")
    group = groups.get(site.node, "open-overheid")
    topic = posts.start_topic(site.node, anne, group, "Samen inkopen", "Wie doet mee?")
    posts.reply(site.node, anne, topic["id"], "Een reactie")
    posts.write_blog_post(site.node, anne, "Mijn blog", "Kort", "Tekst", "", publish=True)
    reports.file(site.node, anne, reports.post_target(site.node, 2, anne), "spam", "Reclame")
    accounts.set_registration_policy(site.node, "domains", ["utrecht.nl"])
    return site


VISITOR_PAGES = ["/login", "/register", "/password/forgot", "/register/resend", "/search", "/search?q=samen",
                 "/groups/open-overheid/topics/1", "/posts/2/report", "/users/anne/report",
                 "/groups/open-overheid/report"]
MEMBER_PAGES = ["/", "/groups", "/groups/open-overheid", "/groups/open-overheid/topics/1", "/groups/open-overheid/new",
                "/posts/2/reply", "/posts/2/edit", "/posts/2/report", "/blog/new", "/settings",
                "/settings/second-factor", "/users/anne", "/users/anne/blog/3", "/notifications"]
ADMIN_PAGES = ["/admin", "/admin/federation", "/admin/audit", "/admin/blocks", "/admin/members/anne/delete",
               "/moderation", "/moderation/reports/1", "/posts/2/moderate", "/groups/open-overheid/moderation",
               "/groups/open-overheid/topics/1", "/posts/2/edit"]


def check(site: Site, path: str, expected: tuple[int, ...] = (200,)) -> None:
    response = site.client.get(path)
    assert response.status_code in expected, (path, response.status_code)
    assert not problems(response.text), (path, problems(response.text))


def test_the_checker_finds_glued_attributes_and_loose_ids() -> None:
    glued = ('<label for="field-body">x</label>'
             '<textarea id="field-body" name="body" requiredaria-describedby="hint-body">')
    assert any("requiredaria-describedby" in p for p in problems(glued))
    loose = '<label for="f">x</label><input id="f" name="f" aria-describedby="nowhere">'
    assert any("nowhere" in p for p in problems(loose))
    invalid = ('<div id="error-f">!</div><label for="f">x</label><input id="f" name="f" aria-describedby="error-f">')
    assert any("aria-invalid" in p for p in problems(invalid))
    assert any("label" in p for p in problems('<input id="g" name="g" type="text">'))
    assert not problems('<label for="f">x</label><input id="f" name="f" type="text" required>')


def test_every_form_page_for_visitors_members_and_admins(filled: Site) -> None:
    for path in VISITOR_PAGES:
        check(filled, path)
    filled.login("anne")
    for path in MEMBER_PAGES:
        check(filled, path)
    filled.logout()
    filled.login("beheer")
    for path in ADMIN_PAGES:
        check(filled, path)


def test_every_form_in_its_error_state(filled: Site) -> None:
    """The forms as they come back with errors: each message tied to its control."""
    cases: list[tuple[str, str, dict[str, str]]] = [
        ("/login", "/login", {"username": "anne", "password": "wrong"}),
        ("/register", "/register", {"username": "B!", "password": "short", "email": "nope"}),
    ]
    for form_page, action, data in cases:
        response = filled.post(action, data, filled.csrf(form_page))
        assert response.status_code >= 400, action
        assert not problems(response.text), (action, problems(response.text))
    filled.login("anne")
    member_cases = [
        ("/groups/open-overheid/new", "/groups/open-overheid/topics", {"title": " ", "body": " "}),
        ("/posts/1/reply", "/posts/1/reply", {"body": " "}),
        ("/groups/open-overheid/topics/1", "/posts/1/reply", {"body": " "}),
        ("/posts/2/edit", "/posts/2/edit", {"body": " "}),
        ("/blog/new", "/blog/new", {"title": " ", "body": " "}),
        ("/posts/2/report", "/posts/2/report", {"category": "", "comment": "x" * 5000}),
        ("/settings", "/settings/password", {"current_password": "wrong", "new_password": "short"}),
    ]
    for form_page, action, data in member_cases:
        response = filled.post(action, data, filled.csrf(form_page))
        assert response.status_code >= 400, (action, response.status_code)
        assert not problems(response.text), (action, problems(response.text))
    body = filled.post("/posts/1/reply", {"body": " "}, filled.csrf("/posts/1/reply")).text
    assert re.search(r'<textarea[^>]*\srequired[\s>]', body) and 'aria-invalid="true"' in body
    assert PASSWORD  # the members above log in with it

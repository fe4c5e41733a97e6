import re
import xml.etree.ElementTree as ET

import pytest

from node.services import groups, posts
from storage import accounts as account_store
from tests.helpers import Site

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def filled(site: Site) -> Site:
    site.member("anne")
    site.group()
    anne = account_store.by_username(site.node.db, "anne")
    group = groups.get(site.node, "open-overheid")
    topic = posts.start_topic(site.node, anne, group, "Coöperatie tussen gemeenten", "Samen #inkopen & <delen>.")
    posts.reply(site.node, anne, topic["id"], "Een reactie")
    posts.write_blog_post(site.node, anne, "Mijn blog", "Kort", "Tekst #inkopen", "", publish=True)
    return site


PUBLIC_PAGES = ["/", "/groups", "/groups/open-overheid", "/groups/open-overheid/topics/1", "/blog",
                "/blog/organisation", "/users/anne", "/users/anne/blog", "/users/anne/blog/3", "/tags/inkopen",
                "/search", "/search?q=samen", "/login", "/register"]
MEMBER_PAGES = ["/notifications", "/settings", "/groups/open-overheid/new", "/blog/new", "/posts/2/reply",
                "/posts/2/edit"]


def test_every_page_renders_with_landmarks_and_skip_link(filled: Site) -> None:
    filled.login("anne")
    for path in PUBLIC_PAGES + MEMBER_PAGES:
        response = filled.client.get(path)
        assert response.status_code == 200, path
        page = response.text
        assert '<a class="utrecht-skip-link' in page and 'id="main"' in page, path
        assert page.count("<h1") == 1, path
        assert "<header" in page and "<nav" in page and "<footer" in page, path
        assert "/assets/nlds.css" in page and "utrecht-theme" in page, path


def test_every_form_control_has_a_label(filled: Site) -> None:
    filled.member("beheer", role="admin")
    filled.login("beheer")
    for path in PUBLIC_PAGES + MEMBER_PAGES + ["/admin"]:
        page = filled.client.get(path).text
        labels = set(re.findall(r'<label[^>]*for="([^"]+)"', page))
        for control in re.findall(r"<(?:input|textarea|select)\b[^>]*>", page):
            if 'type="hidden"' in control or 'type="submit"' in control:
                continue
            control_id = re.search(r'id="([^"]+)"', control)
            assert control_id and control_id.group(1) in labels, f"{path}: unlabelled {control}"


def test_dutch_by_default_english_on_request(filled: Site) -> None:
    assert '<html lang="nl"' in filled.client.get("/groups").text
    page = filled.client.get("/groups", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    assert '<html lang="en"' in page and "Groups" in page and "Skip to content" in page
    filled.client.get("/?lang=en")  # an explicit choice is remembered in a cookie
    assert '<html lang="en"' in filled.client.get("/groups").text
    filled.client.get("/?lang=nl")
    page = filled.client.get("/groups", headers={"Accept-Language": "en"}).text
    assert '<html lang="nl"' in page and "Groepen" in page


def test_language_switch_keeps_the_query(filled: Site) -> None:
    page = filled.client.get("/search?q=samen").text
    assert 'href="/search?q=samen&amp;lang=en"' in page


def test_unknown_pages_are_real_404_pages(filled: Site) -> None:
    for path in ["/nope", "/groups/nope", "/groups/open-overheid/topics/999", "/groups/other/topics/1",
                 "/users/nobody", "/users/anne/blog/1", "/posts/999", "/tags/%3Cb%3E", "/users/nobody/blog.atom"]:
        response = filled.client.get(path)
        assert response.status_code == 404, path
        assert "Pagina niet gevonden" in response.text or "bestaat niet" in response.text, path
        assert "<html" in response.text


def test_titles_and_bodies_are_escaped_on_every_list(filled: Site) -> None:
    for path in ["/", "/groups/open-overheid", "/groups/open-overheid/topics/1", "/tags/inkopen"]:
        page = filled.client.get(path).text
        assert "<delen>" not in page, path


def test_search_folds_diacritics_and_matches_tags(filled: Site) -> None:
    page = filled.client.get("/search?q=cooperatie").text
    assert "/groups/open-overheid/topics/1" in page
    page = filled.client.get("/search?q=coöp").text  # a prefix, with the diacritic
    assert "/groups/open-overheid/topics/1" in page
    page = filled.client.get("/search?q=inkopen").text
    assert "/users/anne/blog/3" in page and "/groups/open-overheid/topics/1" in page
    page = filled.client.get('/search?q=" OR * NEAR(').text  # FTS syntax is only text to us
    assert "Niets gevonden" in page


def test_search_forgets_deleted_posts(filled: Site) -> None:
    anne = account_store.by_username(filled.node.db, "anne")
    posts.delete(filled.node, anne, 1)
    assert "/groups/open-overheid/topics/1" not in filled.client.get("/search?q=cooperatie").text


@pytest.mark.parametrize("path", ["/groups/open-overheid.atom", "/blog.atom", "/users/anne/blog.atom",
                                  "/tags/inkopen.atom", "/blog/organisation.atom"])
def test_atom_feeds_parse(filled: Site, path: str) -> None:
    response = filled.client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    assert feed.find(f"{ATOM}title") is not None and feed.find(f"{ATOM}updated") is not None
    for entry in feed.findall(f"{ATOM}entry"):
        link = entry.find(f"{ATOM}link")
        assert link is not None and link.get("href", "").startswith("http://127.0.0.1:8000/")


def test_group_feed_lists_its_topics(filled: Site) -> None:
    feed = ET.fromstring(filled.client.get("/groups/open-overheid.atom").content)
    titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
    assert titles == ["Coöperatie tussen gemeenten"]
    content = feed.find(f"{ATOM}entry/{ATOM}content")
    assert content is not None and "&lt;delen&gt;" in (content.text or "")


def test_organisation_theme_tokens_are_served(tmp_path) -> None:
    from tests.helpers import make_site

    tokens = tmp_path / "tokens.css"
    tokens.write_text(".mijn-gemeente { --utrecht-color-red-40: #c00; }", encoding="utf-8")
    themed = make_site(tmp_path, theme={"tokens_css": str(tokens), "class_name": "mijn-gemeente"})
    with themed.client:
        page = themed.client.get("/").text
        assert 'class="utrecht-document mijn-gemeente"' in page and "/theme.css" in page
        assert "--utrecht-color-red-40" in themed.client.get("/theme.css").text
    themed.node.db.close()


def test_security_headers_on_pages_and_errors(site: Site) -> None:
    for path in ("/", "/nope"):
        headers = site.client.get(path).headers
        assert "script-src 'self';" in headers["content-security-policy"]  # our files only, nothing inline
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


def test_counts_of_one_are_singular(site: Site) -> None:
    from node.i18n import translate

    assert translate("nl", "topic.replies", count=1) == "1 reactie"
    assert translate("nl", "topic.replies", count=2) == "2 reacties"
    assert translate("en", "post.likes", count=1) == "1 like"


def test_form_fields_render_each_attribute_apart() -> None:
    """The environment trims around blocks: each conditional attribute must bring its own space, or
    `required` and `aria-describedby` run together into one unknown attribute (WCAG 1.3.1, 4.1.1)."""
    from html.parser import HTMLParser

    from node import web

    found: dict[str, dict[str, str | None]] = {}

    class Fields(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in ("input", "textarea"):
                found[tag] = dict(attrs)

    template = web.make_environment().from_string(
        '{% from "macros.html" import text_field, area_field %}'
        '{{ text_field("naam", "Naam", {}, {"naam": "fout"}, hint="h", required=True, maxlength=100,'
        ' autocomplete="name") }}{{ area_field("body", "Tekst", {}, {}, hint="x", required=True) }}')
    Fields().feed(template.render(t=lambda key, **_: key))
    assert "required" in found["input"] and found["input"]["maxlength"] == "100"
    assert found["input"]["autocomplete"] == "name" and found["input"]["aria-invalid"] == "true"
    assert found["input"]["aria-describedby"] == "hint-naam error-naam"
    assert "required" in found["textarea"] and found["textarea"]["aria-describedby"] == "hint-body"

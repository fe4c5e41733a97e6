"""Writing (issue 12): the preview on every post form, drafts of topics and replies, quoting."""

from __future__ import annotations

import html
import re

from node.services import drafts
from tests import media_samples
from tests.helpers import Site

MEDIA_ID = re.compile(r'name="media_id" value="(\d+)"')


def counts(site: Site) -> tuple[int, int, int, int]:
    db = site.node.db
    return (db.scalar("SELECT count(*) FROM posts"), db.scalar("SELECT count(*) FROM activities"),
            db.scalar("SELECT count(*) FROM deliveries"), db.scalar("SELECT count(*) FROM notifications"))


def setup(site: Site) -> None:
    site.group()
    site.member("anne")
    site.member("bert")
    site.login("anne")


def topic(site: Site, body: str = "Eerste **tekst**") -> int:
    response = site.post("/groups/open-overheid/topics", {"title": "Woo", "body": body})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def textarea(page: str, name: str = "body") -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, page
    return html.unescape(match.group(1))


def test_preview_of_a_new_topic_renders_sanitised_html_and_saves_nothing(site: Site) -> None:
    setup(site)
    before = counts(site)
    body = "Hallo **vet** <script>alert(1)</script> [x](javascript:alert(2))"
    page = site.post("/groups/open-overheid/topics", {"title": "Concepttitel", "body": body, "action": "preview"})
    assert page.status_code == 200
    preview = page.text.split('id="preview-heading"', 1)[1].split("</section>", 1)[0]
    assert "<strong>vet</strong>" in preview
    assert "<script" not in preview and 'href="javascript' not in preview and "&lt;script&gt;" in preview
    assert textarea(page.text) == body and 'value="Concepttitel"' in page.text  # the text is kept
    assert counts(site) == before


def test_preview_on_reply_blog_and_edit_forms_saves_nothing(site: Site) -> None:
    setup(site)
    topic_id = topic(site)
    before = counts(site)
    reply = site.post(f"/posts/{topic_id}/reply", {"body": "Antwoord _schuin_", "action": "preview"})
    assert reply.status_code == 200 and "<em>schuin</em>" in reply.text
    blog = site.post("/blog/new", {"title": "Blog", "body": "Blog *tekst*", "action": "preview"})
    assert blog.status_code == 200 and "<em>tekst</em>" in blog.text
    edit = site.post(f"/posts/{topic_id}/edit", {"title": "Woo", "body": "Nieuw **anders**", "action": "preview"})
    assert edit.status_code == 200 and "<strong>anders</strong>" in edit.text
    assert counts(site) == before
    assert site.node.db.scalar("SELECT source FROM posts WHERE id = ?", (topic_id,)) == "Eerste **tekst**"
    assert site.node.db.scalar("SELECT count(*) FROM post_revisions") == 0
    empty = site.post(f"/posts/{topic_id}/reply", {"body": "  ", "action": "preview"})
    assert empty.status_code == 422 and 'aria-invalid="true"' in empty.text


def test_the_reply_box_under_a_thread_offers_preview_and_draft(site: Site) -> None:
    setup(site)
    topic_id = topic(site)
    page = site.client.get(f"/groups/open-overheid/topics/{topic_id}").text
    box = page.split('id="reply-heading"', 1)[1]
    assert 'value="preview"' in box and 'value="draft"' in box


def test_a_preview_keeps_the_uploaded_files(site: Site) -> None:
    setup(site)
    response = site.client.post(
        "/groups/open-overheid/topics",
        data={"csrf": site.csrf("/groups/open-overheid/new"), "title": "Foto", "body": "Kijk", "action": "preview",
              "alt_1": "Een rode vlak"},
        files={"file_1": ("rood.png", media_samples.png(), "image/png")})
    assert response.status_code == 200
    kept = MEDIA_ID.findall(response.text)
    assert len(kept) == 1 and site.node.db.scalar("SELECT count(*) FROM posts") == 0
    posted = site.post("/groups/open-overheid/topics", {"title": "Foto", "body": "Kijk", "media_id": kept[0],
                                                        f"description_{kept[0]}": "Een rode vlak"})
    assert posted.status_code == 303
    post_id = int(posted.headers["location"].rsplit("/", 1)[1])
    assert site.node.db.scalar("SELECT post_id FROM media WHERE id = ?", (int(kept[0]),)) == post_id


def test_topic_draft_is_saved_shown_again_listed_and_removed_when_posted(site: Site) -> None:
    setup(site)
    before = counts(site)
    saved = site.post("/groups/open-overheid/topics", {"title": "Half af", "body": "Nog niet klaar", "action": "draft"})
    assert saved.status_code == 200 and "Uw concept is opgeslagen" in saved.text
    assert counts(site) == before  # nothing published, nothing federated, nobody told
    form = site.client.get("/groups/open-overheid/new").text
    assert 'value="Half af"' in form and textarea(form) == "Nog niet klaar"
    listing = site.client.get("/drafts").text
    assert "Half af" in listing and 'href="/groups/open-overheid/new"' in listing
    site.logout()
    site.login("bert")
    assert "Half af" not in site.client.get("/drafts").text
    assert textarea(site.client.get("/groups/open-overheid/new").text) == ""
    site.logout()
    site.login("anne")
    topic(site, "Nu wel klaar")
    assert site.node.db.scalar("SELECT count(*) FROM post_drafts") == 0
    assert "Half af" not in site.client.get("/drafts").text


def test_reply_draft_resume_discard_and_publish(site: Site) -> None:
    setup(site)
    topic_id = topic(site)
    before = counts(site)
    site.post(f"/posts/{topic_id}/reply", {"body": "Mijn halve reactie", "action": "draft"})
    assert counts(site) == before
    assert textarea(site.client.get(f"/posts/{topic_id}/reply").text) == "Mijn halve reactie"
    thread = site.client.get(f"/groups/open-overheid/topics/{topic_id}").text
    assert "Mijn halve reactie" in thread.split('id="reply-heading"', 1)[1]  # the box under the thread too
    draft_id = site.node.db.scalar("SELECT id FROM post_drafts")
    site.logout()
    site.login("bert")
    assert site.post(f"/drafts/{draft_id}/delete", {}).status_code == 404  # not theirs
    site.logout()
    site.login("anne")
    assert site.post(f"/drafts/{draft_id}/delete", {}).status_code == 303
    assert site.node.db.scalar("SELECT count(*) FROM post_drafts") == 0
    site.post(f"/posts/{topic_id}/reply", {"body": "Tweede poging", "action": "draft"})
    assert site.post(f"/posts/{topic_id}/reply", {"body": "Tweede poging, af"}).status_code == 303
    assert site.node.db.scalar("SELECT count(*) FROM post_drafts") == 0


def test_drafts_are_bounded_in_size_and_number(site: Site) -> None:
    setup(site)
    limit = site.node.config["limits.body_max"]
    big = site.post("/groups/open-overheid/topics", {"title": "T", "body": "x" * (limit + 1), "action": "draft"})
    assert big.status_code == 422 and site.node.db.scalar("SELECT count(*) FROM post_drafts") == 0
    assert textarea(big.text) == "x" * (limit + 1)  # not lost
    anne = site.node.db.one("SELECT * FROM accounts WHERE username = 'anne'")
    topic_id = topic(site)
    for n in range(drafts.DRAFTS_MAX):  # drafts of replies to as many posts
        reply = site.post(f"/posts/{topic_id}/reply", {"body": f"r{n}"})
        parent = int(reply.headers["location"].rsplit("#post-", 1)[1])
        assert site.post(f"/posts/{parent}/reply", {"body": "concept", "action": "draft"}).status_code == 200
    assert site.node.db.scalar("SELECT count(*) FROM post_drafts WHERE account_id = ?", (anne["id"],)) \
        == drafts.DRAFTS_MAX
    refused = site.post("/groups/open-overheid/topics", {"title": "Nog een", "body": "b", "action": "draft"})
    assert refused.status_code == 422 and "50 concepten" in refused.text
    again = site.post(f"/posts/{parent}/reply", {"body": "bijgewerkt", "action": "draft"})
    assert again.status_code == 200  # updating an existing draft is no new one


def test_quoting_the_parent_prefills_its_markdown_as_a_blockquote(site: Site) -> None:
    setup(site)
    topic_id = topic(site, "Regel **een**\nregel twee")
    site.logout()
    site.login("bert")
    thread = site.client.get(f"/groups/open-overheid/topics/{topic_id}").text
    assert f'href="/posts/{topic_id}/reply?quote=1"' in thread
    body = textarea(site.client.get(f"/posts/{topic_id}/reply?quote=1").text)
    assert body == "Anne schreef:\n> Regel **een**\n> regel twee\n\n"


def test_a_quoted_selection_is_plain_text_escaped_into_quote_lines(site: Site) -> None:
    setup(site)
    topic_id = topic(site)
    passage = "<script>alert(1)</script>\n# kop [link](javascript:x) ![b](http://e/x.png)"
    page = site.client.get(f"/posts/{topic_id}/reply", params={"quote_text": passage})
    assert "<script>alert" not in page.text  # escaped in the page
    body = textarea(page.text)
    assert body.startswith("Anne schreef:\n> \\<script\\>alert(1)\\</script\\>\n> \\# kop \\[link\\]")
    preview = site.post(f"/posts/{topic_id}/reply", {"body": body, "action": "preview"}).text
    shown = preview.split('id="preview-heading"', 1)[1].split("</section>", 1)[0]
    assert "<blockquote>" in shown and "&lt;script&gt;" in shown
    assert "<script" not in shown and 'href="javascript' not in shown and "<img" not in shown and "<h1" not in shown
    long = site.client.get(f"/posts/{topic_id}/reply", params={"quote_text": "a" * 10_000}).text
    assert len(textarea(long)) < 2100


def test_a_nested_reply_says_whom_it_answers(site: Site) -> None:
    setup(site)
    topic_id = topic(site)
    first = site.post(f"/posts/{topic_id}/reply", {"body": "Eerste reactie"})
    first_id = int(first.headers["location"].rsplit("#post-", 1)[1])
    site.logout()
    site.login("bert")
    second = site.post(f"/posts/{first_id}/reply", {"body": "Daarop"})
    second_id = int(second.headers["location"].rsplit("#post-", 1)[1])
    page = site.client.get(f"/groups/open-overheid/topics/{topic_id}").text
    nested = page.split(f'id="post-{second_id}"', 1)[1].split("</article>", 1)[0]
    assert f'in reactie op <a class="utrecht-link" href="#post-{first_id}">Anne</a>' in nested
    top = page.split(f'id="post-{first_id}"', 1)[1].split("</article>", 1)[0]
    assert "in reactie op" not in top  # answers the opening post

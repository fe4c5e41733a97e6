"""Long threads (issue 12): pages of 50 replies, permalinks to the right page, read marks."""

from __future__ import annotations

import re

from node import threads, urls
from node.services import groups, posts
from storage import accounts as account_store
from storage import reads
from storage.db import Row
from tests.helpers import Site

TOPIC = "/groups/open-overheid/topics/{}"
POST_IDS = re.compile(r'<article class="meent-post[^"]*" id="post-(\d+)"')
NEW = '<strong class="meent-badge meent-badge--new">Nieuw</strong>'



def fresh(site: Site, name: str) -> Row:
    row = account_store.by_username(site.node.db, name)
    assert row is not None
    return row


def long_topic(site: Site, replies: int) -> tuple[int, list[int]]:
    """A topic by anne with `replies` top-level replies, bram and citlali taking turns."""
    site.group()
    anne, bram, citlali = site.member("anne"), site.member("bram"), site.member("citlali")
    topic = posts.start_topic(site.node, anne, groups.get(site.node, "open-overheid"), "Een lang gesprek", "Begin")
    ids = [posts.reply(site.node, (bram, citlali)[n % 2], topic["id"], f"Reactie {n}")["id"] for n in range(replies)]
    return topic["id"], ids


def shown(html: str) -> list[int]:
    return [int(found) for found in POST_IDS.findall(html)]


def test_pages_of_a_long_topic(site: Site) -> None:
    topic, ids = long_topic(site, 300)
    path = TOPIC.format(topic)
    first = site.client.get(path).text
    assert shown(first) == [topic] + ids[:50]  # the opening post, then the first 50 replies
    assert "Pagina 1 van 6" in first
    # the lists' one pagination macro (paging.html), labelled for its place
    nav = first[first.index('<nav class="meent-pagination'):first.index("</nav>", first.index("meent-pagination"))]
    assert 'aria-label="Pagina&#39;s van dit gesprek (boven)"' in nav
    assert re.search(rf'href="{path}"\s*aria-current="page"', nav)
    assert f'href="{path}?page=2"' in nav and "Volgende" in nav and f'href="{path}?page=6"' in nav
    assert "Vorige" not in nav  # nothing before page 1
    third = site.client.get(path + "?page=3").text
    assert shown(third) == ids[100:150]  # later pages: replies only, under a short header
    assert "Naar het begin van het gesprek" in third and "Een lang gesprek" in third
    assert re.search(rf'href="{re.escape(path)}\?page=3"\s*aria-current="page"', third)
    assert f'href="{path}?page=2"' in third and f'href="{path}?page=4"' in third and f'href="{path}"' in third
    last = site.client.get(path + "?page=6").text
    assert shown(last) == ids[250:]
    assert "Volgende" not in last.split('id="replies-heading"')[1].split("</section>")[0]
    assert shown(site.client.get(path + "?page=last").text) == ids[250:]


def test_bad_page_values_are_a_clear_400_and_a_missing_page_a_404(site: Site) -> None:
    topic, _ = long_topic(site, 60)
    path = TOPIC.format(topic)
    for value in ("0", "-1", "abc", "1.5", "99999999999", "２"):  # as on every paged list (node/paging.py)
        response = site.client.get(path, params={"page": value})
        assert response.status_code == 400, value
        assert "Dit paginanummer klopt niet" in response.text
    assert site.client.get(path, params={"page": ""}).status_code == 200  # an empty field is page 1
    beyond = site.client.get(path + "?page=3")
    assert beyond.status_code == 404 and "dit gesprek heeft 2 pagina" in beyond.text
    assert site.client.get(path + "?page=2").status_code == 200
    # a thread without replies has one page
    assert site.client.get(path.replace(str(topic), str(topic)) + "?page=1").status_code == 200


def test_permalink_of_a_reply_on_page_3(site: Site) -> None:
    topic, ids = long_topic(site, 300)
    target = ids[120]  # the 121st reply: page 3 holds replies 101 to 150
    row = posts.get(site.node, target)
    assert urls.post(row) == f"/posts/{target}"
    assert urls.post_id_of(urls.post(row)) == target
    assert urls.post_id_of(TOPIC.format(topic), f"post-{target}") == target  # old addresses still name it
    response = site.client.get(f"/posts/{target}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"{TOPIC.format(topic)}?page=3#post-{target}"
    assert target in shown(site.client.get(f"/posts/{target}").text)
    # a reply on page 1 keeps the thread's own address; the opening post is the thread
    assert site.client.get(f"/posts/{ids[3]}", follow_redirects=False).headers["location"] == \
        f"{TOPIC.format(topic)}#post-{ids[3]}"
    assert site.client.get(f"/posts/{topic}", follow_redirects=False).headers["location"] == TOPIC.format(topic)


def test_nested_reply_whose_parent_is_on_the_previous_page(site: Site) -> None:
    topic, ids = long_topic(site, 60)
    parent = ids[49]  # the last reply of page 1
    child = posts.reply(site.node, fresh(site, "anne"), parent, "Een late reactie op de vijftigste")["id"]
    grandchild = posts.reply(site.node, fresh(site, "bram"), child, "En daar weer op")["id"]
    path = TOPIC.format(topic)
    second = site.client.get(path + "?page=2").text
    assert shown(second) == [child, grandchild] + ids[50:]
    assert parent not in shown(second)
    start = second.index(f'id="post-{child}"')
    item = second[second.rindex("<li", 0, start):start]
    assert 'class="meent-continued meent-depth-2"' in item  # keeps its depth's indent
    note = second[start:second.index("</p>", second.index("meent-reply-to", start))]
    assert f'href="/posts/{parent}"' in note and "Reactie op Citlali" in note and "op een eerdere pagina" in note
    # the grandchild nests under the child on this page, with no note of its own
    between = second[start:second.index(f'id="post-{grandchild}"')]
    assert "meent-thread--nested" in between and between.count('class="meent-meta meent-reply-to"') == 1
    assert site.client.get(f"/posts/{child}", follow_redirects=False).headers["location"].endswith(
        f"?page=2#post-{child}")
    assert site.client.get(f"/posts/{parent}", follow_redirects=False).headers["location"] == f"{path}#post-{parent}"


def test_blog_thread_paging(site: Site) -> None:
    anne, bram = site.member("anne"), site.member("bram")
    post = posts.write_blog_post(site.node, anne, "Een blog", "", "Tekst", "", publish=True)
    ids = [posts.reply(site.node, bram, post["id"], f"Commentaar {n}")["id"] for n in range(75)]
    path = f"/users/anne/blog/{post['id']}"
    first = site.client.get(path).text
    assert shown(first) == [post["id"]] + ids[:50] and "Pagina 1 van 2" in first
    second = site.client.get(path + "?page=2").text
    assert shown(second) == ids[50:] and "Naar het begin van het gesprek" in second
    assert site.client.get(f"/posts/{ids[60]}", follow_redirects=False).headers["location"] == \
        f"{path}?page=2#post-{ids[60]}"
    assert site.client.get(path + "?page=3").status_code == 404


def test_the_visitor_cache_is_per_page_and_bounded(site: Site) -> None:
    topic, ids = long_topic(site, 120)
    path = TOPIC.format(topic)
    cache = site.client.app.state.tree_cache  # type: ignore[attr-defined]
    cache.entries.clear()
    one, two = site.client.get(path).text, site.client.get(path + "?page=2").text
    assert {key[:2] for key in cache.entries} == {(topic, 1), (topic, 2)}
    assert site.client.get(path + "?page=2").text == two and len(cache.entries) == 2  # served from the cache
    assert shown(two) == ids[50:100] and shown(one)[1:] == ids[:50]
    extra = posts.reply(site.node, fresh(site, "anne"), ids[10], "Nieuw op pagina 1")["id"]
    again = site.client.get(path).text  # a commit makes a new version: no stale page
    assert extra in shown(again) and shown(again)[-1] == ids[48]
    assert cache.size == web_cache_size()
    cache.size = 4  # the cap, made small enough to reach: six pages kept, the four last used stay
    for page in range(1, 4):
        for lang in ("nl", "en"):
            site.client.get(path, params={"page": str(page), "lang": lang})
    assert [key[1:3] for key in cache.entries] == [(2, "nl"), (2, "en"), (3, "nl"), (3, "en")]


def web_cache_size() -> int:
    from node.web import TREE_CACHE_SIZE
    return TREE_CACHE_SIZE


def test_read_marks_new_markers_and_first_unread(site: Site) -> None:
    topic, ids = long_topic(site, 120)
    path = TOPIC.format(topic)
    dirk = site.member("dirk")
    site.login("dirk")
    before = site.client.get(path).text
    # all new to dirk: the opening post too; the first new reply is the first reply
    assert before.count(NEW) == 51
    assert f'href="{path}#post-{ids[0]}">Naar het eerste nieuwe bericht' in before
    assert f'href="{path}?page=3#post-{ids[119]}">Naar de laatste reactie' in before
    assert reads.mark(site.node.db, dirk["id"], topic) == ids[49]  # up to the highest id on the page
    after = site.client.get(path).text
    assert NEW not in after  # seen now
    assert f'href="{path}?page=2#post-{ids[50]}">Naar het eerste nieuwe bericht' in after
    # one mark per thread: a page seen past an unseen one marks read only up to the unseen page
    site.client.get(path + "?page=3")
    assert reads.mark(site.node.db, dirk["id"], topic) == ids[49]
    assert f'href="{path}?page=2#post-{ids[50]}">Naar het eerste nieuwe bericht' in site.client.get(path).text
    site.client.get(path + "?page=2")
    assert reads.mark(site.node.db, dirk["id"], topic) == ids[99]
    site.client.get(path + "?page=3")
    assert reads.mark(site.node.db, dirk["id"], topic) == ids[119]
    site.client.get(path + "?page=2")
    assert reads.mark(site.node.db, dirk["id"], topic) == ids[119]  # never backwards
    assert NEW not in site.client.get(path + "?page=2").text
    assert "Naar het eerste nieuwe bericht" not in site.client.get(path).text
    # his own reply is read to him; bram's later one is new
    mine = posts.reply(site.node, fresh(site, "dirk"), ids[0], "Mijn eigen reactie")["id"]
    theirs = posts.reply(site.node, fresh(site, "bram"), ids[0], "Een nieuwe van bram")["id"]
    page = site.client.get(path).text
    assert page.count(NEW) == 1
    assert page.index(NEW) > page.index(f'id="post-{theirs}"') and page.index(NEW) > page.index(f'id="post-{mine}"')
    site.logout()
    assert NEW not in site.client.get(path).text  # visitors see no markers


def test_a_new_answer_on_page_1_does_not_mark_later_pages_read(site: Site) -> None:
    """Replies are in tree order, so a new answer to an early reply lands on page 1 with the highest
    id: reading page 1 then must not count page 2, never opened, as read."""
    topic, ids = long_topic(site, 120)
    path = TOPIC.format(topic)
    dirk = site.member("dirk")
    site.login("dirk")
    site.client.get(path)
    nested = posts.reply(site.node, fresh(site, "bram"), ids[0], "Een late reactie op de eerste")["id"]
    page_one = site.client.get(path).text
    assert nested in shown(page_one)
    assert reads.mark(site.node.db, dirk["id"], topic) < ids[50]
    # page 2 now starts with ids[49] (pushed down by the new answer, and read before): the 49 after it are new
    assert site.client.get(path + "?page=2").text.count(NEW) == 49


def test_lists_and_groups_show_what_is_new(site: Site) -> None:
    topic, ids = long_topic(site, 3)
    other = posts.start_topic(site.node, fresh(site, "bram"), groups.get(site.node, "open-overheid"),
                              "Een tweede onderwerp", "Nog een")["id"]
    own = posts.start_topic(site.node, site.member("dirk"), groups.get(site.node, "open-overheid"),
                            "Van dirk zelf", "Mijn onderwerp")["id"]
    site.login("dirk")

    def entry(html: str, title: str) -> str:
        start = html.index(f">{title}</a>")
        return html[start:html.index("</li>", start)]

    group = site.client.get("/groups/open-overheid").text
    assert NEW in entry(group, "Een lang gesprek") and NEW in entry(group, "Een tweede onderwerp")
    assert "meent-badge--new" not in entry(group, "Van dirk zelf")  # his own topic is read
    assert "2 onderwerpen met nieuwe berichten" in site.client.get("/groups").text
    site.client.get(TOPIC.format(topic))
    assert "1 onderwerp met nieuwe berichten" in site.client.get("/groups").text
    assert "meent-badge--new" not in entry(site.client.get("/groups/open-overheid").text, "Een lang gesprek")
    posts.reply(site.node, fresh(site, "bram"), topic, "Nog een")
    posts.reply(site.node, fresh(site, "citlali"), ids[0], "En nog een")
    posts.reply(site.node, fresh(site, "anne"), own, "Op dirks onderwerp")
    group = site.client.get("/groups/open-overheid").text
    assert "2 nieuwe reacties" in entry(group, "Een lang gesprek")
    assert "1 nieuwe reactie" in entry(group, "Van dirk zelf")
    home = site.client.get("/").text
    assert "2 nieuwe reacties" in entry(home, "Een lang gesprek") and NEW in entry(home, "Een tweede onderwerp")
    site.client.get(TOPIC.format(topic))
    site.client.get(TOPIC.format(other))
    site.client.get(TOPIC.format(own))
    assert "onderwerpen met nieuwe berichten" not in site.client.get("/groups").text
    assert "onderwerp met nieuwe berichten" not in site.client.get("/groups").text
    assert "meent-badge--new" not in site.client.get("/groups/open-overheid").text
    site.logout()
    assert "meent-badge--new" not in site.client.get("/groups/open-overheid").text
    assert "meent-badge--new" not in site.client.get("/groups").text + site.client.get("/").text


def test_one_page_of_a_thousand_replies(site: Site) -> None:
    """The tree is one query; only the page's 50 replies are rendered."""
    topic, ids = long_topic(site, 1000)
    order = threads.display_order(threads.build_tree(
        [posts.get(site.node, topic)] + [posts.get(site.node, i) for i in ids[:3]])[1])
    assert [branch.post["id"] for branch in order] == ids[:3]
    page = site.client.get(TOPIC.format(topic) + "?page=last").text
    assert shown(page) == ids[950:] and "Pagina 20 van 20" in page


def test_a_hidden_parent_is_not_named_in_the_answers_to_it(site: Site) -> None:
    """A limited account's reply is hidden from those who do not follow it; the replies to it must
    not name its author either ("in reactie op Eve"), on its page or a later one."""
    from federation.actors import actor_record
    from node.services import blocks
    from node.services.ingest import Ingest
    from storage import actors

    topic, ids = long_topic(site, 60)
    doc = {"id": "https://one.example/users/eve", "type": "Person", "preferredUsername": "eve", "name": "Eva Elders",
           "inbox": "https://one.example/users/eve/inbox"}
    actors.put(site.node.db, actor_record(doc, site.node.now()))
    runtime = site.node.runtime()
    eve = site.client.portal.call(Ingest(site.node, runtime.actors, runtime.fetcher).post, {
        "id": "https://one.example/notes/1", "type": "Note", "attributedTo": doc["id"], "content": "<p>Van Eva</p>",
        "inReplyTo": f"http://127.0.0.1:8000/posts/{topic}"})
    answer = posts.reply(site.node, fresh(site, "anne"), eve["id"], "Een antwoord aan Eva")["id"]
    page = site.client.get(TOPIC.format(topic) + "?page=last").text
    assert f'id="post-{answer}"' in page and "Eva Elders" in page  # nothing limited yet: named
    blocks.block(site.node, None, doc["id"], "test", limit=True)
    page = site.client.get(TOPIC.format(topic) + "?page=last").text
    assert f'id="post-{answer}"' in page and "Eva Elders" not in page

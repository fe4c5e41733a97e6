from node import markup


def test_markdown_is_rendered_and_sanitised() -> None:
    rendered = markup.render("**vet** <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>")
    assert "<strong>vet</strong>" in rendered.html
    assert "<script" not in rendered.html
    assert "href=\"javascript" not in rendered.html
    assert "<img" not in rendered.html


def test_hashtags_and_mentions_are_found_outside_code() -> None:
    source = "Over #Woo en #open-data, vraag @Anne.\n\n`#nietdit @nietdit`\n\n```\n#ookniet\n```\nmail a@b.nl #123"
    assert markup.find_tags(source) == ["open-data", "woo"]
    assert markup.find_mentions(source) == ["anne"]


def test_mentions_link_only_known_members() -> None:
    rendered = markup.render("Hoi @anne en @onbekend #tag", members={"anne"})
    assert '<a href="/users/anne"' in rendered.html
    assert "/users/onbekend" not in rendered.html
    assert '<a href="/tags/tag"' in rendered.html
    assert rendered.mentions == ["anne"]


def test_links_in_urls_are_not_tags() -> None:
    assert markup.find_tags("zie https://example.nl/pagina#anker en a/#b") == []


def test_summary_cuts_at_a_word() -> None:
    text = "<p>" + "woord " * 100 + "</p>"
    summary = markup.summarise(text, 40)
    assert summary.endswith("…") and len(summary) <= 41
    assert "<" not in summary


def test_sanitise_keeps_safe_links_with_rel() -> None:
    cleaned = markup.sanitise('<a href="https://overheid.nl" onclick="x()">ok</a>')
    assert 'href="https://overheid.nl"' in cleaned
    assert "onclick" not in cleaned
    assert "noopener" in cleaned


def test_bare_urls_become_links_the_sanitiser_keeps() -> None:
    html = markup.render("Zie https://example.org/a?b=1&c=2, www.utrecht.nl en utrecht.nl. "
                         "Niet plan.py, README.md of ftp://x.example of javascript:alert(1).").html
    for href in ("https://example.org/a?b=1&amp;c=2", "https://www.utrecht.nl", "https://utrecht.nl"):
        assert f'<a href="{href}" rel="nofollow noopener noreferrer">' in html
    assert html.count("<a ") == 3 and "javascript" in html and 'href="javascript' not in html


def test_links_tags_and_mentions_do_not_meet() -> None:
    html = markup.render("@anne zie https://x.example/@anne/pagina#woo, [al](https://y.example) en "
                         "`https://in.code` #woo", members={"anne"}).html
    assert 'href="https://x.example/@anne/pagina#woo"' in html and 'href="/users/anne"' in html
    assert html.count('href="https://y.example"') == 1 and "<code>https://in.code</code>" in html
    assert html.count('href="/tags/woo"') == 1

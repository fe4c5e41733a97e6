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

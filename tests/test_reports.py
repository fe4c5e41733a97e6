"""Reports through the pages, the client API and the command line: who may report, who sees the queue
(a member nothing, a group moderator their group's reports, an admin everything), the visitors' rate
limit (kept in SQLite), CSRF, bad input, notes, resolve and dismiss with their audit entries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from node.services import groups, posts
from storage import accounts, reports
from storage import groups as group_store
from tests.helpers import PASSWORD, Site, make_site, meent


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    made = make_site(tmp_path)
    with made.client:
        for name in ("anne", "bram", "mod"):
            made.member(name)
        made.member("beheer", role="admin")
        made.group()
        made.group("zorg", "Zorg")
        db = made.node.db
        # mod moderates only the group zorg
        group_store.add_moderator(db, group_store.by_slug(db, "zorg")["id"], accounts.by_username(db, "mod")["id"],
                                  None, made.node.now())
        yield made
    made.node.db.close()


def topic(site: Site, slug: str = "open-overheid", title: str = "Titel", author: str = "anne") -> int:
    account = accounts.by_username(site.node.db, author)
    return int(posts.start_topic(site.node, account, groups.get(site.node, slug), title, "Tekst")["id"])


def report_as_member(site: Site, post_id: int, comment: str = "reclame", category: str = "spam") -> None:
    path = f"/posts/{post_id}/report"
    response = site.post(path, {"category": category, "comment": comment}, site.csrf(path))
    assert response.status_code == 303, response.text


def queue_text(site: Site, state: str = "open") -> str:
    response = site.client.get(f"/moderation?state={state}")
    assert response.status_code == 200, response.status_code
    return response.text


def test_every_post_and_profile_offers_the_report_link(site: Site) -> None:
    post_id = topic(site)
    reply = posts.reply(site.node, accounts.by_username(site.node.db, "bram"), post_id, "Antwoord")
    page = site.client.get(f"/groups/open-overheid/topics/{post_id}").text
    assert f'href="/posts/{post_id}/report"' in page and f'href="/posts/{reply["id"]}/report"' in page
    assert "Meld een probleem" in page
    assert 'href="/users/anne/report"' in site.client.get("/users/anne").text
    blog = posts.write_blog_post(site.node, accounts.by_username(site.node.db, "anne"), "Blog", "", "Tekst",
                                 "", publish=True)
    assert f'href="/posts/{blog["id"]}/report"' in site.client.get(f"/users/anne/blog/{blog['id']}").text
    assert "Report a problem" in site.client.get(f"/posts/{post_id}/report?lang=en").text


def test_a_member_reports_and_sees_no_queue_the_admin_sees_it_all(site: Site) -> None:
    open_post, care_post = topic(site), topic(site, "zorg", "Over zorg")
    site.login("bram")
    report_as_member(site, open_post, "reclame in open overheid")
    report_as_member(site, care_post, "reclame in zorg")
    path = "/users/anne/report"
    assert site.post(path, {"category": "impersonation", "comment": "doet zich voor als"},
                     site.csrf(path)).status_code == 303
    assert site.client.get("/moderation").status_code == 403
    assert site.client.get("/moderation/reports/1").status_code == 403
    rows = reports.listing(site.node.db, state="open", group_ids=None)
    assert [(r["target_kind"], r["reporter_id"], r["category"]) for r in rows] == [
        ("account", accounts.by_username(site.node.db, "bram")["id"], "impersonation"),
        ("post", accounts.by_username(site.node.db, "bram")["id"], "spam"),
        ("post", accounts.by_username(site.node.db, "bram")["id"], "spam")]
    site.logout()
    site.login("beheer")
    page = queue_text(site)
    assert "reclame in open overheid" in page and "reclame in zorg" in page and "doet zich voor als" in page
    report = site.client.get(f"/moderation/reports/{rows[1]['id']}").text
    assert "@bram" in report and "Over zorg" in report  # the reporter, for moderators; the content in context


def test_a_group_moderator_sees_only_their_groups_reports(site: Site) -> None:
    open_post, care_post = topic(site), topic(site, "zorg", "Over zorg")
    site.login("bram")
    report_as_member(site, open_post, "melding open overheid")
    report_as_member(site, care_post, "melding zorg")
    site.logout()
    site.login("mod")
    page = queue_text(site)
    assert "melding zorg" in page and "melding open overheid" not in page
    first, second = reports.listing(site.node.db, state=None, group_ids=None)[::-1]
    assert site.client.get(f"/moderation/reports/{first['id']}").status_code == 403
    assert site.client.get(f"/moderation/reports/{second['id']}").status_code == 200
    page_csrf = site.csrf(f"/moderation/reports/{second['id']}")
    assert site.post(f"/moderation/reports/{first['id']}/dismiss", {}, page_csrf).status_code == 403
    assert reports.by_id(site.node.db, first["id"])["state"] == "open"


def test_a_group_is_reported_to_the_admins_and_group_moderators_find_the_queue_in_the_menu(site: Site) -> None:
    site.login("bram")
    assert 'href="/moderation"' not in site.client.get("/").text  # nothing to moderate: no menu entry
    path = "/groups/zorg/report"
    assert 'href="/groups/zorg/report"' in site.client.get("/groups/zorg").text
    assert "U meldt de groep Zorg" in site.client.get(path).text
    assert site.post(path, {"category": "illegal", "comment": "de groep zelf"}, site.csrf(path)).status_code == 303
    assert site.client.get("/groups/geen-groep/report").status_code == 404
    site.logout()
    (row,) = reports.listing(site.node.db, state="open", group_ids=None)
    assert (row["target_kind"], row["group_id"]) == ("group", group_store.by_slug(site.node.db, "zorg")["id"])
    site.login("mod")  # moderates only zorg: the menu leads to the queue, but a report about the group
    assert 'href="/moderation"' in site.client.get("/").text  # itself is not for its own moderators
    assert "de groep zelf" not in queue_text(site)
    assert site.client.get(f"/moderation/reports/{row['id']}").status_code == 403
    site.logout()
    site.login("beheer")
    assert "de groep zelf" in queue_text(site)


def test_a_report_about_a_moderator_does_not_reach_that_moderator(site: Site) -> None:
    own = topic(site, "zorg", "Van de moderator", author="mod")
    other = topic(site, "zorg", "Van anne")
    site.login("bram")
    report_as_member(site, own, "over de moderator zelf")
    report_as_member(site, other, "over anne")
    site.logout()
    site.login("mod")
    page = queue_text(site)
    assert "over anne" in page and "over de moderator zelf" not in page
    about_mod = next(r for r in reports.listing(site.node.db, state=None, group_ids=None) if r["post_id"] == own)
    assert site.client.get(f"/moderation/reports/{about_mod['id']}").status_code == 403
    site.logout()
    site.login("beheer")
    assert "over de moderator zelf" in queue_text(site)


def test_a_member_may_report_often_but_not_without_end(site: Site) -> None:
    post_id = topic(site)
    site.login("bram")
    path = f"/posts/{post_id}/report"
    for number in range(20):
        assert site.post(path, {"category": "spam", "comment": f"nummer {number}"}, site.csrf(path)).status_code == 303
    refused = site.post(path, {"category": "spam", "comment": "nog een"}, site.csrf(path))
    assert refused.status_code == 429 and "nog een" not in queue_text_as_admin(site)


def queue_text_as_admin(site: Site) -> str:
    return "".join(row["comment"] for row in reports.listing(site.node.db, state=None, group_ids=None))


def test_notes_resolve_and_dismiss_are_audited_and_filtered(site: Site) -> None:
    post_id = topic(site, "zorg")
    reply = posts.reply(site.node, accounts.by_username(site.node.db, "bram"), post_id, "Tweede bericht")
    site.login("anne")
    report_as_member(site, post_id, "eerste")
    report_as_member(site, reply["id"], "tweede")
    site.logout()
    site.login("mod")
    first, second = (row["id"] for row in reports.listing(site.node.db, state=None, group_ids=None)[::-1])
    page = f"/moderation/reports/{second}"
    text = site.client.get(page).text
    assert "reactie 1 van 1" in text and 'action="/posts/' in text and 'name="reason"' in text
    assert f'name="report" value="{second}"' in text
    assert site.post(f"{page}/notes", {"note": "Ik kijk ernaar"}, site.csrf(page)).status_code == 303
    assert site.post(f"{page}/notes", {"note": " "}, site.csrf(page)).status_code == 422
    assert site.post(f"{page}/notes", {"note": "x" * 2001}, site.csrf(page)).status_code == 422
    assert "Ik kijk ernaar" in site.client.get(page).text
    assert site.post(f"{page}/resolve", {}, site.csrf(page)).status_code == 303
    assert site.post(f"{page}/resolve", {}, site.csrf(page)).status_code == 409
    assert site.post(f"/moderation/reports/{first}/dismiss", {}, site.csrf(page)).status_code == 303
    assert site.post(f"/moderation/reports/{first}/explode", {}, site.csrf(page)).status_code == 404
    assert site.post(f"/moderation/reports/{first}/forward", {}, site.csrf(page)).status_code == 422  # ours
    assert "tweede" in queue_text(site, "resolved") and "eerste" not in queue_text(site, "resolved")
    assert "eerste" in queue_text(site, "dismissed") and "Geen meldingen" in queue_text(site, "open")
    audit = site.node.db.all("SELECT actor_name, action, detail FROM audit_log ORDER BY id")
    assert [(row["actor_name"], row["action"]) for row in audit] == [("mod", "report_resolve"),
                                                                      ("mod", "report_dismiss")]
    assert "anne" not in str([tuple(row) for row in audit])  # the reporter stays out of the logs
    assert site.node.db.scalar("SELECT count(*) FROM moderation_log") == 0


def test_a_visitor_reports_with_an_email_address_and_is_rate_limited_across_restarts(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    with site.client:
        site.member("anne")
        site.group()
        post_id = topic(site)
        path = f"/posts/{post_id}/report"
        form = site.client.get(path).text
        assert 'name="email"' in form and 'type="email"' in form
        no_email = site.post(path, {"category": "spam", "comment": "x"}, site.csrf(path))
        assert no_email.status_code == 422 and "verplicht" in no_email.text
        assert site.post(path, {"category": "spam", "email": "geen-adres"}, site.csrf(path)).status_code == 422
        for _ in range(3):
            assert site.post(path, {"category": "spam", "email": "Piet@Example.nl"}, site.csrf(path)).status_code == 303
        limited = site.post(path, {"category": "spam", "email": "piet@example.nl"}, site.csrf(path))
        assert limited.status_code == 429 and "te veel meldingen" in limited.text
        assert limited.headers["retry-after"] == "3600"  # the report limit's own hour, not the log-in window
        for n in range(2):  # other addresses from the same client, up to its own limit
            sent = site.post(path, {"category": "spam", "email": f"p{n}@example.nl"}, site.csrf(path))
            assert sent.status_code == 303
        assert site.post(path, {"category": "spam", "email": "nieuw@example.nl"}, site.csrf(path)).status_code == 429
        assert [r["reporter_email"] for r in reports.listing(site.node.db, state="open", group_ids=None)] == [
            "p1@example.nl", "p0@example.nl", "piet@example.nl", "piet@example.nl", "piet@example.nl"]
    site.node.db.close()
    again = make_site(tmp_path)  # a restart: the counts are in the database
    with again.client:
        assert again.post(path, {"category": "spam", "email": "ander@example.nl"},
                          again.csrf(path)).status_code == 429
    again.node.db.close()


def test_bad_input_is_a_clear_4xx_and_stores_nothing(site: Site) -> None:
    post_id = topic(site)
    path = f"/posts/{post_id}/report"
    assert site.client.get("/posts/999/report").status_code == 404
    assert site.client.get("/users/niemand/report").status_code == 404
    site.login("bram")
    assert site.post("/posts/999/report", {"category": "spam"}, site.csrf(path)).status_code == 404
    bad = site.post(path, {"category": "onzin"}, site.csrf(path))
    assert bad.status_code == 422 and "Kies wat het probleem is" in bad.text
    long = site.post(path, {"category": "spam", "comment": "x" * 1001}, site.csrf(path))
    assert long.status_code == 422 and "1000" in long.text
    assert site.post(path, {"category": "spam"}, "wrong-token").status_code == 403
    assert site.client.post(path, data={"category": "spam"}).status_code == 403  # no CSRF token at all
    site.logout()
    site.login("beheer")
    assert site.client.get("/moderation/reports/999").status_code == 404
    assert site.post("/moderation/reports/999/resolve", {}, site.csrf("/moderation")).status_code == 404
    assert reports.listing(site.node.db, state=None, group_ids=None) == []


def _token(site: Site, username: str, scope: str) -> dict[str, str]:
    app = site.client.post("/api/v1/apps", json={"client_name": "Test", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                                                  "scopes": scope}).json()
    token = site.client.post("/oauth/token", json={
        "grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
        "username": username, "password": PASSWORD, "scope": scope}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def test_the_client_api_files_reports_with_mastodon_parameters(site: Site) -> None:
    post_id = topic(site, "zorg")
    anne = str(accounts.by_username(site.node.db, "anne")["id"])
    bram = _token(site, "bram", "write:reports")
    answer = site.client.post("/api/v1/reports", headers=bram, json={
        "account_id": anne, "status_ids": [str(post_id)], "comment": "Spam", "category": "legal", "forward": True})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["category"], body["comment"], body["status_ids"], body["forwarded"], body["action_taken"]) == (
        "legal", "Spam", [str(post_id)], False, False)
    assert body["target_account"]["id"] == anne
    row = reports.by_id(site.node.db, int(body["id"]))
    assert (row["category"], row["group_slug"], row["target_kind"]) == ("illegal", "zorg", "post")
    form = site.client.post("/api/v1/reports", headers=_token(site, "bram", "write"),
                            data={"account_id": anne, "comment": "profiel"})
    assert form.status_code == 200 and form.json()["category"] == "other" and form.json()["status_ids"] is None
    assert site.client.post("/api/v1/reports", headers=_token(site, "bram", "read"),
                            json={"account_id": anne}).status_code == 403
    assert site.client.post("/api/v1/reports", json={"account_id": anne}).status_code == 401
    for bad, status in [({}, 422), ({"account_id": "999999"}, 404), ({"account_id": anne, "category": "onzin"}, 422),
                        ({"account_id": anne, "comment": "x" * 1001}, 422),
                        ({"account_id": anne, "status_ids": ["999"]}, 422),
                        ({"account_id": anne, "rule_ids": ["77"]}, 422)]:
        wrong = site.client.post("/api/v1/reports", headers=bram, json=bad)
        assert wrong.status_code == status and wrong.json()["error"], (bad, wrong.text)
    assert len(reports.listing(site.node.db, state=None, group_ids=None)) == 2


def test_the_command_line_lists_reports_one_a_line(site: Site) -> None:
    post_id = topic(site)
    site.login("bram")
    report_as_member(site, post_id, "reclame\nover twee regels")
    site.post("/users/anne/report", {"category": "privacy", "comment": ""}, site.csrf("/users/anne/report"))
    site.logout()
    site.login("beheer")
    first = reports.listing(site.node.db, state=None, group_ids=None)[-1]["id"]
    site.post(f"/moderation/reports/{first}/dismiss", {}, site.csrf("/moderation"))
    config = site.node.config.database_path.parent / "config.toml"  # the same node, for the command line
    config.write_text(f'[node]\ndomain = "127.0.0.1:8000"\nname = "Gemeente Test"\nsecret_key = "{"s" * 40}"\n'
                      f'https = false\n[database]\npath = "{site.node.config.database_path}"\n')
    base = site.node.config.base_url
    everything = meent("moderation", "reports", "--config", str(config)).stdout.splitlines()
    assert everything == [f"{first + 1}\topen\t{base}/users/anne\tprivacy",
                          f"{first}\tdismissed\t{base}/posts/{post_id}\tspam: reclame over twee regels"]
    assert meent("moderation", "reports", "--open", "--config", str(config)).stdout.splitlines() == everything[:1]
    bad = meent("moderation", "reports", "--state", "gek", "--config", str(config), check=False)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr and "Traceback" not in bad.stderr
    missing = meent("moderation", "reports", "--config", str(config.parent / "nope.toml"), check=False)
    assert missing.returncode == 2 and "not found" in missing.stderr

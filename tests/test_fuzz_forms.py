"""Random input to every form: answers are pages with a status below 500, never a traceback."""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import free_port, make_site

FORMS = {
    "/groups/open-overheid/topics": ["title", "body"],
    "/posts/1/reply": ["body"],
    "/posts/1/edit": ["title", "body", "summary", "tags", "action"],
    "/blog/new": ["title", "summary", "body", "tags", "action", "organisation"],
    "/settings": ["display_name", "job_title", "department", "about", "language"],
    "/settings/password": ["current_password", "new_password"],
    "/settings/sessions/end": ["session"],
    "/settings/sessions/others": [],
    "/groups": ["slug", "name", "description"],
    "/admin/registration": ["mode", "domains"],
    "/admin/members": ["username", "display_name", "password", "role"],
    "/admin/members/anne": ["action", "role"],
    "/login": ["username", "password", "next"],
    "/register": ["username", "email", "password", "display_name", "invite"],
    "/groups/open-overheid/rules": ["rules"],
    "/admin/rules": ["rules"],
    "/admin/organisation": ["org_name", "org_description", "org_email", "org_phone", "org_website",
                            "link_label_0", "link_url_0"],
    "/admin/statements/privacy": ["privacy"],
    "/settings/mail": ["mention", "reply", "topic", "digest"],
    "/password/forgot": ["email"],
    "/password/reset": ["token", "password"],
    "/register/confirm": ["token"],
    "/register/resend": ["email"],
    "/topics/1/subscription": ["level", "next"],
    "/tags/woo/subscription": ["follow", "next"],
}

text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)


def test_random_form_input_never_fails(tmp_path: Path) -> None:
    site = make_site(tmp_path, mail={"host": "127.0.0.1", "port": free_port(), "from": "noreply@127.0.0.1"})
    with site.client:
        site.member("beheer", role="admin")
        site.member("anne")
        site.group()
        site.login("beheer")
        site.post("/groups/open-overheid/topics", {"title": "Eerste", "body": "Tekst"})
        csrf = site.csrf()

        @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(path=st.sampled_from(sorted(FORMS)), data=st.data())
        def check(path: str, data: st.DataObject) -> None:
            fields = {name: data.draw(text, label=name) for name in FORMS[path]}
            response = site.client.post(path, data={"csrf": csrf} | fields, follow_redirects=False)
            assert response.status_code < 500, (path, fields)
            if response.status_code == 303 and path == "/login":
                site.login("beheer")

        check()
    site.node.db.close()

"""The organisation's sections on /admin: what their forms show (node/pages/face.py saves them)."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request

from node.services import node_settings
from node.web import field, node_of

# The details form's field names on /admin (prefixed: the page has other forms with a "name").
DETAILS = {"name": "org_name", "description": "org_description", "email": "org_email", "phone": "org_phone",
           "website": "org_website"}
STATEMENT_PATHS = {"privacy": "/privacy", "accessibility": "/toegankelijkheid"}


def admin_context(request: Request, typed: dict[str, str] | None = None,
                  typed_links: list[tuple[str, str]] | None = None,
                  typed_statement: tuple[str, str] | None = None) -> dict[str, object]:
    """The /admin sections for the organisation; what was typed comes back as typed after an error."""
    face = node_settings.current(node_of(request))
    values = typed if typed is not None else {
        DETAILS["name"]: face.custom_name, DETAILS["description"]: face.description,
        DETAILS["email"]: face.email, DETAILS["phone"]: face.phone, DETAILS["website"]: face.website}
    links = typed_links if typed_links is not None else [(link.label, link.url) for link in face.links]
    links = (links + [("", "")] * node_settings.LINKS_MAX)[:node_settings.LINKS_MAX]
    wanted = request.query_params.get("template", "")
    statements: dict[str, str] = {}
    for kind in node_settings.STATEMENTS:
        source = face.statement(kind)
        if typed_statement is not None and typed_statement[0] == kind:
            source = typed_statement[1]
        elif wanted == kind or not source:
            source = node_settings.template(kind, face)  # a start: the organisation fills in the [brackets]
        statements[kind] = source
    return {"face_values": values | statements, "face_links": links, "statement_paths": STATEMENT_PATHS,
            "config_name": node_of(request).config["node.name"],
            "statement_saved": {kind: bool(face.statement(kind)) for kind in node_settings.STATEMENTS}}


def links(form: FormData) -> list[tuple[str, str]]:
    return [(field(form, f"link_label_{index}"), field(form, f"link_url_{index}"))
            for index in range(node_settings.LINKS_MAX)]

"""Demo content for a new node: members, groups, discussions with threaded replies, blog posts.

All texts are our own. Everything goes through the service layer, as a person's actions would.
"""

from __future__ import annotations

import secrets

from node.services import accounts, groups, posts
from node.services.context import Node

MEMBERS = [
    ("anne", "Anne de Vries", "Beleidsadviseur", "Bestuur en Organisatie", "Schrijft over open overheid en wendbaar werken."),
    ("bram", "Bram Jansen", "Informatiemanager", "Dienstverlening", "Houdt van goede archieven en heldere taal."),
    ("citlali", "Citlali Moreno", "Data-analist", "Ruimte", "Maakt kaarten en dashboards voor de wijken."),
    ("daan", "Daan Bakker", "Teamleider", "Burgerzaken", ""),
]

GROUPS = [
    ("open-overheid", "Open Overheid", "Openbaarheid, de Woo en actief openbaar maken."),
    ("het-nieuwe-werken", "Het Nieuwe Werken", "Samenwerken, hybride werken en leren van elkaar."),
    ("digitale-dienstverlening", "Digitale Dienstverlening", "Formulieren, toegankelijkheid en de burger centraal."),
]


def seed(node: Node, admin_name: str) -> dict[str, str]:
    """Create the demo organisation's content; returns the demo members' passwords."""
    admin = accounts.get(node, admin_name)
    passwords: dict[str, str] = {}
    members = {}
    for username, name, job, department, about in MEMBERS:
        password = secrets.token_urlsafe(9)
        member = accounts.create(node, username, password, display_name=name)
        accounts.update_profile(node, member, {"job_title": job, "department": department, "about": about})
        members[username] = accounts.get(node, username)
        passwords[username] = password
    accounts.set_role(node, "bram", "moderator")
    made = {slug: groups.create(node, admin, slug, name, description) for slug, name, description in GROUPS}
    for username in ("anne", "bram", "citlali"):
        groups.follow(node, members[username], "open-overheid")
    groups.follow(node, members["daan"], "het-nieuwe-werken")

    topic = posts.start_topic(
        node, members["anne"], made["het-nieuwe-werken"], "Kunnen ambtenaren innovatoren zijn?",
        "Vaak hoor ik dat vernieuwing van buiten moet komen. Ik denk dat juist wij, die de regels en de "
        "praktijk kennen, het verschil kunnen maken.\n\nWat heeft u nodig om iets nieuws te proberen? "
        "#innovatie #werkplezier",
    )
    r1 = posts.reply(node, members["bram"], topic["id"],
                     "Ruimte om te mogen mislukken. Een pilot die niet slaagt is ook een uitkomst. @anne, "
                     "heb je daar een voorbeeld van?")
    posts.reply(node, members["anne"], r1["id"],
                "Zeker: ons experiment met digitaal vergaderen in 2019 liep vast, maar we leerden er veel van.")
    r2 = posts.reply(node, members["citlali"], topic["id"],
                     "Tijd. Met vier uur per maand voor een eigen project zou ik al ver komen. #tijd")
    posts.reply(node, members["daan"], r2["id"], "Als teamleider wil ik dat best proberen. Wie doet mee?")
    posts.like(node, members["daan"], topic["id"])
    posts.like(node, members["anne"], r1["id"])

    woo = posts.start_topic(
        node, members["bram"], made["open-overheid"], "Actief openbaar maken: waar beginnen we?",
        "De Wet open overheid vraagt ons om informatie uit onszelf openbaar te maken. Welke categorie "
        "pakken we als eerste op? #woo #openbaarheid",
    )
    posts.reply(node, members["citlali"], woo["id"], "Onderzoeksrapporten: die zijn vaak al af en waardevol.")

    posts.write_blog_post(
        node, members["anne"], "Wat ik leerde van een jaar hybride werken",
        "Vijf lessen over samenwerken als niet iedereen op kantoor is.",
        "## 1. Spreek af wanneer je samen bent\n\nEen vaste teamdag werkt beter dan toeval.\n\n"
        "## 2. Schrijf meer op\n\nWie er niet bij was, moet kunnen meelezen. #hybridewerken",
        "hybride-werken samenwerken", publish=True,
    )
    posts.write_blog_post(
        node, admin, "Welkom op Meent",
        "Ons nieuwe platform voor discussies en blogs, verbonden met andere organisaties.",
        "Op Meent praten medewerkers van onze organisatie met elkaar en met collega's van andere "
        "overheden. Volg een groep, start een discussie of schrijf een blog. #meent",
        "meent", publish=True, organisation=True,
    )
    return passwords

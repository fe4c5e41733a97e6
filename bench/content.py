"""Seed data for the page benchmark: members, groups, ~30 topics and one topic with a 200-reply tree.

Everything goes through the service layer, as a person's actions would, so the stored HTML,
tags, mentions, counters and notifications are what a real node holds. Deterministic (seeded RNG).
bench/pages.py runs this as `python bench/content.py --config DIR/config.toml --admin NAME`,
which prints what it made as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import random
import secrets
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from PIL import Image

from node.config import load
from node.services import accounts, groups, media, posts
from node.services.context import Node
from storage.db import Database, Row

MEMBERS = [
    ("anne", "Anne de Vries", "Beleidsadviseur"),
    ("bram", "Bram Jansen", "Informatiemanager"),
    ("citlali", "Citlali Moreno", "Data-analist"),
    ("daan", "Daan Bakker", "Teamleider Burgerzaken"),
    ("eva", "Eva Visser", "Privacy officer"),
    ("farid", "Farid El Amrani", "Jurist"),
    ("gerda", "Gerda Smit", "Communicatieadviseur"),
    ("hamza", "Hamza Yilmaz", "Archivaris"),
]

GROUPS = [
    ("open-overheid", "Open Overheid", "Openbaarheid, de Woo en actief openbaar maken."),
    ("digitale-dienstverlening", "Digitale Dienstverlening", "Formulieren, toegankelijkheid en de burger centraal."),
]

TITLES = [
    "Actief openbaar maken: waar beginnen we?", "Ervaringen met het nieuwe zaaksysteem",
    "Toegankelijke PDF's: haalbaar of niet?", "Hoe anonimiseren jullie Woo-verzoeken?",
    "Een vaste teamdag op kantoor", "Metadata in het archief op orde brengen",
    "Taalniveau B1 in brieven aan inwoners", "Dashboards voor de wijkteams",
    "Samenwerken met andere gemeenten aan één formulier", "Wie beheert de gedeelde mailbox?",
    "Digitaal vergaderen met de raad", "Bewaartermijnen van chatberichten",
    "Open data over de openbare ruimte", "Hoe meten we klanttevredenheid eerlijk?",
    "Inwerken van nieuwe collega's op afstand", "Publiceren van raadsinformatie",
    "De rol van de informatiebeheerder", "Algoritmeregister: wat zetten we erin?",
    "Het verschil tussen een melding en een klacht", "Leren van mislukte pilots",
    "Formulieren zonder DigiD", "Mentorschap binnen de organisatie",
    "Wat doen we met oude netwerkschijven?", "Klantreizen in kaart brengen",
    "Hoe houden we de website actueel?", "Een gezamenlijke kennisbank",
    "Privacy by design in nieuwe projecten", "Het spreekuur van de wijkagent",
    "Vragen van journalisten sneller beantwoorden", "Werkplezier en werkdruk",
]

SENTENCES = [
    "Bij ons team werkt dit al een half jaar zo, en de ervaringen zijn overwegend positief.",
    "Het grootste knelpunt is niet de techniek, maar de afspraken over wie wat beheert.",
    "De Wet open overheid vraagt ons om informatie uit onszelf openbaar te maken.",
    "Misschien kunnen we beginnen met een kleine pilot in één afdeling.",
    "Ik ben benieuwd hoe andere gemeenten dit hebben aangepakt.",
    "Volgens mij onderschatten we hoeveel tijd het kost om documenten te anonimiseren.",
    "Een vaste contactpersoon per domein zou veel vragen voorkomen.",
    "Laten we niet vergeten dat inwoners vooral duidelijke taal willen.",
    "In de vorige raadsperiode is hier ook al over gesproken, zonder concreet resultaat.",
    "Het archief is pas bruikbaar als de metadata op orde is.",
    "De privacy officer kijkt graag mee voordat we iets publiceren.",
    "Wij gebruiken daarvoor een eenvoudige checklist die ik best wil delen.",
    "Dat scheelt ons per verzoek al snel een paar uur werk.",
    "Ik mis in dit voorstel nog de rol van de informatiebeheerders.",
    "Goede vraag; daar heb ik eerlijk gezegd nog geen antwoord op.",
    "De toegankelijkheidseisen gelden natuurlijk ook voor PDF-bestanden.",
    "Wellicht is dit een goed onderwerp voor de volgende kennissessie.",
    "Onze ervaring is dat een dashboard pas werkt als iemand het echt bijhoudt.",
    "Het zou helpen als de landelijke richtlijnen wat concreter waren.",
    "Ik stel voor dat we dit eerst met de teamleiders bespreken.",
    "Belangrijk is vooral dat we **eerst de basis op orde** brengen, en pas daarna uitbreiden.",
    "Een collega van de provincie noemde dit *het loket achter het loket*, en dat klopt wel.",
    "We bewaren die bestanden nu als `.docx` op de netwerkschijf, en dat wringt.",
    "Dat is precies waarom we de planning twee keer hebben moeten bijstellen.",
    "Wie heeft er zin om hier volgende maand samen aan te werken?",
]

LINKS = [
    "Zie ook [de handreiking actief openbaar maken](https://www.open-overheid.nl/handreiking) hierover.",
    "Er staat een goed voorbeeld op [de site van de VNG](https://vng.nl/artikelen/voorbeeld).",
    "Meer achtergrond vind je in [het rapport van de Rekenkamer](https://www.rekenkamer.nl/publicaties/rapport).",
]
TAGS = ["woo", "openbaarheid", "archief", "toegankelijkheid", "privacy", "samenwerken", "dienstverlening"]
LIST_ITEMS = [
    "een vaste eigenaar per onderwerp", "een korte evaluatie na drie maanden", "duidelijke taal op B1-niveau",
    "afspraken over bewaartermijnen", "een overzicht van wat al openbaar is", "ruimte om te experimenteren",
]
MAX_DEPTH = 6


@dataclass(frozen=True)
class Seeded:
    group_slug: str
    topic_id: int
    members: int
    groups: int
    topics: int
    replies: int
    blog_posts: int
    big_replies: int
    big_top_level: int
    big_max_depth: int
    long_topic_id: int  # 0 when no long topic was asked for
    long_replies: int
    small_topic_id: int  # the first of the other topics (bench/pages.py sends remote replies to it)


def markdown_body(rng: random.Random, usernames: list[str], sentences: tuple[int, int] = (2, 5)) -> str:
    """A few sentences of Markdown: paragraphs, sometimes a list, a link, a #tag or an @mention."""
    chosen = rng.sample(SENTENCES, rng.randint(*sentences))
    split = rng.randint(1, len(chosen))
    paragraphs = [" ".join(chosen[:split]), " ".join(chosen[split:])]
    if rng.random() < 0.2:
        items = rng.sample(LIST_ITEMS, rng.randint(2, 3))
        paragraphs.insert(1, "Wat mij betreft hoort erbij:\n\n" + "\n".join(f"- {item}" for item in items))
    if rng.random() < 0.15:
        paragraphs.append(rng.choice(LINKS))
    if rng.random() < 0.1:
        paragraphs.insert(0, "> " + rng.choice(SENTENCES))
    if rng.random() < 0.15:
        paragraphs[-1] += f" #{rng.choice(TAGS)}"
    if rng.random() < 0.1:
        paragraphs[-1] += f" @{rng.choice(usernames)}, wat vind jij?"
    return "\n\n".join(p for p in paragraphs if p)


def _thread(node: Node, rng: random.Random, topic: Row, authors: list[Row], count: int) -> tuple[int, int]:
    """`count` replies as a tree: some to the topic, most to recent replies, up to MAX_DEPTH deep.

    Returns (replies to the topic itself, deepest level)."""
    usernames = [a["username"] for a in authors]
    placed: list[tuple[Row, int]] = []  # (reply, depth)
    top_level = 0
    for _ in range(count):
        open_ = [(row, depth) for row, depth in placed[-20:] if depth < MAX_DEPTH]
        if not open_ or rng.random() < 0.3:
            parent, depth = topic, 0
        else:
            parent, depth = rng.choice(open_)
        author = rng.choice([a for a in authors if a["id"] != parent["author_id"]])
        row = posts.reply(node, author, parent["id"], markdown_body(rng, usernames))
        placed.append((row, depth + 1))
        top_level += depth == 0
    return top_level, max((depth for _, depth in placed), default=0)


def _avatar_png(rng: random.Random) -> bytes:
    """A small generated picture: two colours, so each member's differs."""
    image = Image.new("RGB", (120, 120), tuple(rng.randrange(256) for _ in range(3)))
    image.paste(tuple(rng.randrange(256) for _ in range(3)), (30, 30, 90, 90))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def seed(config_path: Path, admin_name: str, big_replies: int = 200, other_topics: int = 30,
         long_replies: int = 0) -> Seeded:
    """Fill the node at config_path; closes its database before returning."""
    rng = random.Random(20240611)
    config = load(config_path)
    db = Database(config.database_path)
    try:
        node = Node(config=config, db=db)
        admin = accounts.get(node, admin_name)
        members = []
        for username, name, job in MEMBERS:
            member = accounts.create(node, username, secrets.token_urlsafe(12), display_name=name)
            accounts.update_profile(node, member, {"job_title": job})
            members.append(accounts.get(node, username))
        for who in [*members, admin]:  # every post of the big topic shows a picture, not initials
            file_hash = asyncio.run(media.upload_image(node, _avatar_png(rng), "avatar.png", "avatar"))
            media.set_account_image(node, who, "avatar", file_hash)
        members = [accounts.get(node, m["username"]) for m in members]
        admin = accounts.get(node, admin_name)
        usernames = [m["username"] for m in members]
        made = [groups.create(node, admin, slug, name, description) for slug, name, description in GROUPS]
        replies = 0
        small_topic_id = 0
        for number in range(other_topics):
            title = TITLES[number % len(TITLES)]
            topic = posts.start_topic(node, rng.choice(members), made[number % len(made)], title,
                                      markdown_body(rng, usernames, (3, 6)))
            small_topic_id = small_topic_id or topic["id"]
            extra = rng.randint(0, 3)
            _thread(node, rng, topic, members, extra)
            replies += extra
        big = posts.start_topic(
            node, members[0], made[0], "Actief openbaar maken: onze aanpak per categorie",
            markdown_body(rng, usernames, (4, 6)) + "\n\nGraag jullie ervaringen. #woo #openbaarheid",
        )
        top_level, max_depth = _thread(node, rng, big, members + [admin], big_replies)
        long_topic_id = 0
        if long_replies:  # a paged thread's first and last page (issue 12)
            long = posts.start_topic(node, members[1], made[0], "Een lange draad: alle vragen over de Woo",
                                     markdown_body(rng, usernames, (3, 5)))
            _thread(node, rng, long, members + [admin], long_replies)
            long_topic_id = long["id"]
        blog_posts = 3
        for number in range(blog_posts):
            posts.write_blog_post(
                node, members[number], f"Wat ik leerde van {TITLES[number].lower().rstrip('?')}",
                "", markdown_body(rng, usernames, (4, 6)), "lessen", publish=True,
            )
    finally:
        db.close()
    return Seeded(
        group_slug=made[0]["slug"], topic_id=big["id"], members=len(members) + 1, groups=len(made),
        topics=other_topics + 1, replies=replies + big_replies, blog_posts=blog_posts, big_replies=big_replies,
        big_top_level=top_level, big_max_depth=max_depth, long_topic_id=long_topic_id, long_replies=long_replies,
        small_topic_id=small_topic_id,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Seed a fresh Meent node for bench/pages.py.")
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--admin", required=True)
    parser.add_argument("--replies", type=int, default=200)
    parser.add_argument("--topics", type=int, default=30)
    parser.add_argument("--long-replies", type=int, default=0, help="replies of one more, long topic (0: none)")
    args = parser.parse_args(argv)
    print(json.dumps(asdict(seed(args.config, args.admin, args.replies, args.topics, args.long_replies))))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Where the home page's time goes: the app called in-process (plain ASGI), timed and under cProfile.

    cd /work/main && .venv/bin/python bench/profile_home.py [--requests 200]

Seeds the same node as bench/pages.py (bench/profile_topic.py's seed), then times, sequentially on
this thread: the three list queries, node.web.page_values as a real request builds it (visitor and
signed-in member), the template alone, and whole requests through the ASGI app for a visitor (served
from the visitors' page cache), a visitor when every request follows a commit (the cache missed), and
a member signed in through the real /login form; then cProfile's top functions for the member.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.profile_topic import (  # noqa: E402  (after the path is set)
    PASSWORD,
    Page,
    describe,
    print_profile,
    request_for,
    seed,
    signed_in,
    timed,
)
from bench.scratch import run_in_scratch  # noqa: E402
from node import web  # noqa: E402
from node.app import create_app  # noqa: E402
from node.config import load  # noqa: E402
from storage import posts, settings  # noqa: E402


async def profile(config_path: Path, count: int) -> None:
    app = create_app(load(config_path))
    node = app.state.node
    db = node.db
    template = app.state.templates.get_template("home.html")

    def lists() -> dict[str, Any]:
        return {"topics": posts.recent(db, "topic", 10), "replies": posts.recent(db, "reply", 10),
                "blog_posts": posts.recent(db, "blog", 6)}

    visitor, member = Page(app, "/"), Page(app, "/")
    await visitor.many(20)
    await member.log_in("beheerder", PASSWORD)
    await member.many(20)
    member_request = signed_in(app, "/", "beheerder")

    def member_values() -> dict[str, Any]:
        member_request.state._state.clear()  # a new request each time: its own look-ups
        return web.page_values(member_request, lists())

    print(f"Home page, {count} sequential calls each, one process, no concurrency:")
    print(describe("posts.recent() x 3: the lists", timed(lists, count)))
    print(describe("web.page_values(), visitor", timed(lambda: web.page_values(request_for(app, "/")), count)))
    print(describe("web.page_values() + lists, member", timed(member_values, count)))
    values = member_values()
    print(describe("home.html render alone (member)", timed(lambda: template.render(values), count)))
    print(describe("whole request, visitor (page cache)", await visitor.many(count)))
    times = []
    for _ in range(count):  # a commit before each request: every visitor cache is missed
        settings.put(db, "bench.profile", "x")
        times += await visitor.many(1)
    print(describe("whole request, visitor, a commit before each (cache missed)", times))
    print(describe("whole request, member signed in through /login", await member.many(count)))

    profiler = cProfile.Profile()
    profiler.enable()
    await member.many(count)
    profiler.disable()
    print_profile(profiler, count)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Profile the home page in-process.")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--replies", type=int, default=200, help="replies of the big topic (bench/pages.py: 200)")
    args = parser.parse_args(argv)

    def work(workdir: Path) -> None:
        config_path, _ = seed(workdir, args.replies)
        asyncio.run(profile(config_path, args.requests))
    return run_in_scratch("meent-profile-", work)


if __name__ == "__main__":
    sys.exit(main())

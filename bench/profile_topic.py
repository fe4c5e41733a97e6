"""Where a topic page's time goes: the app called in-process (plain ASGI), timed and under cProfile.

    cd /work/main && .venv/bin/python bench/profile_topic.py [--requests 200]

Seeds the same node as bench/pages.py (meent init + bench/content.py), builds the app with
node.app.create_app, and calls it directly on this thread: starlette's TestClient runs the app
in a portal thread, which cProfile (per thread) would not see. Then:

1. a wall-clock split of one page: the thread query, the tree, the view counter, the replies'
   template (with sqlite3.Row and with plain objects), the page's context as node.web builds it
   for a real request (page_values, thread_context), the page template around the cached tree,
   the page for a signed-in member, and the whole request (also without the view counter);
2. cProfile's top functions by own time and by cumulative time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from starlette.applications import Starlette  # noqa: E402  (after the path is set)
from starlette.requests import Request  # noqa: E402

from bench.scratch import run_in_scratch  # noqa: E402
from node import i18n, threads, web  # noqa: E402
from node.app import create_app  # noqa: E402
from node.config import load  # noqa: E402
from node.services import posts as post_service  # noqa: E402
from node.services import sessions  # noqa: E402
from storage import accounts, posts  # noqa: E402
from storage.db import Row  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
ADMIN = "beheerder"
PASSWORD = "profile-password"
Message = dict[str, Any]


class Page:
    """One GET through the ASGI app, keeping the session cookie as a browser would."""

    def __init__(self, app: Starlette, path: str) -> None:
        self.app, self.path, self.cookie = app, path, b""

    async def get(self) -> tuple[int, bytes]:
        return await self.request("GET", self.path)

    async def log_in(self, username: str, password: str) -> None:
        """Sign in through the real /login form, as a browser would; the session cookie is kept."""
        status, page = await self.request("GET", "/login")
        found = re.search(rb'name="csrf" value="([^"]+)"', page)
        assert status == 200 and found, f"GET /login answered {status}"
        form = urlencode({"csrf": found.group(1).decode(), "next": "/", "username": username, "password": password})
        status, _ = await self.request("POST", "/login", form.encode())
        assert status == 303, f"POST /login answered {status}"

    async def request(self, method: str, path: str, form: bytes = b"") -> tuple[int, bytes]:
        headers = [(b"host", b"127.0.0.1:8000"), (b"accept", b"text/html"), (b"accept-language", b"nl")]
        if self.cookie:
            headers.append((b"cookie", self.cookie))
        if form:
            headers += [(b"content-type", b"application/x-www-form-urlencoded"),
                        (b"content-length", str(len(form)).encode())]
        target, _, query = path.partition("?")
        scope: Message = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
            "scheme": "http", "path": target, "raw_path": target.encode(), "query_string": query.encode(),
            "root_path": "", "headers": headers, "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        status, body = 0, bytearray()

        async def receive() -> Message:
            return {"type": "http.request", "body": form, "more_body": False}

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if name == b"set-cookie":
                        self.cookie = value.split(b";", 1)[0]
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, bytes(body)

    async def many(self, count: int) -> list[float]:
        """Milliseconds of each of count sequential requests."""
        times = []
        for _ in range(count):
            began = time.perf_counter()
            status, _ = await self.get()
            times.append((time.perf_counter() - began) * 1000)
            if status != 200:
                raise RuntimeError(f"{self.path} answered {status}")
        return times


class Record(dict[str, Any]):
    """A row that answers both post.name (found at once by Jinja2) and post["name"] (used by node.urls)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def as_object(row: Row) -> Record:
    return Record({key: row[key] for key in row.keys()})


def as_objects(branch: threads.Branch) -> threads.Branch:
    return threads.Branch(as_object(branch.post), [as_objects(child) for child in branch.children])


def timed(function: Callable[[], object], count: int) -> list[float]:
    times = []
    for _ in range(count):
        began = time.perf_counter()
        function()
        times.append((time.perf_counter() - began) * 1000)
    return times


def describe(label: str, times: list[float]) -> str:
    quantiles = statistics.quantiles(times, n=20)
    return f"  {label:<66} mean {statistics.fmean(times):7.2f}  p50 {statistics.median(times):7.2f}  " \
           f"p95 {quantiles[18]:7.2f} ms"


@contextmanager
def patched(owner: Any, name: str, replacement: Any) -> Iterator[None]:
    original = getattr(owner, name)
    setattr(owner, name, replacement)
    try:
        yield
    finally:
        setattr(owner, name, original)


def request_for(app: Starlette, path: str, session: dict[str, Any] | None = None) -> Request:
    """A Request as the app's middleware hands it to a page handler (session already read), for
    calling node.web's functions directly: the same context building as a real request."""
    return Request({
        "type": "http", "http_version": "1.1", "method": "GET", "scheme": "http", "path": path,
        "raw_path": path.encode(), "query_string": b"", "root_path": "", "app": app, "session": session or {},
        "headers": [(b"host", b"127.0.0.1:8000"), (b"accept", b"text/html"), (b"accept-language", b"nl")],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
    })


def signed_in(app: Starlette, path: str, username: str) -> Request:
    """A Request of a member with a session made as a log-in makes it (node.services.sessions.start)."""
    node = app.state.node
    member = accounts.by_username(node.db, username)
    assert member is not None
    token, _ = sessions.start(node, member["id"], "profile", "127.0.0.1")
    return request_for(app, path, {"token": token, "csrf": "x" * 43})


def print_profile(profiler: cProfile.Profile, count: int) -> None:
    for order, limit in (("tottime", 25), ("cumulative", 30)):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order)
        stats.print_stats(limit)
        print(f"\ncProfile, {count} requests, top {limit} by {order}:")
        print("\n".join(line for line in out.getvalue().splitlines()[4:] if line.strip()))


def seed(workdir: Path, replies: int = 200) -> tuple[Path, str]:
    data_dir = workdir / "node"
    for args in (
        ["-m", "node", "init", "--data-dir", str(data_dir), "--domain", "127.0.0.1:8000", "--admin", ADMIN,
         "--password", PASSWORD, "--name", "Gemeente Bench"],
        [str(BENCH / "content.py"), "--config", str(data_dir / "config.toml"), "--admin", ADMIN,
         "--replies", str(replies)],
    ):
        result = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, check=True)
    seeded = json.loads(result.stdout)
    return data_dir / "config.toml", f"/groups/{seeded['group_slug']}/topics/{seeded['topic_id']}"


async def profile(config_path: Path, path: str, count: int) -> None:
    app = create_app(load(config_path))
    node = app.state.node
    topic_id = int(path.rsplit("/", 1)[1])
    page = Page(app, path)
    await page.many(20)  # compile templates, fill caches, get a session cookie
    root = posts.by_id(node.db, topic_id)
    assert root is not None
    context = threads.page_context(node, root, None)
    env = app.state.templates
    tree_template, template = env.get_template("tree.html"), env.get_template("topic.html")

    def tree_values(tree: list[threads.Branch], account: Row | None = None) -> dict[str, Any]:
        return {"tree": tree, "account": account, "liked": set(), "csrf": "x" * 43, "moderator": False,
                "t": lambda key, **params: i18n.translate("nl", key, **params)}

    # The page's values as a real request builds them (node.web.page_values, thread_context): no copy
    # of the context here that could drift from the app's.
    def visitor_values() -> dict[str, Any]:
        request = request_for(app, path)
        return web.page_values(request, web.thread_context(request, root))

    values = visitor_values()
    print(f"Topic page {path}: {len(context['tree'])} top-level replies, {context['reply_total']} in all")
    print(f"Wall-clock split, {count} sequential calls each, one process, no concurrency:")
    print(describe(f"posts.thread(): the SQL query ({context['reply_total'] + 1} rows, 4 joins)",
                   timed(lambda: posts.thread(node.db, topic_id), count)))
    print(describe("threads.page_context(): query + tree + tags", timed(
        lambda: threads.page_context(node, root, None), count)))
    print(describe("posts.record_view(): counted in memory (written every 5 s)",
                   timed(lambda: post_service.record_view(node, topic_id), count)))
    print(describe("tree.html render (Jinja2): the replies, as on a cache miss",
                   timed(lambda: tree_template.render(tree_values(context["tree"])), count)))
    plain = [as_objects(branch) for branch in context["tree"]]
    print(describe("  the same, rows as plain objects instead of sqlite3.Row",
                   timed(lambda: tree_template.render(tree_values(plain)), count)))
    print(describe("web.page_values + thread_context, visitor (tree cached)", timed(visitor_values, count)))
    print(describe("topic.html render around the cached tree (a visitor's page)",
                   timed(lambda: template.render(values), count)))
    member_request = signed_in(app, path, "bram")

    def member_page() -> str:
        member_request.state._state.clear()  # a new request each time: its own look-ups
        return template.render(web.page_values(member_request, web.thread_context(member_request, root)))

    print(describe("topic page for a signed-in member (no cache: reply/like forms per post)",
                   timed(member_page, count)))
    print(describe("whole request through the ASGI app", await page.many(count)))
    with patched(post_service, "record_view", lambda node, topic_id: None):
        print(describe("whole request, view counter left out", await page.many(count)))

    profiler = cProfile.Profile()
    profiler.enable()
    await page.many(count)
    profiler.disable()
    print_profile(profiler, count)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Profile the topic page in-process.")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--replies", type=int, default=200, help="replies of the topic (bench/pages.py: 200)")
    args = parser.parse_args(argv)

    def work(workdir: Path) -> None:
        config_path, path = seed(workdir, args.replies)
        asyncio.run(profile(config_path, path, args.requests))
    return run_in_scratch("meent-profile-", work)


if __name__ == "__main__":
    sys.exit(main())

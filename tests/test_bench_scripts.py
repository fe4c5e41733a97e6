"""The profilers keep working: each runs on a freshly seeded node and prints its sections (issue 12).

They build the page's values through node.web (page_values, thread_context) as a real request does,
so a change to what templates need shows up here rather than the next time someone profiles. The
inbox profiler stops with an error when the worker failed on any activity (it once profiled a
worker that failed on every one, because the node it set up lacked what a service had come to need)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import ROOT


@pytest.mark.parametrize(("script", "args", "sections"), [
    ("bench/profile_topic.py", ["--requests", "3", "--replies", "20"],
     ["Wall-clock split", "tree.html render", "topic.html render around the cached tree", "signed-in member",
      "whole request through the ASGI app", "by tottime", "by cumulative"]),
    ("bench/profile_home.py", ["--requests", "3", "--replies", "20"],
     ["posts.recent() x 3", "web.page_values(), visitor", "whole request, visitor", "cache missed",
      "member signed in through /login", "by tottime", "by cumulative"]),
    # 40: two of its group commits of 20; it stops with an error when the worker failed on any activity
    ("bench/profile_inbox.py", ["--requests", "40"],
     ["Receive path", "Inbox worker", "Framework, per request", "receive path through the app", "inbox worker"]),
])
def test_profiler_runs_and_prints_its_sections(script: str, args: list[str], sections: list[str]) -> None:
    result = subprocess.run([sys.executable, script, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    for section in sections:
        assert section in result.stdout, f"{section!r} missing from {script}'s output"

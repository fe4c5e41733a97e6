"""The profilers keep working: each runs on a freshly seeded node and prints its sections (issue 12).

They build the page's values through node.web (page_values, thread_context) as a real request does,
so a change to what templates need shows up here rather than the next time someone profiles."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import ROOT


@pytest.mark.parametrize(("script", "sections"), [
    ("bench/profile_topic.py", ["Wall-clock split", "tree.html render", "topic.html render around the cached tree",
                                "signed-in member", "whole request through the ASGI app", "by tottime",
                                "by cumulative"]),
    ("bench/profile_home.py", ["posts.recent() x 3", "web.page_values(), visitor", "whole request, visitor",
                               "cache missed", "member signed in through /login", "by tottime", "by cumulative"]),
])
def test_profiler_runs_and_prints_its_sections(script: str, sections: list[str]) -> None:
    result = subprocess.run([sys.executable, script, "--requests", "3", "--replies", "20"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    for section in sections:
        assert section in result.stdout, f"{section!r} missing from {script}'s output"

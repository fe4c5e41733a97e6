"""A profiler's run in a scratch folder that is removed afterwards, whatever happens."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path


def run_in_scratch(prefix: str, work: Callable[[Path], object]) -> int:
    """Run `work` in a new folder; exit code 2 with the command's output when its set-up (a
    subprocess, such as seeding the database) failed."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        work(workdir)
    except subprocess.CalledProcessError as error:
        print(f"profile: set-up failed: {error.stderr}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0

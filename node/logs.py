"""Where `meent serve` writes its log: stderr, one line a record, at the levels of the [log] config.

stderr is what systemd's journal (or the admin's terminal) keeps. Without a handler Python would
print only bare warnings through its last-resort handler, without time or logger name.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from node.config import Config

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# config key -> logger; log.level sets "meent", the parent of the others
LOGGERS = {"log.level": "meent", "log.federation": "meent.federation", "log.delivery": "meent.delivery"}


def levels(config: Config) -> dict[str, int]:
    """Each of our loggers and its level; NOTSET follows the parent. Pure."""
    return {name: logging.getLevelName(config[key].upper()) if config[key] else logging.NOTSET
            for key, name in LOGGERS.items()}


def configure(config: Config, stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger("meent")
    root.handlers = [handler]
    root.propagate = False  # a handler on the root logger (a library's) must not print each line twice
    for name, level in levels(config).items():
        logging.getLogger(name).setLevel(level)

"""Where npm put the NL Design System packages."""

from __future__ import annotations

from pathlib import Path

from node.config import Config


def assets_root(config: Config) -> Path:
    if config["theme.assets_dir"]:
        return config.resolve("theme.assets_dir")
    return Path(__file__).resolve().parent.parent / "node_modules"

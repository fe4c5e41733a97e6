from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import LiveNode, Site, free_port, make_site, start_node


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    # [mail] at a loopback port where nothing listens: sign-up by e-mail domain may be chosen, and
    # what is queued waits in the outbox (tests/test_mail.py runs a real SMTP server)
    made = make_site(tmp_path, mail={"host": "127.0.0.1", "port": free_port(), "from": "Meent <noreply@127.0.0.1>"})
    with made.client:
        yield made
    made.node.db.close()


@pytest.fixture
def live_node(tmp_path: Path) -> Iterator[LiveNode]:
    node = start_node(tmp_path / "node")
    yield node
    node.stop()


@pytest.fixture
def mastodon_class() -> Any:
    """Mastodon.py's client class, or a skip saying what to install (before any node starts)."""
    module = pytest.importorskip("mastodon", reason="Mastodon.py is not installed: pip install 'Mastodon.py>=2.3'")
    return module.Mastodon

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import LiveNode, Site, make_site, start_node


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    made = make_site(tmp_path)
    with made.client:
        yield made
    made.node.db.close()


@pytest.fixture
def live_node(tmp_path: Path) -> Iterator[LiveNode]:
    node = start_node(tmp_path / "node")
    yield node
    node.stop()

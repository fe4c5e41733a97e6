"""Real nodes on loopback for federation tests, and a browser-like client for their pages."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import httpx2 as httpx

from tests.helpers import PASSWORD, ROOT, free_port, meent

T = TypeVar("T")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class Node:
    """`meent init` + `meent serve` as a real uvicorn process, restartable on the same port and files."""

    def __init__(self, data_dir: Path, name: str, extra_config: str = "") -> None:
        self.port = free_port()
        self.domain = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.domain}"
        self.config = data_dir / "config.toml"
        meent("init", "--data-dir", str(data_dir), "--domain", self.domain, "--admin", "beheerder",
              "--password", PASSWORD, "--name", name)
        if extra_config:
            text = self.config.read_text()
            self.config.write_text(text.replace("[federation]\n", "[federation]\n" + extra_config))
        self.log = data_dir / "node.log"  # the node's output; a pipe nobody reads would block it once full
        self.process: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> None:
        meent(*args, "--config", str(self.config))

    def cli_output(self, *args: str) -> str:
        return meent(*args, "--config", str(self.config)).stdout

    def start(self) -> None:
        """Serve on the same port and files as before (appending to the same log)."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "node", "serve", "--config", str(self.config)],
                                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        eventually(self._answers, timeout=30, what=f"{self.url} to start")

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"the node exited with {self.process.returncode}:\n{self.log_tail()}")
        return httpx.get(self.url + "/", timeout=1).status_code == 200

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None

    def kill(self) -> None:
        """kill -9: no shutdown, no last commit; what was not on disk is lost, as in a crash."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def browser(self, username: str) -> Browser:
        browser = Browser(self.url)
        browser.login(username)
        return browser


class Browser:
    """What a member does through the web pages: log in, fill forms, read pages."""

    def __init__(self, url: str) -> None:
        self.client = httpx.Client(base_url=url, timeout=10)

    def get(self, path: str) -> str:
        response = self.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.text

    def submit(self, form_page: str, action: str, data: dict[str, str]) -> httpx.Response:
        csrf = CSRF.search(self.client.get(form_page).text)
        assert csrf, f"no form on {form_page}"
        response = self.client.post(action, data={"csrf": csrf.group(1)} | data, follow_redirects=False)
        assert response.status_code in (303, 202), (action, response.status_code, response.text[:500])
        return response

    def login(self, username: str) -> None:
        self.submit("/login", "/login", {"username": username, "password": PASSWORD})


@contextmanager
def group_node(data_dir: Path, name: str, extra_config: str = "", group: str = "open-overheid") -> Iterator[Node]:
    """A running node with the group `group` and the member anne, stopped afterwards."""
    made = Node(data_dir, name, extra_config)
    made.cli("group", "add", group, "--name", "Open Overheid")
    made.cli("user", "add", "anne", "--password", PASSWORD)
    made.start()
    try:
        yield made
    finally:
        made.stop()


@contextmanager
def running_nodes(data_dir: Path, names: str, extra_config: str = "") -> Iterator[list[Node]]:
    """One running node per letter of `names` ("Gemeente A", ...), each in its own folder, stopped after."""
    made = [Node(data_dir / name, f"Gemeente {name.upper()}", extra_config) for name in names]
    try:
        for node in made:
            node.start()
        yield made
    finally:
        for node in made:
            node.stop()


def eventually(check: Callable[[], T], timeout: float = 20, what: str = "condition") -> T:
    """Poll until check() is truthy (federation is asynchronous by design); errors count as not yet."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (httpx.TransportError, AssertionError) as error:
            last = error
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")

"""Page benchmark: start-up time, memory, and latency of the topic pages and the home page under load.

    cd /work/main && .venv/bin/python bench/pages.py

1. `meent init` a node in a temporary folder, then seed it through the service layer
   (bench/content.py: 9 members, 2 groups, 32 topics, one with 200 threaded replies, one with
   1,000, 3 blog posts).
2. Start-up: from spawning `python -m node serve` until the first `GET /` answers 200.
3. Idle memory: VmRSS of the uvicorn process after start-up and one warm-up request.
4. Load: bench/load.py in a second process, 20 keep-alive clients per page, 2 s warm-up then
   10 s (or 50 000 requests) measured; every answer must be a complete 200 page. The pages:
   the 200-reply topic (its first page); the first and the last page (`?page=1`, `?page=N`, 50 replies a page) of the
   1,000-reply topic; the home page for a visitor, and for a member signed in through the real
   /login form (with unread notifications); the 200-reply topic again while bench/inbox_steady.py
   POSTs signed remote replies (Create(Note), inReplyTo another topic) to the node's inbox at
   INBOX_RATE a second, so that every cache keyed on the database version is missed as in real use.
5. Loaded memory: peak VmHWM, and VmRSS at the end of each load.
6. A table of all figures beside the targets (every page's p95 < 50 ms, idle memory < 100 MB).

Only 127.0.0.1. Exit status: 0 all targets met, 1 a target missed, 2 the benchmark could not run
(or requests failed), 130 interrupted. The server is stopped and the folder removed in every case.
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.inbox_traffic import ActorServer, make_senders, presign, write_requests  # noqa: E402  (after the path)
from node.threads import PAGE_SIZE, page_count  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
HOST = "127.0.0.1"
ADMIN = "beheerder"
CLIENTS = 20
WARMUP_S = 2.0
DURATION_S = 10.0
MAX_REQUESTS = 50_000
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
TOPIC_P95_TARGET_MS = 50.0
IDLE_RSS_TARGET_MB = 100.0
MB = 1_000_000  # targets are in MB (10^6 bytes); /proc reports kB (1024 bytes)
POST_ANCHOR = re.compile(rb'id="post-(\d+)"')
LONG_REPLIES = 1_000
INBOX_RATE = 10.0  # remote replies a second during the "topic, inbox traffic" load
INBOX_SENDERS = 3
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


class BenchError(Exception):
    """The benchmark cannot go on; the message says why."""


# --- the machine and its processes ------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def filesystem_of(path: Path) -> str:
    """The file-system type holding path (longest matching mount point in /proc/mounts)."""
    best, kind = "", "unknown"
    target = str(path.resolve())
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return kind
    for line in mounts:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fields[2]
    return kind


def proc_status(pid: int) -> dict[str, int]:
    """The kB figures of /proc/PID/status (VmRSS, VmHWM, ...)."""
    figures: dict[str, int] = {}
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        name, _, value = line.partition(":")
        parts = value.split()
        if len(parts) == 2 and parts[1] == "kB":
            figures[name] = int(parts[0])
    if "VmRSS" not in figures:
        raise BenchError(f"process {pid} has gone (no memory figures in /proc/{pid}/status)")
    return figures


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def runqueue_seconds(pid: int) -> float:
    """Time the process's main thread (uvicorn's event loop) was ready to run but waited for a core."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def descendants(pid: int) -> Iterator[tuple[int, int]]:
    """(pid, depth) of pid and every process below it, parents first."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    queue = [(pid, 0)]
    while queue:
        current, depth = queue.pop(0)
        yield current, depth
        queue.extend((child, depth + 1) for child in children.get(current, []))


def listening_inodes(port: int) -> set[str]:
    """Socket inodes listening on 127.0.0.1:port (or any address on that port)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes


def server_pid(root: int, port: int) -> int:
    """The process that serves the port: the deepest one under root holding the listening socket.

    `python -m node serve` runs uvicorn in-process today; should it ever fork workers or a reloader,
    this still finds the process that answers rather than its parent."""
    wanted = {f"socket:[{inode}]" for inode in listening_inodes(port)}
    found: tuple[int, int] | None = None
    for pid, depth in descendants(root):
        try:
            links = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        except OSError:
            continue
        if links & wanted and (found is None or depth >= found[1]):
            found = (pid, depth)
    if found is None:
        raise BenchError(f"no process under pid {root} listens on port {port}")
    return found[0]


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def get(port: int, path: str, timeout: float = 5.0, cookie: str = "") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Accept": "text/html", **({"Cookie": cookie} if cookie else {})})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# --- the node -----------------------------------------------------------------------------


def allow_private_addresses(config: Path) -> None:
    """Let the node fetch actors from 127.0.0.1 (the bench's remote senders), checked."""
    text = config.read_text()
    if not tomllib.loads(text).get("federation", {}).get("allow_private_addresses"):
        text, found = re.subn(r"(?m)^allow_private_addresses\s*=.*$", "allow_private_addresses = true", text)
        if not found:
            text = text.replace("[federation]\n", "[federation]\nallow_private_addresses = true\n", 1)
        config.write_text(text)
    if not tomllib.loads(config.read_text())["federation"]["allow_private_addresses"]:
        raise BenchError("could not set federation.allow_private_addresses = true")


def log_in(port: int, username: str, password: str) -> str:
    """Sign in through the real /login form (its CSRF token and session cookie); the Cookie to send."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", "/login", headers={"Accept": "text/html"})
        response = conn.getresponse()
        page = response.read().decode()
        cookie = (response.getheader("set-cookie") or "").split(";", 1)[0]
        found = CSRF_FIELD.search(page)
        if response.status != 200 or not found or not cookie:
            raise BenchError(f"GET /login answered {response.status} without a form token and cookie")
        body = urlencode({"csrf": found.group(1), "next": "/", "username": username, "password": password})
        conn.request("POST", "/login", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie, "Accept": "text/html"})
        response = conn.getresponse()
        response.read()
        signed_in = (response.getheader("set-cookie") or "").split(";", 1)[0]
        if response.status != 303 or not signed_in:
            raise BenchError(f"POST /login answered {response.status}, not a redirect with a session")
        return signed_in
    finally:
        conn.close()


def run_python(args: list[str], what: str, timeout: float = 300.0) -> str:
    result = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise BenchError(f"{what} failed (exit {result.returncode}):\n{result.stderr.strip()[-2000:]}")
    return result.stdout


@dataclass
class Server:
    """`python -m node serve` as a subprocess; its output goes to a log file."""

    config_path: Path
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    pid: int = 0  # the uvicorn process (found by its listening socket)

    def start(self) -> float:
        """Spawn the server; seconds until GET / first answered 200."""
        with self.log_path.open("wb") as log:
            began = time.perf_counter()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "node", "serve", "--config", str(self.config_path)],
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        deadline = began + START_TIMEOUT_S
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"the server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                status, _ = get(self.port, "/", timeout=2.0)
            except OSError:
                time.sleep(0.01)
                continue
            if status == 200:
                took = time.perf_counter() - began
                self.pid = server_pid(self.process.pid, self.port)
                return took
            raise BenchError(f"GET / answered {status} at start-up:\n{self.log_tail()}")
        raise BenchError(f"the server did not answer within {START_TIMEOUT_S:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT_S)


# --- load ----------------------------------------------------------------------------------


@dataclass
class PageRun:
    name: str
    path: str
    result: dict[str, Any]
    server_cpu_percent: float  # of one core, over warm-up + measured time
    server_wait_percent: float  # time the event loop was runnable but had no core (a busy machine)
    load_cpu_percent: float  # the load generator's, likewise
    server_cpu_ms: float  # server CPU time per answered request (warm-up included): robust on a busy machine
    rss_end_kb: int
    rss_sampled_max_kb: int


def run_load(server: Server, name: str, path: str, cookie: str = "") -> PageRun:
    """bench/load.py against one path, sampling the server's VmRSS while it runs."""
    command = [
        sys.executable, str(BENCH / "load.py"), "--host", HOST, "--port", str(server.port), "--path", path,
        "--clients", str(CLIENTS), "--warmup", str(WARMUP_S), "--duration", str(DURATION_S),
        "--max-requests", str(MAX_REQUESTS), "--cookie", cookie,
    ]
    cpu_before, wait_before, wall_before = cpu_seconds(server.pid), runqueue_seconds(server.pid), time.perf_counter()
    sampled = 0
    load = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = wall_before + WARMUP_S + DURATION_S + 60
        while load.poll() is None:
            if server.process is None or server.process.poll() is not None:
                raise BenchError(f"the server exited during the load on {path}:\n{server.log_tail()}")
            sampled = max(sampled, proc_status(server.pid).get("VmRSS", 0))
            if time.perf_counter() > deadline:
                raise BenchError(f"the load generator did not finish for {path}")
            time.sleep(0.2)
        out, err = load.communicate()
    finally:
        if load.poll() is None:
            load.kill()
            load.wait()
    cpu = cpu_seconds(server.pid) - cpu_before
    waited = runqueue_seconds(server.pid) - wait_before
    wall = time.perf_counter() - wall_before
    if load.returncode != 0:
        raise BenchError(f"the load generator failed for {path} (exit {load.returncode}):\n{err.strip()[-2000:]}")
    status = proc_status(server.pid)
    result = json.loads(out)
    return PageRun(
        name=name, path=path, result=result, server_cpu_percent=100 * cpu / wall,
        server_wait_percent=100 * waited / wall, load_cpu_percent=100 * result["loadgen_cpu_s"] / wall,
        server_cpu_ms=1000 * cpu / max(1, result["requests"] + result["warmup_requests"]),
        rss_end_kb=status["VmRSS"], rss_sampled_max_kb=max(sampled, status["VmRSS"]),
    )


# --- the report ------------------------------------------------------------------------------


@dataclass
class Report:
    machine: list[tuple[str, str]] = field(default_factory=list)
    setup: list[tuple[str, str]] = field(default_factory=list)
    memory: list[tuple[str, str]] = field(default_factory=list)
    pages: list[PageRun] = field(default_factory=list)
    targets: list[tuple[str, str, str, bool]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def mb(kb: int) -> str:
    return f"{kb * 1024 / MB:.1f} MB"


def pairs(rows: list[tuple[str, str]]) -> list[str]:
    width = max((len(label) for label, _ in rows), default=0)
    return [f"  {label:<{width}}  {value}" for label, value in rows]


def render(report: Report) -> str:
    lines = ["Meent page benchmark", "", "Machine", *pairs(report.machine), "", "Set-up", *pairs(report.setup)]
    lines += ["", "Start-up and memory (server process)", *pairs(report.memory)]
    header = ("page", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "server CPU",
              "waited for CPU", "load CPU", "CPU ms/req")
    table = [header]
    for page in report.pages:
        r = page.result
        table.append((
            f"{page.name} {page.path}", str(r["requests"]), str(r["errors"]), f"{r['requests_per_s']:.1f}",
            f"{r['p50_ms']:.1f}", f"{r['p95_ms']:.1f}", f"{r['p99_ms']:.1f}", f"{r['max_ms']:.1f}",
            f"{page.server_cpu_percent:.0f} %", f"{page.server_wait_percent:.0f} %", f"{page.load_cpu_percent:.0f} %",
            f"{page.server_cpu_ms:.2f}",
        ))
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines += ["", f"Load: {CLIENTS} concurrent keep-alive clients per page, {WARMUP_S:g} s warm-up, then "
                  f"{DURATION_S:g} s or {MAX_REQUESTS} requests measured (bench/load.py, its own process);",
              "      CPU figures are % of one core over warm-up + measurement; CPU ms/req: the server's CPU time per "
              "answer (warm-up included), which a busy machine disturbs least"]
    for row in table:
        cells = [row[0].ljust(widths[0])] + [cell.rjust(widths[i]) for i, cell in enumerate(row) if i > 0]
        lines.append("  " + "  ".join(cells))
    lines += ["", "Targets"]
    target_rows = [("figure", "measured", "target", "result")] + [
        (label, value, target, "PASS" if ok else "MISS") for label, value, target, ok in report.targets
    ]
    widths = [max(len(row[i]) for row in target_rows) for i in range(4)]
    for row in target_rows:
        lines.append("  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    if report.notes:
        lines += ["", *[f"Note: {note}" for note in report.notes]]
    return "\n".join(lines)


# --- the run --------------------------------------------------------------------------------


def bench(server: Server, report: Report) -> None:
    data_dir, port = server.config_path.parent, server.port
    report.machine += [
        ("nproc", f"{len(os.sched_getaffinity(0))} (os.cpu_count {os.cpu_count()})"),
        ("CPU", cpu_model()),
        ("Python", f"{platform.python_implementation()} {platform.python_version()} ({sys.executable})"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("load average", " ".join(f"{x:.2f}" for x in os.getloadavg()) + " (1, 5, 15 min, before the run)"),
        ("data folder", f"{data_dir} on {filesystem_of(data_dir.parent)}"),
    ]
    began = time.perf_counter()
    password = "bench-" + os.urandom(9).hex()
    run_python(["-m", "node", "init", "--data-dir", str(data_dir), "--domain", f"{HOST}:{port}",
                "--admin", ADMIN, "--password", password, "--name", "Gemeente Bench"], "meent init")
    allow_private_addresses(server.config_path)
    seeded = json.loads(run_python([str(BENCH / "content.py"), "--config", str(server.config_path), "--admin", ADMIN,
                                    "--long-replies", str(LONG_REPLIES)], "seeding"))
    topic_path = f"/groups/{seeded['group_slug']}/topics/{seeded['topic_id']}"
    long_path = f"/groups/{seeded['group_slug']}/topics/{seeded['long_topic_id']}"
    last_page = page_count(LONG_REPLIES)  # pages count replies; the opening post is above page 1
    report.setup += [
        ("content", f"{seeded['members']} members, {seeded['groups']} groups, {seeded['topics'] + 1} topics with "
                    f"{seeded['replies'] + LONG_REPLIES} replies, {seeded['blog_posts']} blog posts "
                    f"(init + seeding {time.perf_counter() - began:.1f} s)"),
        ("topic page", f"{topic_path}: {seeded['big_replies']} replies, {seeded['big_top_level']} to the topic, "
                       f"nested up to {seeded['big_max_depth']} levels"),
        ("long topic", f"{long_path}: {LONG_REPLIES} replies, {PAGE_SIZE} replies a page, so page {last_page} is "
                       "the last"),
    ]

    base = f"http://{HOST}:{port}"
    actor_port = free_port()
    actors = ActorServer(actor_port, make_senders(f"http://{HOST}:{actor_port}", INBOX_SENDERS))
    inbox_count = int(INBOX_RATE * (WARMUP_S + DURATION_S + 5))
    requests_path = data_dir.parent / "inbox.bin"
    reply_to = f"{base}/posts/{seeded['small_topic_id']}"
    write_requests(requests_path, presign(f"{base}/inbox", actors.senders, f"{base}/users/{ADMIN}",
                                          f"{ADMIN}@{HOST}:{port}", inbox_count, workers=1, in_reply_to=reply_to))
    actors.start()
    try:
        startup = server.start()
        status, page = get(port, topic_path)  # the one warm-up request
        if status != 200:
            raise BenchError(f"{topic_path} answered {status}")
        shown = len(set(POST_ANCHOR.findall(page)))
        expected = 1 + min(PAGE_SIZE, seeded["big_replies"])  # the opening post and page 1's replies
        if shown != expected:
            report.notes.append(f"the topic page shows {shown} posts, not {expected}")
        _, home = get(port, "/")
        time.sleep(1.0)  # let the interpreter settle before reading idle memory
        idle = proc_status(server.pid)
        cookie = log_in(port, ADMIN, password)
        status, member_home = get(port, "/", cookie=cookie)
        if status != 200 or b'action="/logout"' not in member_home:
            raise BenchError(f"the member's home page answered {status}, or not signed in")
        sizes = {}
        for label, path in (("long page 1", f"{long_path}?page=1"), (f"long page {last_page}",
                                                                       f"{long_path}?page={last_page}")):
            status, body = get(port, path)
            if status != 200:
                raise BenchError(f"{path} answered {status}")
            sizes[label] = f"{len(body) / 1000:.0f} kB, {len(set(POST_ANCHOR.findall(body)))} posts"
        report.setup += [
            ("server", f"pid {server.pid}: {command_line(server.pid)} (uvicorn on {HOST}:{port})"),
            ("page sizes", f"topic {len(page) / 1000:.0f} kB, home {len(home) / 1000:.0f} kB, member home "
                           f"{len(member_home) / 1000:.0f} kB ({'with' if b'meent-badge' in member_home else 'no'} "
                           "unread badge), " + ", ".join(f"{k} {v}" for k, v in sizes.items())),
            ("member", f"{ADMIN}, signed in through POST /login; the load sends its session cookie"),
            ("inbox traffic", f"{INBOX_RATE:g} signed Create(Note)/s from {INBOX_SENDERS} remote actors on "
                              f"127.0.0.1:{actor_port}, replies to {reply_to} (bench/inbox_steady.py)"),
        ]

        loads = (("topic", topic_path, ""), ("long, first page", f"{long_path}?page=1", ""),
                 ("long, last page", f"{long_path}?page={last_page}", ""), ("home, visitor", "/", ""),
                 ("home, member", "/", cookie))
        for name, path, with_cookie in loads:
            report.pages.append(run_load(server, name, path, with_cookie))
        traffic = subprocess.Popen(
            [sys.executable, str(BENCH / "inbox_steady.py"), "--requests", str(requests_path), "--port", str(port),
             "--rate", str(INBOX_RATE), "--duration", str(WARMUP_S + DURATION_S + 5)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            report.pages.append(run_load(server, "topic, inbox traffic", topic_path))
        finally:
            traffic.terminate()
            out, err = traffic.communicate(timeout=30)
        if traffic.returncode != 0:
            raise BenchError(f"the inbox traffic failed (exit {traffic.returncode}):\n{err.strip()[-2000:]}")
        sent = json.loads(out)
        stored = query_one(server.config_path.parent / "meent.db",
                           "SELECT count(*) FROM posts WHERE topic_id = ? AND kind = 'reply'",
                           (seeded["small_topic_id"],))
        report.setup.append(("inbox traffic, done", f"{sent['accepted']} answered 202 ({sent['per_s']:.1f}/s), "
                                                    f"{sent['errors']} errors; the topic now holds {stored} replies"))
        if sent["errors"] or not sent["accepted"]:
            report.notes.append(f"inbox traffic: {sent['accepted']} accepted, {sent['errors']} errors "
                                + "; ".join(sent["error_samples"]))
        peak = proc_status(server.pid)
    finally:
        actors.stop()

    report.memory += [
        ("start-up (spawn to first 200 on /)", f"{startup:.2f} s"),
        ("idle VmRSS (after start-up + 1 request)", mb(idle["VmRSS"])),
        ("idle VmHWM (peak so far, before any load)", mb(idle["VmHWM"])),
        *[(f"VmRSS at end of {p.name} load (max sampled)", f"{mb(p.rss_end_kb)} ({mb(p.rss_sampled_max_kb)})")
          for p in report.pages],
        ("peak VmHWM (whole run)", mb(peak["VmHWM"])),
    ]
    report.targets += [
        (f"{run.name} p95 at {CLIENTS} clients", f"{run.result['p95_ms']:.1f} ms", f"< {TOPIC_P95_TARGET_MS:g} ms",
         run.result["p95_ms"] < TOPIC_P95_TARGET_MS) for run in report.pages
    ]
    report.targets.append(("idle memory (VmRSS)", mb(idle["VmRSS"]), f"< {IDLE_RSS_TARGET_MB:g} MB",
                           idle["VmRSS"] * 1024 < IDLE_RSS_TARGET_MB * MB))
    for run in report.pages:
        if run.result["errors"]:
            report.notes.append(f"{run.result['errors']} failed requests on {run.path}, e.g. "
                                + "; ".join(run.result["error_samples"]))
        if run.result["requests"] == 0:
            report.notes.append(f"no request to {run.path} completed in the measured window")


def query_one(db_path: Path, sql: str, params: tuple[Any, ...] = ()) -> Any:
    """One value, read through a connection of our own (read-only)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main() -> int:
    signal.signal(signal.SIGTERM, _terminate)
    workdir = Path(tempfile.mkdtemp(prefix="meent-bench-"))
    report = Report()
    server = Server(config_path=workdir / "node" / "config.toml", port=free_port(), log_path=workdir / "server.log")
    try:
        bench(server, report)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (BenchError, OSError, subprocess.SubprocessError, ValueError, KeyError) as error:
        print(f"bench: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(render(report), flush=True)
    if any(run.result["errors"] or not run.result["requests"] for run in report.pages):
        return 2
    return 0 if all(ok for *_, ok in report.targets) else 1


if __name__ == "__main__":
    sys.exit(main())

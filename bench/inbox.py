"""Inbox benchmark: signed Create(Note) activities a real node accepts per second, and processes per
second, beside a bare reference.

    cd /work/main && .venv/bin/python bench/inbox.py

1. `meent init` a node on 127.0.0.1 (allow_private_addresses = true, checked), `meent user add anne`.
2. Five remote actors with their own RSA-2048 keys; their actor documents are served by a small server
   on another 127.0.0.1 port (a thread of this process, idle while measuring), so the node fetches and
   caches their keys on first contact, with a signed GET, as from any fediverse server.
3. Pre-signed traffic (bench/inbox_traffic.py): Create(Note) activities to anne, each with a unique id
   and Note id on its actor's origin, signed with federation.signatures.sign for POST /inbox on the node,
   written to a file before anything is measured, so the load generator's CPU goes to sending.
4. Two servers, both served as `meent serve` serves (uvicorn, uvloop, httptools, no access log, 127.0.0.1):
   the node (`meent serve`) and the reference (bench/inbox_reference.py: a bare Starlette endpoint that
   parses the JSON, verifies the one signature with `cryptography` and inserts one row into SQLite, WAL
   and synchronous=FULL as our inbox, before answering 202).
5. bench/inbox_load.py in a second process: 20 keep-alive senders; 2 s warm-up per server (the node's
   first contact: its key fetches), then 10 rounds of 1 s measured per server in ABBA order, so that a
   noisy machine weighs on both alike: 10 s measured each (less if the pre-signed activities run out).
   Each activity goes to one server only; the reference gets the node's bytes as they are (its Host
   header included, which it verifies like any other signed header). Every answer must be 202.
   The server not in a phase is stopped (SIGSTOP) meanwhile: the node's worker can neither catch up
   during the reference's phases nor take the reference's CPU, so each is measured alone.
6. Processing (bench/inbox_backlog.py): the node's inbox worker runs in the node's process and competes
   for its core. Afterwards, from the rows' own timestamps (state, received_at, processed_at): the rows
   that became `done` within the node's measured phases (processed/s, beside accepted/s), between
   them (none: the node is stopped then), and the backlog (received, not finished) at the end of
   each of the node's phases and when the load stopped. Then the node, no longer loaded, drains the
   backlog: the time from the load's stop until the last row was processed (bound: 180 s).
7. The servers are stopped and their `inbox` rows counted: they must equal the 202 answers of the whole
   run (durability check).
8. The figures and the targets (issue 8): accepted/s >= 1,000; accepted/s >= 1.5 x the reference's;
   processed/s >= accepted/s in the node's measured phases, judged by what it means: the backlog does
   not grow from the first measured phase's start to the last one's end, beyond the rows that are in
   flight even when the worker keeps up (its 32 places and the 20 senders' requests). The rates alone
   would miss by the rows accepted in each phase's last moments and done just after it.

Only 127.0.0.1. Exit status: 0 all targets met, 1 a target missed, 2 the benchmark could not run (or
requests failed, or rows and answers differ), 130 interrupted. Servers are stopped and the folder
removed in every case.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.inbox_backlog import Drain, Processing, drain, processing  # noqa: E402  (after the path is set)
from bench.inbox_reference import Reference  # noqa: E402
from bench.inbox_traffic import ActorServer, make_senders, presign, write_requests  # noqa: E402
from bench.pages import (  # noqa: E402
    START_TIMEOUT_S,
    BenchError,
    Server,
    allow_private_addresses,
    command_line,
    cpu_model,
    cpu_seconds,
    filesystem_of,
    free_port,
    pairs,
    run_python,
)

BENCH = Path(__file__).resolve().parent
HOST = "127.0.0.1"
ADMIN, MEMBER = "beheerder", "anne"
SENDERS = 5
CLIENTS = 20
WARMUP_S = 2.0
ROUNDS = 10
PHASE_S = 1.0
POOL = 80_000  # pre-signed activities, shared: each goes to one server
TIMEOUT_S = 10.0
RATE_TARGET = 1_000.0
RATIO_TARGET = 1.5
# Rows that are received but cannot be done yet at any moment, even when the worker keeps up: the
# worker's places (InboxWorker's concurrency, federation/inbox_worker.py) and the senders' requests.
IN_FLIGHT = 32 + CLIENTS
DRAIN_BOUND_S = 180.0
NODE, REFERENCE = "node", "reference"


# --- load -------------------------------------------------------------------------------------------


def machine_busy() -> tuple[float, float]:
    """Seconds of CPU used by everything, and seconds elapsed on all cores together (/proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = fields
    busy = user + nice + system + irq + softirq + steal
    tick = os.sysconf("SC_CLK_TCK")
    return busy / tick, (busy + idle + iowait) / tick


def our_cpu() -> float:
    """CPU time of this process (the actor server's thread) and of its children that have ended."""
    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                  resource.getrusage(resource.RUSAGE_CHILDREN)))


def run_load(requests_path: Path, targets: dict[str, tuple[int, subprocess.Popen[bytes]]]) -> dict[str, Any]:
    """bench/inbox_load.py against the targets (name -> (port, server process)); its JSON, plus the CPU time
    the rest of the machine (other processes than these) used meanwhile."""
    command = [sys.executable, str(BENCH / "inbox_load.py"), "--requests", str(requests_path), "--clients",
               str(CLIENTS), "--warmup", str(WARMUP_S), "--rounds", str(ROUNDS), "--phase", str(PHASE_S),
               "--timeout", str(TIMEOUT_S), "--freeze"]
    for name, (port, process) in targets.items():
        command += ["--target", f"{name}={port}:{process.pid}"]
    load = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert load.stdout is not None
        ready, _, _ = select.select([load.stdout], [], [], START_TIMEOUT_S)
        if not ready or load.stdout.readline().strip() != "ready":
            raise BenchError(f"the load generator did not start: {load.stderr.read() if load.stderr else ''}")
        busy_before, total_before = machine_busy()
        ours_before = sum(cpu_seconds(process.pid) for _, process in targets.values()) + our_cpu()
        phases = len(targets) * (ROUNDS * PHASE_S + WARMUP_S)
        deadline = time.perf_counter() + phases + len(targets) * (ROUNDS + 1) * (TIMEOUT_S + 2) + 30
        while load.poll() is None:
            for name, (_, process) in targets.items():
                if process.poll() is not None:
                    raise BenchError(f"the {name} server exited during the load")
            if time.perf_counter() > deadline:
                raise BenchError("the load generator did not finish")
            time.sleep(0.1)
        out, err = load.communicate()
    finally:
        if load.poll() is None:
            load.kill()
            load.wait()
        for _, process in targets.values():  # a server the killed load generator left stopped goes on
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
    if load.returncode != 0:
        raise BenchError(f"the load generator failed (exit {load.returncode}):\n{err.strip()[-2000:]}")
    busy, total = machine_busy()
    ours = sum(cpu_seconds(process.pid) for _, process in targets.values()) + our_cpu() - ours_before
    result: dict[str, Any] = json.loads(out)
    result["machine"] = {"busy_s": busy - busy_before, "core_s": total - total_before, "ours_s": ours}
    return result


def query(db_path: Path, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...]:
    """One row, read-only (the node may still be running: WAL lets a reader in beside its writer)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    try:
        return tuple(conn.execute(sql, params).fetchone())
    finally:
        conn.close()


# --- the report -------------------------------------------------------------------------------------


@dataclass
class Report:
    machine: list[tuple[str, str]] = field(default_factory=list)
    setup: list[tuple[str, str]] = field(default_factory=list)
    load: dict[str, Any] = field(default_factory=dict)
    checks: list[tuple[str, str]] = field(default_factory=list)
    targets: list[tuple[str, str, str, bool]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    processing: Processing = field(default_factory=Processing)
    drain: Drain | None = None
    failed: bool = False  # errors, or rows and answers differ: the figures cannot be trusted


def table(rows: list[tuple[str, ...]], right: bool = True) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [c.rjust(widths[i]) if right else c.ljust(widths[i])
                                             for i, c in enumerate(row) if i > 0]
        lines.append("  " + "  ".join(cells).rstrip())
    return lines


def load_table(report: Report) -> list[str]:
    labels = {NODE: "Meent node, POST /inbox", REFERENCE: "reference, bare Starlette"}
    rows: list[tuple[str, ...]] = [("server", "accepted/s", "processed/s", "measured", "seconds", "errors",
                                    "p50 ms", "p95 ms", "p99 ms", "max ms", "server CPU", "waited for CPU",
                                    "load CPU", "disk/202")]
    for name, r in report.load["targets"].items():
        disk = r["written_bytes"] / 1000 / max(r["answered_202"], 1)
        processed = f"{report.processing.per_s:.0f}" if name == NODE else "-"
        rows.append((labels[name], f"{r['requests_per_s']:.0f}", processed, str(r["requests"]), f"{r['seconds']:.1f}",
                     str(r["errors"]), f"{r['p50_ms']:.1f}", f"{r['p95_ms']:.1f}", f"{r['p99_ms']:.1f}",
                     f"{r['max_ms']:.1f}", f"{r['server_cpu_percent']:.0f} %", f"{r['server_wait_percent']:.0f} %",
                     f"{r['load_cpu_percent']:.0f} %", f"{disk:.1f} kB"))
    return [
        "", f"Load: {CLIENTS} concurrent keep-alive senders in a second process (bench/inbox_load.py); per server "
            f"{WARMUP_S:g} s warm-up, then {ROUNDS} x {PHASE_S:g} s measured,",
        "      the servers taking turns (ABBA): " + ", ".join(report.load["schedule"][:6]) + ", ...;",
        "      accepted = answered 202 (after storing); processed = the node's inbox rows that became done in "
        "those seconds;",
        "      CPU: % of one core over the server's own phases, warm-up "
        "included;",
        "      waited for CPU: its event loop was runnable but had no core; disk: bytes written (/proc/PID/io) per 202",
        *table(rows),
        "  accepted/s in each measured phase: " + "; ".join(
            f"{name} {', '.join(map(str, r['phase_rates']))}" for name, r in report.load["targets"].items()),
    ]


def processing_table(report: Report) -> list[str]:
    work, ours = report.processing, report.load["targets"][NODE]
    rows: list[tuple[str, ...]] = [("window", "seconds", "accepted", "accepted/s", "processed", "processed/s",
                                    "backlog at its end")]
    rows.append(("the node's measured phases", f"{work.seconds:.1f}", str(ours["requests"]),
                 f"{ours['requests_per_s']:.0f}", str(work.done), f"{work.per_s:.0f}",
                 str(work.backlogs[-1] if work.backlogs else 0)))
    rows.append(("between them (node stopped)", f"{work.seconds_elsewhere:.1f}", "0", "0",
                 str(work.done_elsewhere), f"{work.per_s_elsewhere:.0f}", "-"))
    if report.drain is not None:
        gone = report.drain
        rate = f"{gone.per_s:.0f}" if gone.seconds >= 1 else "-"  # a few rows: no rate to speak of
        rows.append(("after the load stopped (drain)", f"{gone.seconds:.1f}", "0", "0", str(gone.done_after),
                     rate, str(gone.left)))
    return [
        "", "Processing: the node's inbox worker, in the node's process (rows that became done, counted from their "
            "processed_at;",
        "      backlog = received and not finished; the load generator's phase bounds and the node share the "
            "clock)",
        *table(rows),
        "  processed/s in each measured node phase: " + ", ".join(f"{rate:.0f}" for rate in work.phase_rates),
        f"  backlog when the first measured phase began: {work.backlog_at_start}; at the end of each node phase: "
        + ", ".join(map(str, work.backlogs))
        + f"; when the load stopped: {work.backlog_at_stop}",
    ]


def render(report: Report) -> str:
    lines = ["Meent inbox benchmark", "", "Machine", *pairs(report.machine), "", "Set-up", *pairs(report.setup)]
    lines += load_table(report)
    lines += processing_table(report)
    lines += ["", "Durability and the worker", *pairs(report.checks)]
    lines += ["", "Targets", *table([("figure", "measured", "target", "result")] + [
        (label, value, target, "PASS" if ok else "MISS") for label, value, target, ok in report.targets
    ], right=False)]
    if report.notes:
        lines += ["", *[f"Note: {note}" for note in report.notes]]
    return "\n".join(lines)


# --- the run ----------------------------------------------------------------------------------------


def machine(report: Report, workdir: Path) -> None:
    report.machine += [
        ("nproc", f"{len(os.sched_getaffinity(0))} (os.cpu_count {os.cpu_count()})"),
        ("CPU", cpu_model()),
        ("Python", f"{platform.python_implementation()} {platform.python_version()} ({sys.executable})"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("load average", " ".join(f"{x:.2f}" for x in os.getloadavg()) + " (1, 5, 15 min, before the run)"),
        ("data folder", f"{workdir} on {filesystem_of(workdir)}"),
    ]


def make_node(data_dir: Path, port: int, password: str) -> Path:
    """`meent init` and `meent user add`; returns the config, with allow_private_addresses checked."""
    run_python(["-m", "node", "init", "--data-dir", str(data_dir), "--domain", f"{HOST}:{port}", "--admin", ADMIN,
                "--password", password, "--name", "Gemeente Bench"], "meent init")
    config = data_dir / "config.toml"
    allow_private_addresses(config)
    run_python(["-m", "node", "user", "add", MEMBER, "--password", password, "--config", str(config)],
               "meent user add")
    return config


def prepare(report: Report, workdir: Path, server: Server, reference: Reference, actors: ActorServer) -> Path:
    """The node's folder, the signed activities (in a file) and the reference's keys."""
    began = time.perf_counter()
    config = make_node(server.config_path.parent, server.port, "bench-" + os.urandom(9).hex())
    base = f"http://{HOST}:{server.port}"
    report.setup.append(("node data", f"{config.parent} (meent init + user add {MEMBER}: "
                                      f"{time.perf_counter() - began:.1f} s; allow_private_addresses = true)"))
    began = time.perf_counter()
    requests = presign(f"{base}/inbox", actors.senders, f"{base}/users/{MEMBER}", f"{MEMBER}@{HOST}:{server.port}",
                       POOL, workers=max(1, len(os.sched_getaffinity(0))))
    signing = time.perf_counter() - began
    requests_path = workdir / "requests.bin"
    write_requests(requests_path, requests)
    reference.keys_path.write_text(json.dumps({s.key_id: s.public_pem for s in actors.senders}))
    origin = f"http://{HOST}:{actors.port}"
    report.setup += [
        ("senders", f"{SENDERS} remote actors {origin}/users/sender0..{SENDERS - 1} (RSA-2048); their actor "
                    "documents served by a thread of this process"),
        ("activities", f"{POOL} public Create(Note), cc {base}/users/{MEMBER} with a Mention, "
                       f"ids {origin}/activities/N; "
                       f"signed beforehand (federation.signatures.sign) in {signing:.1f} s, "
                       f"{sorted(map(len, requests))[len(requests) // 2]} bytes a request (median)"),
    ]
    return requests_path


def count_node(report: Report, server: Server, actors: ActorServer, load: dict[str, Any]) -> None:
    """After the load: the worker's progress from the rows' timestamps, then its drain (node running,
    no load), then the rows once the node has stopped."""
    db_path = server.config_path.parent / "meent.db"
    ours = load["targets"][NODE]
    windows = [(float(start), float(end)) for start, end in ours["windows"]]
    report.processing = processing(db_path, windows, load["ended_at"])
    report.drain = gone = drain(db_path, load["ended_at"], DRAIN_BOUND_S)
    server.stop()
    stored, posts, notes = query(
        db_path, "SELECT (SELECT count(*) FROM inbox), (SELECT count(*) FROM posts WHERE uri LIKE ?),"
                 " (SELECT count(*) FROM notifications)", (f"http://{HOST}:{actors.port}/%",))
    answered = ours["answered_202"]
    drained = (f"all processed {gone.seconds:.1f} s after the load stopped" if not gone.left else
               f"NOT drained: {gone.left} still pending {gone.seconds:.0f} s after the load stopped")
    report.checks += [
        ("node: inbox rows after stop / its 202s", f"{stored} / {answered} "
         + ("(equal: every 202 was stored)" if stored == answered else "(DIFFER)")),
        ("node: drain", f"{report.processing.backlog_at_stop} received and not finished when the load stopped; "
                        f"{drained}" + (f" ({gone.per_s:.0f}/s meanwhile)" if gone.seconds >= 1 else "")),
        ("node: rows by state at the end", ", ".join(f"{k} {v}" for k, v in sorted(gone.states.items()))
         + f"; {posts} posts and {notes} notifications made"),
        ("node: key fetches", f"{actors.gets} GETs of actor documents ({actors.signed_gets} signed) for {SENDERS} "
                              "actors" + (f"; unknown paths {actors.misses[:3]}" if actors.misses else "")),
    ]
    if stored != answered:
        report.failed = True
    if gone.states.get("refused") or gone.states.get("failed"):
        report.notes.append("some rows were refused or failed: they do not count as processed; the node's log says "
                            "why")


def count_reference(report: Report, reference: Reference, answered: int) -> None:
    reference.stop()
    (stored,) = query(reference.db_path, "SELECT count(*) FROM inbox")
    report.checks.append(("reference: rows after stop / its 202s",
                          f"{stored} / {answered} " + ("(equal)" if stored == answered else "(DIFFER)")))
    if stored != answered:
        report.failed = True


def bench(report: Report, workdir: Path, server: Server, reference: Reference, actors: ActorServer) -> None:
    machine(report, workdir)
    requests_path = prepare(report, workdir, server, reference, actors)
    actors.start()
    server.start()
    reference.start()
    assert server.process is not None and reference.process is not None
    report.setup += [
        ("node", f"pid {server.pid}: {command_line(server.pid)} (127.0.0.1:{server.port})"),
        ("reference", f"pid {reference.pid}: {command_line(reference.pid)}"),
    ]
    report.load = run_load(requests_path, {NODE: (server.port, server.process),
                                           REFERENCE: (reference.port, reference.process)})
    ours, ref = report.load["targets"][NODE], report.load["targets"][REFERENCE]
    count_node(report, server, actors, report.load)
    count_reference(report, reference, ref["answered_202"])
    report.checks.append(("CPU beside the other's phases", f"node {ours['idle_cpu_s']:.2f} s during the "
                          f"reference's, reference {ref['idle_cpu_s']:.2f} s during the node's"))
    used = report.load["machine"]
    others = max(0.0, used["busy_s"] - used["ours_s"])
    report.machine.append(("during the load", f"all cores {100 * used['busy_s'] / used['core_s']:.0f} % busy; "
                           f"other processes than the bench's used {others:.1f} s of CPU in "
                           f"{used['core_s'] / len(os.sched_getaffinity(0)):.1f} s "
                           f"({100 * others / used['core_s']:.0f} % of the machine)"))
    finish(report)


def finish(report: Report) -> None:
    ours, ref = report.load["targets"][NODE], report.load["targets"][REFERENCE]
    work = report.processing
    ratio = ours["requests_per_s"] / ref["requests_per_s"] if ref["requests_per_s"] else 0.0
    report.targets += [
        ("Meent accepted/s", f"{ours['requests_per_s']:.0f}/s", f">= {RATE_TARGET:,.0f}/s",
         ours["requests_per_s"] >= RATE_TARGET),
        ("Meent / reference", f"{ours['requests_per_s']:.0f} / {ref['requests_per_s']:.0f} = {ratio:.2f}",
         f">= {RATIO_TARGET:g}", ratio >= RATIO_TARGET),
        ("Meent processed/s, under load", f"{work.per_s:.0f}/s beside {ours['requests_per_s']:.0f}/s accepted; "
         f"backlog {work.backlog_at_start} -> {work.backlogs[-1] if work.backlogs else 0}",
         f">= accepted/s: the backlog grows by <= {IN_FLIGHT} (in flight)", work.growth <= IN_FLIGHT),
    ]
    report.notes += [
        "both servers store every activity durably before they answer 202: SQLite in WAL mode with "
        "synchronous=FULL (storage/db.py; the reference opens its file the same way); the reference commits "
        "each row alone, the node the rows of concurrent requests together (federation/inbox.py GroupCommit).",
        "the reference does less than the node by design: no Digest, Date, origin, policy or dedupe check, keys "
        "held in memory (no actor cache), no middleware, no inbox worker; it gets the very bytes signed for the "
        "node (Host header included).",
        "the node's inbox worker runs in the node's process: its processing competes with receiving for the core; "
        "processed/s counts only the node's own measured phases; the server not being measured is stopped "
        "(SIGSTOP), so the node cannot catch up meanwhile.",
    ]
    if not all(ok for *_, ok in report.targets):
        report.notes.append("where the node's time goes: py-spy record --pid NODE_PID while this runs (the node "
                            "pid above), or in-process .venv/bin/python bench/profile_inbox.py")
    if report.load["ran_out"]:
        report.notes.append(f"the {report.load['pool']} pre-signed activities ran out: fewer seconds were measured")
    for name, r in report.load["targets"].items():
        if r["errors"] or r["unanswered"] or not r["requests"]:
            report.failed = True
            report.notes.append(f"{name}: {r['errors']} errors, {r['unanswered']} without answer, {r['requests']} "
                                f"measured; statuses {r['statuses']}; e.g. " + "; ".join(r["error_samples"]))


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main() -> int:
    signal.signal(signal.SIGTERM, _terminate)
    workdir = Path(tempfile.mkdtemp(prefix="meent-bench-inbox-"))
    report = Report()
    server = Server(config_path=workdir / "node" / "config.toml", port=free_port(), log_path=workdir / "server.log")
    reference = Reference(port=free_port(), db_path=workdir / "reference.db", keys_path=workdir / "keys.json",
                          log_path=workdir / "reference.log")
    actors: ActorServer | None = None
    try:
        actor_port = free_port()
        actors = ActorServer(actor_port, make_senders(f"http://{HOST}:{actor_port}", SENDERS))
        bench(report, workdir, server, reference, actors)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (BenchError, OSError, subprocess.SubprocessError, ValueError, KeyError) as error:
        print(f"bench: {type(error).__name__}: {error}", file=sys.stderr)
        if server.process is not None:
            print(server.log_tail(), file=sys.stderr)
        return 2
    finally:
        server.stop()
        reference.stop()
        if actors is not None:
            actors.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(render(report), flush=True)
    if report.failed:
        return 2
    return 0 if all(ok for *_, ok in report.targets) else 1


if __name__ == "__main__":
    sys.exit(main())

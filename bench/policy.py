"""Policy benchmark: what subscribed block and allow lists cost every inbox request and every delivery.

    cd /work/main && .venv/bin/python bench/policy.py

Every accepted activity asks `FederationPolicy.allows_actor` once or more, and every delivery asks
`allows`: with a shared list of 10,000 domains and more, a check that walked the list would cost
milliseconds on each. The bench fills the run-time rules with N block-list domains, N limit-list
domains and N allow-list domains (N = 10,000, the cap of one list, then 3 x 10,000) and times
`allows_actor` on 20,000 actor URLs none of the lists names (the common case: a full walk for a
naive check) and on 20,000 that one list names. Target: at most 50 us a check with 30,000 entries,
and at most 3x the cost with no rules at all (so the lists add lookups, not a walk). Pure Python,
no I/O. Exit status 0: targets met; 1: a target missed.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from federation.policy import FederationPolicy, Rules  # noqa: E402

CHECKS = 20_000
TARGET_US = 50.0
TARGET_RATIO = 3.0


def per_check_us(policy: FederationPolicy, uris: list[str]) -> float:
    start = time.perf_counter()
    for uri in uris:
        policy.allows_actor(uri)
    return (time.perf_counter() - start) / len(uris) * 1e6


def main() -> int:
    unnamed = [f"https://host{i}.social.example/users/u{i}" for i in range(CHECKS)]
    named = [f"https://people.n{i % 10_000}.example/users/u{i}" for i in range(CHECKS)]
    policy = FederationPolicy(mode="open", allowed_domains=frozenset(), blocked_domains=frozenset(),
                              allow_private_addresses=False)
    bare = per_check_us(policy, unnamed)
    rows = [("no rules", bare, bare)]
    for lists in (1, 3):
        size = 10_000
        domains = [frozenset(f"n{i}.example" if k == 0 else f"k{k}-{i}.example" for i in range(size))
                   for k in range(3)]
        rules = Rules(list_blocked=domains[0], list_limited=domains[1] if lists == 3 else frozenset(),
                      list_allowed=domains[2] if lists == 3 else frozenset())
        policy.update(rules)
        rows.append((f"{lists * size:,} list entries, host not listed", per_check_us(policy, unnamed), bare))
        rows.append((f"{lists * size:,} list entries, host on the block list", per_check_us(policy, named), bare))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {load:.2f};"
          f" Python {platform.python_version()}; {CHECKS:,} checks each")
    print(f"{'case':<44} {'us/check':>9} {'x bare':>7}")
    worst_us, worst_ratio = 0.0, 0.0
    for name, took, base in rows:
        print(f"{name:<44} {took:>9.1f} {took / base:>7.2f}")
        worst_us, worst_ratio = max(worst_us, took), max(worst_ratio, took / base)
    met_us, met_ratio = worst_us <= TARGET_US, worst_ratio <= TARGET_RATIO
    print(f"target: <= {TARGET_US:.0f} us a check: worst {worst_us:.1f} ({'met' if met_us else 'MISSED'})")
    print(f"target: <= {TARGET_RATIO:.1f}x no rules: worst {worst_ratio:.2f}x ({'met' if met_ratio else 'MISSED'})")
    return 0 if met_us and met_ratio else 1


if __name__ == "__main__":
    sys.exit(main())

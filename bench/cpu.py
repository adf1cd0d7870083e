"""CPU seconds the processes of a phase used over a stretch of it, by role: what one update
costs each part of the machine (the servers, PostgreSQL, the load generator).

Throughput on a shared 2-core machine moves by a tenth between runs; the CPU an update costs
moves far less, so it is what tells whether a change helped."""

from __future__ import annotations

import os
import resource
from collections.abc import Mapping, Sequence
from pathlib import Path

from bench.procs import Proc, stat_cpu_seconds

Snapshot = dict[tuple[str, int], float]
"""(role, pid) -> CPU seconds so far."""

LOADGEN = "load generator"
POSTGRES = "postgresql"


def _postgres_pids() -> list[int]:
    """The local PostgreSQL server's processes (backends, WAL writer, checkpointer...)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if command.startswith((b"postgres:", b"/usr/lib/postgresql/")):
            found.append(int(entry.name))
    return found


def role(proc: Proc) -> str:
    """`server-1` (or the echo floor) -> `serve`, `work-2` -> `work`."""
    return "serve" if proc.name.startswith(("server", "echo")) else proc.name.split("-", 1)[0]


def snapshot(procs: Sequence[Proc], postgres: bool) -> Snapshot:
    taken: Snapshot = {}
    for proc in procs:
        seconds = stat_cpu_seconds(proc.pid)
        if seconds is not None:
            taken[(role(proc), proc.pid)] = seconds
    for pid in _postgres_pids() if postgres else []:
        seconds = stat_cpu_seconds(pid)
        if seconds is not None:
            taken[(POSTGRES, pid)] = seconds
    usage = resource.getrusage(resource.RUSAGE_SELF)
    taken[(LOADGEN, os.getpid())] = usage.ru_utime + usage.ru_stime
    return taken


def used(before: Mapping[tuple[str, int], float], after: Snapshot) -> dict[str, float]:
    """CPU seconds per role between two snapshots; a process born in between counts whole (a
    PostgreSQL backend opened for the burst), one that ended in between is missing."""
    by_role: dict[str, float] = {}
    for key, seconds in after.items():
        by_role[key[0]] = by_role.get(key[0], 0.0) + seconds - before.get(key, 0.0)
    return by_role

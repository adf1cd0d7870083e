"""Starting and always stopping the processes a benchmark needs: the fakes, the servers, the echo
floor. Each runs in its own process group with its output in a log file; `stop` sends SIGTERM,
then SIGKILL after a grace period, so nothing outlives the run, also on Ctrl-C or an error."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    url: str = ""
    peak_rss_kb: int = 0
    """Kept from the last read of VmHWM, so it survives the process's end."""

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def status_kb(self, field_name: str) -> int:
        """A memory figure (VmRSS, VmHWM) from /proc/<pid>/status, in KiB (0 once ended)."""
        try:
            text = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return 0
        for line in text.splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
        return 0

    def sample_peak(self) -> int:
        self.peak_rss_kb = max(self.peak_rss_kb, self.status_kb("VmHWM"))
        return self.peak_rss_kb

    def cpu_seconds(self) -> float:
        """User + system CPU time so far (0 once ended)."""
        return stat_cpu_seconds(self.pid) or 0.0

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Group:
    """The processes of one run, stopped together (last started, first stopped)."""

    logs: Path
    procs: list[Proc] = field(default_factory=list)
    started: int = 0

    def start(self, name: str, argv: Sequence[str], env: Mapping[str, str] | None = None) -> Proc:
        self.logs.mkdir(parents=True, exist_ok=True)
        self.started += 1
        log = self.logs / f"{self.started:02d}-{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [sys.executable, *argv],
                cwd=ROOT,
                env={**os.environ, **(env or {})},
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def stop(self, proc: Proc, grace: float = 30.0) -> int | None:
        """SIGTERM, then SIGKILL to its whole group after `grace` seconds; the exit code."""
        proc.sample_peak()
        if proc.alive():
            with contextlib.suppress(ProcessLookupError):
                proc.popen.send_signal(signal.SIGTERM)
            try:
                proc.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.popen.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # anything it started and left behind
        if proc in self.procs:
            self.procs.remove(proc)
        return proc.popen.returncode

    def stop_all(self, grace: float = 30.0) -> None:
        for proc in reversed(list(self.procs)):
            self.stop(proc, grace)


@contextlib.contextmanager
def group(logs: Path) -> Iterator[Group]:
    """A Group whose processes are stopped however the block ends (SIGTERM to us included)."""
    procs = Group(logs)

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield procs
    finally:
        try:
            procs.stop_all()
        finally:
            signal.signal(signal.SIGTERM, previous)


def wait_for_line(proc: Proc, prefix: str, timeout: float = 20.0) -> str:
    """The first line of the process's log starting with `prefix` (a fake prints its URL)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in proc.log.read_text(errors="replace").splitlines():
            if line.startswith(prefix):
                return line.strip()
        if not proc.alive():
            break
        time.sleep(0.05)
    raise RuntimeError(f"{proc.name} did not start:\n{proc.tail()}")


def wait_healthy(proc: Proc, url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            break
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{proc.name} did not become healthy:\n{proc.tail()}")


def start_fake(procs: Group, name: str, module: str, args: Sequence[str]) -> Proc:
    port = free_port()
    proc = procs.start(name, ["-m", module, "--port", str(port), *args])
    proc.url = wait_for_line(proc, "http://")
    return proc


def stat_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (from /proc/<pid>/stat); None once ended."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime

"""The load benchmark: `python -m bench.load` (or `make bench`).

For each configuration (sqlite: one process; pg1: PostgreSQL, one process; pg2: PostgreSQL, two
processes behind a round-robin "proxy"; pg1w and pg2w: one or two `serve --no-turns` with as many
`work` processes taking the turns) it starts fresh fakes and servers for each phase:

1. intake: N Telegram updates posted open loop; inbound msg/s sustained (until all accepted and
   processed), accept-only msg/s, webhook latency, turns/s, and the outbound pace over the
   backlog the burst leaves (then the servers are stopped: that backlog is thrown away);
2. conversations: a wave of Telegram and SMS users walking realistic conversations; time to
   reply, lost and duplicated messages, 429s;

plus, once per run, the echo floor under the same intake load, and with `--soak SECONDS` a steady
load on one configuration with its RSS sampled every 10 s. Prints a Markdown table and writes
bench/out/<timestamp>.json/.md (and latest.*). Everything runs on loopback and stops by itself.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import signal
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench import phases
from bench.procs import ROOT, Group, Proc, group
from bench.report import Figures, markdown, memory_growth, write
from bench.stack import (
    CONFIGS,
    Config,
    Probe,
    reset_postgres,
    server_env,
    start_echo,
    start_fakes,
    start_servers,
)
from bench.tracker import Tracker
from bench.users import Crowd, Poster
from bench.walk import Model
from bot import aio
from bot.settings import Settings
from tests.fakes.twilio_api import DEFAULT_AUTH_TOKEN

CLEAN_EXITS = (0, -signal.SIGTERM, None)
"""uvicorn re-raises the SIGTERM it handled once it has shut down: -15 is a clean stop."""
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
OUT = ROOT / "bench" / "out"


@dataclass
class Run:
    args: argparse.Namespace
    procs: Group
    model: Model
    session: aiohttp.ClientSession
    workdir: Path

    def rng(self, salt: str) -> random.Random:
        return random.Random(f"{self.args.seed}:{salt}")

    async def database(self, config: Config, phase: str) -> str:
        """A fresh database for one phase of one configuration."""
        if config.database == "sqlite":
            folder = self.workdir / f"{config.name}-{phase}"
            folder.mkdir(parents=True, exist_ok=True)
            return f"sqlite+aiosqlite:///{folder / 'bot.db'}"
        await reset_postgres(self.args.postgres_url)
        return str(self.args.postgres_url)

    def stop(self, servers: list[Proc], figures: Figures, phase: str, grace: float) -> None:
        """Stop the servers; keep their peak memory, CPU and a note on how they ended (after
        the intake phase a SIGKILL is expected: the backlog left is thrown away)."""
        for server in servers:
            figures.server_cpu_s[f"{phase}:{server.name}"] = round(server.cpu_seconds(), 1)
            peak = server.sample_peak() / 1024
            figures.peak_rss_per_process_mib.append(round(peak, 1))
            figures.peak_rss_mib = max(figures.peak_rss_mib or 0.0, peak)
            began = time.monotonic()
            code = self.procs.stop(server, grace)
            took = time.monotonic() - began
            if code not in CLEAN_EXITS and not (phase == "intake" and code == -signal.SIGKILL):
                figures.notes.append(
                    f"{phase}: {server.name} exited {code} after {took:.1f}s (SIGTERM, "
                    f"SIGKILL after {grace:.0f}s)"
                )
            errors = log_errors(server)
            if errors:
                figures.notes.append(
                    f"{phase}: {server.name} logged {len(errors)} errors, e.g. "
                    + " | ".join(errors[:3])
                )

    @contextlib.asynccontextmanager
    async def stack(
        self, config: Config, phase: str, figures: Figures, grace: float
    ) -> AsyncIterator[tuple[list[Proc], Tracker, Probe]]:
        """A fresh database, fakes and servers for one phase, always stopped afterwards."""
        args = self.args
        url = await self.database(config, "intake" if phase == "intake" else "talk")
        fakes = start_fakes(self.procs, args.sms_rate)
        env = server_env(url, self.workdir / f"{config.name}-data", fakes, args.sms_rate)
        servers = start_servers(self.procs, config, env)
        probe = Probe(url)
        try:
            yield servers, Tracker(self.session, fakes.telegram.url, fakes.twilio.url), probe
        finally:
            await probe.close()
            self.stop(servers, figures, phase, grace=grace)
            self.procs.stop_all()

    async def intake(self, config: Config, figures: Figures) -> None:
        args = self.args
        async with self.stack(config, "intake", figures, grace=3.0) as (servers, tracker, probe):
            updates = phases.intake_updates(self.model, args.updates, self.rng("intake"))

            async def processed() -> bool:
                return await probe.inbox_pending() == 0

            result = await phases.intake(
                servers,
                updates,
                tracker,
                processed,
                probe=probe,
                concurrency=args.concurrency,
                timeout=args.phase_limit,
                backlog_seconds=args.backlog_seconds,
            )
        fill_intake(figures, result)

    async def conversations(self, config: Config, figures: Figures) -> None:
        args = self.args
        async with self.stack(config, "conversations", figures, grace=30.0) as stack:
            servers, tracker, probe = stack
            urls = [s.url for s in servers if s.url]  # `work` processes take no requests
            poster = Poster(self.session, urls, DEFAULT_AUTH_TOKEN, args.concurrency)
            crowd = Crowd(self.model, poster, tracker, self.rng(f"talk:{config.name}"))
            result = await phases.conversations(
                crowd,
                probe,
                telegram=args.telegram_users,
                sms=args.sms_users,
                spread=args.spread,
                limit=args.phase_limit,
                drain=args.drain,
            )
            if args.soak and config.name == args.soak_config:
                await self.soak(crowd, servers, figures)
        fill_conversations(figures, result)

    async def soak(self, crowd: Crowd, servers: list[Proc], figures: Figures) -> None:
        args = self.args
        share = args.sms_users / max(1, args.sms_users + args.telegram_users)
        began, first = time.monotonic(), len(crowd.records)
        samples = await phases.soak(
            crowd, servers, seconds=args.soak, users_per_second=args.soak_rate, sms_share=share
        )
        figures.phases_s["soak"] = round(time.monotonic() - began, 1)
        soaked = phases.ConversationResult()
        phases.account(crowd.records[first:], crowd.tracker, soaked)
        p50, p99 = phases.summary(soaked.reply_times)
        figures.memory = memory_growth(samples) | {
            "users": soaked.users,
            "expected": soaked.expected,
            "lost": soaked.lost,
            "duplicated": soaked.duplicated,
            "reply_p50_s": p50,
            "reply_p99_s": p99,
            "rss_kib": samples,
        }
        memory = figures.memory
        figures.notes.append(
            f"soak {args.soak:.0f}s at {args.soak_rate}/s: {soaked.users} users, "
            f"{soaked.expected} replies expected, lost {soaked.lost}, duplicated "
            f"{soaked.duplicated}; RSS first minute {memory.get('first_minute_mib', 0):.1f} MiB, "
            f"last minute {memory.get('last_minute_mib', 0):.1f} MiB"
        )

    async def echo(self) -> Figures:
        figures = Figures("echo floor")
        fakes = start_fakes(self.procs, self.args.sms_rate)
        echo = start_echo(self.procs, fakes)
        try:
            tracker = Tracker(self.session, fakes.telegram.url, fakes.twilio.url)
            updates = phases.intake_updates(self.model, self.args.updates, self.rng("intake"))

            async def handed() -> bool:
                async with self.session.get(f"{echo.url}/_echo/stats") as response:
                    stats = await response.json()
                return int(stats["handed"]) >= len(updates)

            began = time.monotonic()
            result = await phases.intake(
                [echo],
                updates,
                tracker,
                handed,
                probe=None,
                concurrency=self.args.concurrency,
                timeout=self.args.phase_limit,
                backlog_seconds=0.0,
            )
            figures.phases_s["intake"] = round(time.monotonic() - began, 1)
        finally:
            self.stop([echo], figures, "intake", grace=5.0)
            self.procs.stop_all()
        fill_intake(figures, result)
        return figures

    async def configuration(self, config: Config) -> Figures:
        figures = Figures(config.name, processes=config.processes)
        began = time.monotonic()
        await self.intake(config, figures)
        figures.phases_s["intake"] = round(time.monotonic() - began, 1)
        began = time.monotonic()
        await self.conversations(config, figures)
        figures.phases_s["conversations"] = round(time.monotonic() - began, 1)
        return figures


def log_errors(proc: Proc) -> list[str]:
    """Lines of a server's log that report an error (without repeating the traceback)."""
    try:
        lines = proc.log.read_text(errors="replace").splitlines()
    except OSError:
        return []
    return [line.strip()[:200] for line in lines if line.startswith(("ERROR", "CRITICAL"))]


def fill_intake(figures: Figures, result: phases.IntakeResult) -> None:
    figures.updates = result.updates
    if result.accept_seconds and result.accepted == result.updates:
        figures.accepted_per_s = result.updates / result.accept_seconds
    if result.done_seconds and result.accepted == result.updates:
        figures.inbound_per_s = result.updates / result.done_seconds
    figures.turns_per_s = result.turns_per_s
    figures.webhook_p50_ms, figures.webhook_p99_ms = phases.summary(result.latencies, 1000)
    figures.intake_outbound_share = result.outbound_share
    figures.intake_outbound_window_s = round(result.outbound_window, 1)
    figures.intake_outbound_share_processing = result.outbound_share_processing
    figures.intake_outbound_share_after = result.outbound_share_after
    figures.sends_per_second = result.sends_per_second
    figures.throttled = (figures.throttled or 0) + result.throttled
    figures.webhook_errors += result.errors
    figures.loadgen_cpu_share["intake"] = round(result.loadgen_cpu_share, 2)
    figures.burst_cpu_ms_per_update = {
        role: round(seconds * 1000 / result.updates, 4)
        for role, seconds in sorted(result.burst_cpu_s.items())
    }
    if result.accepted < result.updates:
        figures.notes.append(f"intake: only {result.accepted}/{result.updates} accepted in time")
    elif result.done_seconds is None:
        figures.notes.append("intake: the inbox was not drained within the phase limit")


def fill_conversations(figures: Figures, result: phases.ConversationResult) -> None:
    figures.users = result.users
    figures.expected = result.expected
    figures.lost = result.lost
    figures.duplicated = result.duplicated
    figures.timed_out_users = result.timed_out
    figures.reply_p50_s, figures.reply_p99_s = phases.summary(result.reply_times)
    figures.outbound_share = result.outbound_share
    figures.outbound_window_s = round(result.outbound_window, 1)
    figures.throttled = (figures.throttled or 0) + result.throttled
    figures.webhook_errors += result.errors
    figures.loadgen_cpu_share["conversations"] = round(result.loadgen_cpu_share, 2)
    p50, p99 = phases.summary(result.latencies, 1000)
    figures.notes.append(
        f"conversations: {result.users} users, {result.expected} replies expected, "
        f"{result.arrived} arrived, webhook p50/p99 {p50 or 0:.1f}/{p99 or 0:.1f} ms, "
        f"backlog {result.outbound_window:.0f}s, drained: {result.drained}, "
        f"identical consecutive texts (expected ones included): {result.repeats}"
    )
    if result.timed_out:
        figures.notes.append(f"conversations: {result.timed_out} users gave up waiting")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument(
        "--configs",
        default="sqlite,pg1,pg2,pg1w",
        help=f"comma-separated, of {','.join(CONFIGS)} (default: %(default)s)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="dropped and recreated before each PostgreSQL phase (env BENCH_POSTGRES_URL)",
    )
    parser.add_argument(
        "--updates", type=int, default=12_000, help="intake: updates posted (a burst of seconds)"
    )
    parser.add_argument("--concurrency", type=int, default=64, help="connections posting")
    parser.add_argument("--telegram-users", type=int, default=600)
    parser.add_argument("--sms-users", type=int, default=100)
    parser.add_argument("--spread", type=float, default=10.0, help="users arrive within (s)")
    parser.add_argument("--sms-rate", type=float, default=10.0, help="SMS/s per sending number")
    parser.add_argument("--backlog-seconds", type=float, default=10.0)
    parser.add_argument("--phase-limit", type=float, default=240.0, help="seconds per phase")
    parser.add_argument("--drain", type=float, default=60.0, help="seconds to wait for the rest")
    parser.add_argument("--soak", type=float, default=0.0, help="seconds of steady load (600)")
    parser.add_argument("--soak-config", default=None, help="default: the first of --configs")
    parser.add_argument("--soak-rate", type=float, default=4.0, help="users arriving per second")
    parser.add_argument("--no-echo", action="store_true", help="skip the echo floor")
    parser.add_argument("--seed", default="bench")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.configs.split(",") if n.strip()]
    unknown = [n for n in names if n not in CONFIGS]
    if unknown:
        parser.error(f"unknown configuration {unknown}: choose from {', '.join(CONFIGS)}")
    args.config_names = names
    args.soak_config = args.soak_config or names[0]
    return args


async def run(
    args: argparse.Namespace, procs: Group, workdir: Path
) -> tuple[list[Figures], Figures | None]:
    model = Model(Settings.from_env({}))
    connector = aiohttp.TCPConnector(limit=args.concurrency + 8)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        bench = Run(args, procs, model, session, workdir)
        echo = None if args.no_echo else await bench.echo()
        rows = []
        for name in args.config_names:
            print(f"== {name} ...", flush=True)
            try:
                rows.append(await bench.configuration(CONFIGS[name]))
            except Exception as error:  # a server that does not start: report it, go on
                procs.stop_all()
                failed = Figures(name, processes=CONFIGS[name].processes)
                failed.notes.append(f"failed: {str(error)[-1500:]}")
                rows.append(failed)
                print(f"== {name} failed: {error}", flush=True)
            print(markdown(rows, echo), flush=True)
    return rows, echo


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    logs = args.out / f"{stamp}-logs"
    began, cpu0, load0 = time.monotonic(), phases.cpu_self(), os.getloadavg()
    try:
        with group(logs) as procs:
            rows, echo = aio.run(run(args, procs, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    wall = time.monotonic() - began
    meta = {
        "stamp": stamp,
        "wall_seconds": round(wall, 1),
        "loadgen_cpu_seconds": round(phases.cpu_self() - cpu0, 1),
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load0],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "args": {k: str(v) for k, v in vars(args).items()},
        "logs": str(logs),
    }
    json_path, md_path = write(args.out, stamp, rows, echo, meta)
    print(markdown(rows, echo))
    if max(load0[0], os.getloadavg()[0]) > (os.cpu_count() or 1):
        print(f"note: other work shared the machine (load average {meta['load_average_after']})")
    print(
        f"wall {wall:.0f}s; load generator CPU {meta['loadgen_cpu_seconds']}s; "
        f"written {json_path} and {md_path}; server logs in {logs}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

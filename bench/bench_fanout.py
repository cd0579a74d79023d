"""The monthly reminders' fan-out through the real bot: N report-open reminders, one to each
active partner's workgroup, from the bot's start to the last one landing on the server.

    .venv/bin/python bench/bench_fanout.py [--partners 10000] [--limit-ratio 0.1]
        [--reset-ms 50] [--repeat 1] [--filed-months 2] [--send-ms 0] [--profile FILE]

For each size it builds a data directory of N active partners signed in 2020 that filed
every report up to October 2026 but not November's (the last `--filed-months` of them are
stored; the index of filed months that /report keeps lists them all), by
importing a generated export (bench/bench_storage.py); gives the Rocket.Chat emulator (in
this process, on CPU 0) the N private groups, with the bot as a member; and starts the real
bot (`bot.py run --start-time`, on CPU 1) with its clock and the emulator's started together
at 2026-12-01T09:00:05+00:00 (see `launch`). Its start-up evaluation sends the report-open
reminder of 2026-11 to every workgroup, and nothing else is due.

Each size is run without 429s and with `--limit-ratio` of the `chat.sendMessage` calls
answered 429 with an `X-RateLimit-Reset` `--reset-ms` later; each run `--repeat` times
(the run with the median time is shown). The emulator's insert hook counts the bot's
messages as they are stored; at the end each workgroup must have exactly one, nothing else
may have been sent, and the bot (stopped with SIGTERM) must have left its outbox empty and
one "sent" mark per reminder. Two markdown tables:

- the fan-out: from the bot's spawn to the last reminder stored (the target: at most 30 s
  at 10,000), from the first to the last and messages per second in between; the most
  `chat.sendMessage` calls open at the emulator at once and the number of client
  connections that carried them (aiohttp opens a connection only when all are busy, so it
  is the bot's peak concurrency; the emulator answers a call without yielding unless
  `--send-ms` holds it, so "open at once" shows the bound only then), against
  `MAX_SENDING`; the 429s answered and the calls that arrived before an announced reset
  (at most `MAX_SENDING - 1` per 429 were already on their way); duplicates; the outbox
  and the marks left; the bot's peak RSS (`VmHWM`);
- where the time goes: the first reminder; the bot's "reminders: N sent" log line (the
  evaluation has read every partner and committed every mark and message); the
  transport's start-up catch-up (one `groups.history` call per room, at the same time);
  the gaps between consecutive messages (p50 / p99 / the longest); the bot's CPU time
  (when it is close to the elapsed time, the bot's core was the limit).

`--profile FILE` runs the bot under cProfile (about half as fast) and prints its top
functions to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import pstats
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

BENCH = Path(__file__).resolve()
ROOT = BENCH.parent.parent
sys.path.insert(0, str(ROOT))

import bot  # noqa: E402
from bench.bench_storage import (  # noqa: E402
    Reports,
    build,
    monthly_report,
    partner_id,
    percentile,
)
from engine.runner import MAX_SENDING  # noqa: E402
from storage import SCHEMA, Store  # noqa: E402
from tests.botprocess import BOT_PASSWORD, BotProcess  # noqa: E402
from tests.emulator import RocketChatEmulator  # noqa: E402
from tests.emulator.rest import Route  # noqa: E402
from workflows.reporting import Month  # noqa: E402

START = "2026-12-01T09:00:05+00:00"  # the bot's clock: December's first evaluation is due
OPEN_TEXT = "The sales report for 2026-11 is open"
OPEN_MONTH = Month(2026, 11)  # not filed: its report opens on 2026-12-01
MANAGER = "am-alice"
SEND = "chat.sendMessage"
HISTORY = "groups.history"
EMULATOR_CPU, BOT_CPU = 0, 1 if (os.cpu_count() or 1) > 1 else 0
FAILED = "the reminders failed"  # commands/schedule.py logs it when an evaluation fails
SETTLE = 2.0  # seconds to wait after the last expected message for any extra one


def filed_up_to_october(months: int) -> Reports:
    """The stored reports of partners that filed the `months` months before November 2026
    (their index, `every_month_filed`, has every month since signing): only November's is
    open, so each partner is due exactly one reminder (no overdue report, and for partners
    signed on 2020-01-15 no review or fee reminder on 2026-12-01)."""
    filed = [str(OPEN_MONTH.plus(-back)) for back in range(months, 0, -1)]

    def reports(number: int) -> list[dict[str, Any]]:
        return [monthly_report(number, month) for month in filed]

    return reports


def every_month_filed(number: int, _reports: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The index of filed months of partner `number`: every month from its signing (January
    2020) to October 2026, of which only the last few are stored (what the store's size and
    the reminders' reading depend on)."""
    months, month = [], Month(2020, 1)
    while month < OPEN_MONTH:
        months.append(str(month))
        month = month.next()
    return {"partner": partner_id(number), "months": months, "complete": True}


async def build_partners(path: Path, partners: int, filed_months: int) -> None:
    """`bench_storage.build` with the reports filed up to October 2026."""
    await build(path, partners, filed_up_to_october(filed_months), every_month_filed)


def workgroup(number: int) -> str:
    """The room id `bench_storage.partner` gives partner `number` as its workgroup."""
    return f"room-{number:05}"


class ShiftedTime:
    """The emulator's clock: the system's time plus `shift` seconds."""

    def __init__(self) -> None:
        self.shift = 0.0

    def __call__(self) -> float:
        return time.time() + self.shift

    def start_at(self, epoch: float) -> None:
        self.shift = epoch - time.time()


@dataclass
class Observed:
    """What the emulator saw during one run; times from `time.perf_counter()`."""

    expected: set[str]
    arrived: list[float] = field(default_factory=list)  # each expected room's first message
    per_room: Counter[str] = field(default_factory=Counter)
    unexpected: list[dict[str, Any]] = field(default_factory=list)
    first_call: dict[str, float] = field(default_factory=dict)
    last_call: dict[str, float] = field(default_factory=dict)
    open_sends: int = 0
    max_open_sends: int = 0
    send_peers: set[Any] = field(default_factory=set)
    all_arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def on_insert(self, doc: dict[str, Any]) -> None:
        if doc["u"]["username"] != "partnerbot":
            return
        room = doc["rid"]
        self.per_room[room] += 1
        if room not in self.expected or not doc["msg"].startswith(OPEN_TEXT):
            self.unexpected.append(doc)
        elif self.per_room[room] == 1:
            self.arrived.append(time.perf_counter())
            if len(self.arrived) == len(self.expected):
                self.all_arrived.set()

    def watch(self, emu: RocketChatEmulator) -> None:
        """Time every REST call by route, and count the `chat.sendMessage` calls open."""
        answer = emu.rest.dispatch

        async def dispatch(route: Route, request: web.Request) -> web.StreamResponse:
            now = time.perf_counter()
            self.first_call.setdefault(route.name, now)
            self.last_call[route.name] = now
            if route.name != SEND:
                return await answer(route, request)
            self.send_peers.add(request.transport and request.transport.get_extra_info("peername"))
            self.open_sends += 1
            self.max_open_sends = max(self.max_open_sends, self.open_sends)
            try:
                return await answer(route, request)
            finally:
                self.open_sends -= 1

        # The emulator binds its routes to `dispatch` by attribute at each call.
        emu.rest.dispatch = dispatch  # type: ignore[method-assign]
        emu.store.on_insert.append(self.on_insert)


class ReminderBot(BotProcess):
    """The bot with this bench's configuration, its clock started where the emulator's is,
    pinned to its CPU, maybe under cProfile."""

    def __init__(self, url: str, data: Path, shift: float, profile: Path | None) -> None:
        super().__init__(url, data, PARTNERBOT_MANAGERS=MANAGER, PARTNERBOT_TIMEZONE="UTC")
        self.shift = shift
        self.profile = profile

    async def start(self, *args: str) -> None:
        """`bot.py run --start-time <the emulator's time> *args`, through `launch`."""
        profiler = [] if self.profile is None else ["-m", "cProfile", "-o", str(self.profile)]
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                *profiler,
                str(BENCH),
                *("--launch", repr(self.shift), *args),
                env=self.env,
                cwd=ROOT,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        os.sched_setaffinity(self.process.pid, {BOT_CPU})

    def cpu_seconds(self) -> float:
        """The CPU time the bot's process has used so far, all threads, user and system."""
        assert self.process is not None
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        utime, stime = stat.rsplit(")", 1)[1].split()[11:13]  # fields 14 and 15
        return (int(utime) + int(stime)) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> float:
        """VmHWM of the bot's process (like `bench_storage.status_mb`, for another pid)."""
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmHWM in the bot's /proc status")


def launch(shift: float, args: list[str]) -> int:
    """The bot's front door (`bot.py run`) with its clock started at the emulator's time,
    the system's plus `shift`, read once the bot's modules are imported, just before `main`
    sets the clock: so the two agree to a millisecond or so. (A fixed `--start-time` would
    leave the bot's clock behind the emulator's by its start-up, 0.4 to 0.8 s, and each
    429 would be waited out that much longer than its `X-RateLimit-Reset` asks.)"""
    moment = datetime.fromtimestamp(time.time() + shift, UTC)
    return bot.main(["run", "--start-time", moment.isoformat(), *args])


def logged_at(log: str, marker: str) -> float | None:
    """The wall-clock time (`time.time()`) of the first log line containing `marker`."""
    for line in log.splitlines():
        if marker in line:
            stamp, millis = line[:19], line[20:23]
            return time.mktime(time.strptime(stamp, "%Y-%m-%d %H:%M:%S")) + int(millis) / 1000
    return None


async def delivered(seen: Observed, bot: ReminderBot, within: float) -> None:
    """Wait until every expected reminder is stored; stop the bench with the bot's log if
    that takes longer than `within` seconds, the bot exits or its reminders fail."""
    deadline = time.perf_counter() + within
    while not seen.all_arrived.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(seen.all_arrived.wait(), 0.5)
        assert bot.process is not None
        log = bot.output()
        stopped = bot.process.returncode is not None or FAILED in log
        if stopped or time.perf_counter() > deadline:
            tail = "\n".join(log.splitlines()[-20:])
            raise SystemExit(
                f"{len(seen.arrived)} of {len(seen.expected)} reminders stored; "
                f"the bot's log ends:\n{tail}"
            )


async def stored_counts(data: Path) -> tuple[int, int]:
    """(outbox entries, "sent" marks) in the data directory the bot left."""
    store = await Store.open(data, SCHEMA)
    try:
        return await store.count("outbox"), await store.count("sent")
    finally:
        await store.close()


@dataclass(frozen=True)
class Options:
    """How one run goes, besides its size."""

    ratio: float  # share of the sends answered 429
    reset_ms: int  # their X-RateLimit-Reset, after the call
    send_ms: int  # how long the emulator holds each send
    within: float  # seconds to wait for every reminder
    profile: Path | None  # where cProfile writes the bot's profile


async def run_once(template: Path, partners: int, options: Options) -> dict[str, Any]:
    """One fan-out of `partners` reminders, on a copy of the data directory `template`."""
    folder = Path(tempfile.mkdtemp(prefix="bench-fanout-"))
    try:
        data = folder / "data"
        shutil.copytree(template, data)
        clock = ShiftedTime()
        async with RocketChatEmulator(clock=clock) as emu:
            bot_user = emu.add_user("partnerbot", BOT_PASSWORD, roles=("bot",))
            alice = emu.add_user(MANAGER, "pw")
            for number in range(partners):  # straight into the store: no REST, no events
                name = f"wg-{partner_id(number)}"
                emu.store.add_room(name, "p", [bot_user, alice], room_id=workgroup(number))
            if options.ratio > 0:
                emu.rate_limit_ratio(SEND, options.ratio, seed=1, reset_ms=options.reset_ms)
            if options.send_ms > 0:
                emu.delay(SEND, options.send_ms / 1000)
            seen = Observed({workgroup(number) for number in range(partners)})
            seen.watch(emu)
            clock.start_at(datetime.fromisoformat(START).timestamp())
            bot = ReminderBot(emu.url, data, clock.shift, options.profile)
            spawned, spawned_wall = time.perf_counter(), time.time()
            await bot.start()
            try:
                await delivered(seen, bot, options.within)
                cpu = bot.cpu_seconds()
                await asyncio.sleep(SETTLE)
                rss = bot.peak_rss_mb()
            finally:
                try:
                    code = await bot.stop()
                except TimeoutError:  # it did not finish within 30 s of SIGTERM
                    await bot.kill()
                    raise
            log = bot.output()
            refused = sum(1 for call in emu.rest_log if call.route == SEND and call.status == 429)
            early = emu.early_calls(SEND)
        outbox, marks = await stored_counts(data)
    finally:
        shutil.rmtree(folder)
    evaluated = logged_at(log, "reminders: ")
    arrived = sorted(seen.arrived)
    gaps = [(later - earlier) * 1000 for earlier, later in itertools.pairwise(arrived)]
    return {
        "partners": partners,
        "ratio": options.ratio,
        "to_first": arrived[0] - spawned,
        "first_to_last": arrived[-1] - arrived[0],
        "to_last": arrived[-1] - spawned,
        "evaluated": None if evaluated is None else evaluated - spawned_wall,
        "history": (seen.first_call.get(HISTORY), seen.last_call.get(HISTORY), spawned),
        "rate": partners / max(arrived[-1] - arrived[0], 1e-9),
        "gaps": gaps or [0.0],
        "open_sends": seen.max_open_sends,
        "connections": len(seen.send_peers),
        "refused": refused,
        "early": early,
        "duplicates": sum(count - 1 for count in seen.per_room.values() if count > 1),
        "unexpected": len(seen.unexpected),
        "outbox": outbox,
        "marks": marks,
        "rss": rss,
        "cpu": cpu,
        "exit": code,
    }


def failures(row: dict[str, Any]) -> list[str]:
    """What went wrong in a run: each workgroup must get its reminder once, and nothing
    else; the bot must exit cleanly with its outbox delivered and every reminder marked."""
    wrong = {
        "duplicates": row["duplicates"] != 0,
        "other messages": row["unexpected"] != 0,
        "outbox left": row["outbox"] != 0,
        "marks": row["marks"] != row["partners"],
        "exit status": row["exit"] != 0,
    }
    return [
        f"{row['partners']:,} partners, {row['ratio']:.0%} 429s: {name}"
        for name in wrong
        if wrong[name]
    ]


def seconds(value: float | None) -> str:
    return "?" if value is None else f"{value:.1f} s"


def fanout_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| partners | 429s injected | **start → last** | first → last | messages/s "
        "| sends open at once / connections | 429s answered (calls before the reset) "
        "| duplicates / other messages | outbox left / marks | bot peak RSS |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        low, high = row["range"]
        spread = "" if low == high else f" ({low:.1f} to {high:.1f})"
        lines.append(
            f"| {row['partners']:,} | {row['ratio']:.0%} | **{row['to_last']:.1f} s**{spread} "
            f"| {row['first_to_last']:.1f} s | {row['rate']:,.0f} "
            f"| {row['open_sends']} / {row['connections']} (bound {MAX_SENDING}) "
            f"| {row['refused']:,} ({row['early']:,}) "
            f"| {row['duplicates']} / {row['unexpected']} "
            f"| {row['outbox']} / {row['marks']:,} | {row['rss']:.0f} MB |"
        )
    return "\n".join(lines)


def time_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| partners | 429s injected | first reminder | evaluation done "
        "| catch-up (`groups.history`) | last reminder | gaps p50 / p99 / longest | bot CPU |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        first, last, spawned = row["history"]
        catch_up = "none" if first is None else f"{first - spawned:.1f} → {last - spawned:.1f} s"
        gaps = row["gaps"]
        p50, p99 = (percentile(gaps, 0.50), percentile(gaps, 0.99)) if len(gaps) > 1 else (0, 0)
        lines.append(
            f"| {row['partners']:,} | {row['ratio']:.0%} | {seconds(row['to_first'])} "
            f"| {seconds(row['evaluated'])} | {catch_up} | {seconds(row['to_last'])} "
            f"| {p50:.2f} / {p99:.1f} / {max(gaps):,.0f} ms | {seconds(row['cpu'])} |"
        )
    return "\n".join(lines)


def print_profile(path: Path, top: int = 25) -> None:
    for sort in ("tottime", "cumulative"):
        print(f"\nthe bot's top {top} functions by {sort}:", file=sys.stderr)
        stats = pstats.Stats(str(path), stream=sys.stderr)
        stats.strip_dirs().sort_stats(sort).print_stats(top)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", default="10000", help="comma-separated sizes")
    parser.add_argument(
        "--limit-ratio", type=float, default=0.1, help="share of sends answered 429 (0: no run)"
    )
    parser.add_argument("--reset-ms", type=int, default=50, help="the 429s' X-RateLimit-Reset")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the median shown")
    parser.add_argument(
        "--filed-months",
        type=int,
        default=2,
        help="reports stored for each partner (to 2026-10; its index lists every month filed)",
    )
    parser.add_argument("--send-ms", type=int, default=0, help="the emulator holds each send")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per run")
    parser.add_argument("--profile", type=Path, help="run the bot under cProfile into FILE")
    args = parser.parse_args()
    if args.filed_months < 0:
        parser.error("--filed-months cannot be negative")
    os.sched_setaffinity(0, {EMULATOR_CPU})
    running = asyncio.current_task()
    assert running is not None  # SIGTERM: the runs' `finally` stop the bot and clean up
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, running.cancel)
    ratios = [0.0] if args.limit_ratio <= 0 else [0.0, args.limit_ratio]
    rows, wrong = [], []
    for partners in (int(size) for size in args.partners.split(",")):
        with tempfile.TemporaryDirectory(prefix="bench-fanout-data-") as folder:
            template = Path(folder) / "data"
            await build_partners(template, partners, args.filed_months)
            for ratio in ratios:
                options = Options(ratio, args.reset_ms, args.send_ms, args.timeout, args.profile)
                runs = [await run_once(template, partners, options) for _ in range(args.repeat)]
                wrong += [failure for run in runs for failure in failures(run)]
                runs.sort(key=lambda run: float(run["to_last"]))
                rows.append(
                    runs[len(runs) // 2] | {"range": (runs[0]["to_last"], runs[-1]["to_last"])}
                )
                print(f"{partners} partners, {ratio:.0%} 429s: done", file=sys.stderr)
                if args.profile is not None:
                    print_profile(args.profile)
    print(
        f"report-open reminders of 2026-11, one per workgroup; {args.filed_months} reports"
        f" filed per partner; 429s with a {args.reset_ms} ms reset; the emulator holds each"
        f" send {args.send_ms} ms; MAX_SENDING {MAX_SENDING}; the emulator on CPU"
        f" {EMULATOR_CPU}, the bot on CPU {BOT_CPU}; start → last: median of {args.repeat}"
        " (range)\n"
    )
    print(fanout_table(rows))
    print("\nwhere the time goes (seconds from the bot's spawn; the median run):\n")
    print(time_table(rows))
    if wrong:
        raise SystemExit("failed: " + "; ".join(wrong))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--launch"]:  # in the bot's process: see `launch`
        sys.exit(launch(float(sys.argv[2]), sys.argv[3:]))
    try:
        asyncio.run(main())
    except asyncio.CancelledError:  # SIGTERM, after the bot was stopped and all cleaned up
        sys.exit("bench_fanout: stopped")

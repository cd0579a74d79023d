"""Round trip through the real bot: from a command's publication on the stream to its reply
reaching the server, for 1,000 commands from 50 users in 10 rooms.

The Rocket.Chat emulator runs in this process, pinned to CPU 0; the client under test runs
as a subprocess pinned to CPU 1 (one core). Three clients are measured in the same run:
partnerbot (`bot.py run`, with its storage on a fresh data directory) and two minimal echo
clients (bench/echo_client.py), replying with rocketchat-API in a worker thread or with
aiohttp on the loop; the second uses partnerbot's libraries and is the floor the bot is
compared with. Each gets two phases:

- latency: the 1,000 commands paced at 200 a second; p50, p95, p99 of the round trip;
  partnerbot is measured with `/help`, which changes nothing (its reply need not wait for
  the disk), in English and in Portuguese (the server's default language), and with
  `/onboard` from users with no partner, which stores the
  conversation it opens (its reply waits for that commit's fsync);
- throughput: the 1,000 commands posted at once; commands per second until the last reply.

    .venv/bin/python bench/bench_roundtrip.py [--commands 1000] [--rate 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.emulator import RocketChatEmulator  # noqa: E402

ROOMS = 10
USERS = 50
PASSWORD = "bench-secret"


class Bench:
    def __init__(self, emu: RocketChatEmulator) -> None:
        self.emu = emu
        self.posted: dict[str, float] = {}
        self.replied: dict[str, float] = {}
        self.all_replied = asyncio.Event()
        self.expected = 0
        emu.store.on_insert.append(self._on_insert)

    def _on_insert(self, doc: dict[str, Any]) -> None:
        if doc["u"]["username"] == "partnerbot" and doc["_id"].endswith("r1"):
            self.replied[doc["_id"][:-2]] = time.perf_counter()
            if len(self.replied) >= self.expected:
                self.all_replied.set()

    async def run(self, commands: int, rate: float | None, text: str) -> tuple[list[float], float]:
        """Post `commands` (paced at `rate` a second, or all at once); latencies and seconds."""
        self.posted.clear()
        self.replied.clear()
        self.all_replied = asyncio.Event()
        self.expected = commands
        start = time.perf_counter()
        for n in range(commands):
            if rate is not None:
                delay = start + n / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            user = f"user{n % USERS}"
            room = f"room{n % USERS % ROOMS}"
            posted = time.perf_counter()
            message = await self.emu.post(user, room, text)
            self.posted[message["_id"]] = posted
        await asyncio.wait_for(self.all_replied.wait(), 120)
        elapsed = max(self.replied.values()) - start
        return [self.replied[i] - self.posted[i] for i in self.posted], elapsed


def pinned(cpu: int) -> None:
    os.sched_setaffinity(0, {cpu})


async def start_client(kind: str, url: str, data: Path) -> asyncio.subprocess.Process:
    if kind == "partnerbot":
        args = [str(ROOT / "bot.py"), "run"]
    else:
        path = kind.split()[-1]  # "echo, thread" or "echo, aiohttp"
        args = [str(ROOT / "bench" / "echo_client.py"), url, "partnerbot", PASSWORD, path]
    env = {
        **os.environ,
        "ROCKETCHAT_URL": url,
        "ROCKETCHAT_USER": "partnerbot",
        "ROCKETCHAT_PASSWORD": PASSWORD,
        "PARTNERBOT_DATA": str(data),
        "PARTNERBOT_LOG_LEVEL": "WARNING",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        preexec_fn=lambda: pinned(1 if (os.cpu_count() or 1) > 1 else 0),
    )


async def measure(
    kind: str, commands: int, rate: float, text: str, language: str = ""
) -> dict[str, float]:
    """`language`: the server's default language (`Language`), which the bot answers in."""
    async with RocketChatEmulator() as emu:
        emu.set_setting("Language", language)
        emu.add_user("partnerbot", PASSWORD, roles=("bot",))
        users = [f"user{n}" for n in range(USERS)]
        for name in users:
            emu.add_user(name, "pw")
        for r in range(ROOMS):
            emu.add_room(f"room{r}", "p", ["partnerbot", *users[r::ROOMS]])
        with tempfile.TemporaryDirectory() as tmp:
            client = await start_client(kind, emu.url, Path(tmp) / "data")
            try:
                await emu.wait_until(lambda: emu.active_subscriptions("partnerbot") == 1, 30)
                bench = Bench(emu)
                await bench.run(50, rate, text)  # warm up
                latencies, _ = await bench.run(commands, rate, text)
                _, burst = await bench.run(commands, None, text)
            finally:
                client.terminate()
                await client.wait()
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "p50": cuts[49] * 1000,
        "p95": cuts[94] * 1000,
        "p99": cuts[98] * 1000,
        "throughput": commands / burst,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=200.0)
    args = parser.parse_args()
    pinned(0)
    results = {
        "echo, thread": await measure("echo, thread", args.commands, args.rate, "/help"),
        "echo, aiohttp": await measure("echo, aiohttp", args.commands, args.rate, "/help"),
        "partnerbot /help": await measure("partnerbot", args.commands, args.rate, "/help"),
        "partnerbot /help, pt-BR": await measure(
            "partnerbot", args.commands, args.rate, "/help", "pt-BR"
        ),
        "partnerbot /onboard": await measure("partnerbot", args.commands, args.rate, "/onboard"),
    }
    print(
        f"{args.commands} commands, 50 users, 10 rooms; latency paced at {args.rate:g}/s,"
        " throughput with all posted at once\n"
    )
    print("| client | p50 ms | p95 ms | p99 ms | commands/s |")
    print("|---|---|---|---|---|")
    for kind, r in results.items():
        print(
            f"| {kind} | {r['p50']:.2f} | {r['p95']:.2f} | {r['p99']:.2f} | {r['throughput']:.0f} |"
        )
    floor = results["echo, aiohttp"]
    print("\nratio to the echo floor on the same libraries (aiohttp replies):")
    for kind in ("partnerbot /help", "partnerbot /help, pt-BR", "partnerbot /onboard"):
        bot = results[kind]
        print(
            f"- {kind}: p50 {bot['p50'] / floor['p50']:.2f},"
            f" p99 {bot['p99'] / floor['p99']:.2f},"
            f" throughput {floor['throughput'] / bot['throughput']:.2f}"
        )


if __name__ == "__main__":
    asyncio.run(main())

"""What the catch-up costs a room: `Rest.history` of N private groups with one message each
(one call a room; a channel or a DM takes two, its page and the empty page that ends it),
through rocketchat-API in a worker thread and through aiohttp on the event loop.

    .venv/bin/python bench/bench_history.py [--rooms 2000]

The emulator runs in the same process, so the CPU time is the bot's and the emulator's
together; the difference between the two rows is the client's. A restart soon after the
monthly fan-out reads every workgroup's history once (the bot's own reminders are new
there), so this is what 10,000 workgroups cost then.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chat.base import Room, RoomKind
from chat.clock import system_clock
from chat.rest import Credentials, Rest
from tests.emulator import RocketChatEmulator


async def measure(rooms: int) -> list[tuple[str, float, float]]:
    """(client, seconds, CPU seconds) for reading every room's history once."""
    async with RocketChatEmulator() as emu:
        emu.add_user("partnerbot", "pw", roles=("bot",))
        emu.add_user("alice", "pw")
        groups = [emu.add_room(f"g{n}", "p", ["partnerbot", "alice"]) for n in range(rooms)]
        for group in groups:
            await emu.post("alice", group.id, "hello")
        oldest = datetime.now(UTC) - timedelta(hours=1)
        rows = []
        for client in ("rocketchat-API, thread", "aiohttp"):
            async with aiohttp.ClientSession() as session:
                rest = Rest(
                    emu.url,
                    Credentials(user="partnerbot", password="pw"),
                    system_clock,
                    session=session if client == "aiohttp" else None,
                )
                await rest.login()
                cpu, start = time.process_time(), time.perf_counter()
                for group in groups:
                    found = await rest.history(
                        Room(group.id, RoomKind.PRIVATE, group.name or ""), oldest
                    )
                    assert len(found) == 1, f"{group.name}: {len(found)} messages"
                rows.append((client, time.perf_counter() - start, time.process_time() - cpu))
        return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=2000)
    args = parser.parse_args()
    rows = asyncio.run(measure(args.rooms))
    print(f"history of {args.rooms:,} rooms, one message each\n")
    print("| client | elapsed | CPU (bot + emulator) | per room |")
    print("|---|---:|---:|---:|")
    for client, seconds, cpu in rows:
        print(
            f"| {client} | {seconds:.2f} s | {cpu:.2f} s | {1000 * seconds / args.rooms:.2f} ms |"
        )


if __name__ == "__main__":
    main()

"""A burst of writing commands through the real bot: N people apply at the same moment.

Each of N users posts `/onboard company=... type=hosting website=... email=...` in their
own DM with the bot, all at once (the emulator in this process, the bot a subprocess on a
fresh data directory). Measured: the time from the first post to the last reply, the
replies that are not the thank-you of a stored application (must be none), the commands
that conflicted and were run again alone (from the bot's log), and the partners stored.
Then the same burst is sent while the bot is down and measured from its start (the
catch-up).

    .venv/bin/python bench/bench_burst.py [--users 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage import SCHEMA, Store  # noqa: E402
from tests.emulator import RocketChatEmulator  # noqa: E402

PASSWORD = "bench-secret"
CONFLICT_LOG = "running it again alone"


def application(user: str) -> str:
    return (
        f'/onboard company="Company of {user}" type=hosting website=https://{user}.example '
        f"email=partners@{user}.example"
    )


class Bot:
    def __init__(self, url: str, data: Path) -> None:
        self.url, self.data = url, data
        self.log = data.parent / "bot.log"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        env = {
            **os.environ,
            "ROCKETCHAT_URL": self.url,
            "ROCKETCHAT_USER": "partnerbot",
            "ROCKETCHAT_PASSWORD": PASSWORD,
            "PARTNERBOT_DATA": str(self.data),
            "PARTNERBOT_MANAGERS": "maria",
            "PARTNERBOT_LOG_LEVEL": "INFO",
        }
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, str(ROOT / "bot.py"), "run", env=env, cwd=ROOT,
                stdout=log, stderr=log,
            )  # fmt: skip

    async def stop(self) -> None:
        assert self.process is not None
        self.process.terminate()
        await self.process.wait()


async def burst(emu: RocketChatEmulator, users: list[str], tag: str) -> list[dict[str, Any]]:
    rooms = {user: emu.dm(user, "partnerbot").id for user in users}
    posts = [emu.post(user, rooms[user], application(f"{user}-{tag}")) for user in users]
    return list(await asyncio.gather(*posts))


class Replies:
    """The bot's replies as the emulator stores them (a hook: no polling of every message)."""

    def __init__(self, emu: RocketChatEmulator) -> None:
        self.texts: dict[str, str] = {}
        self.changed = asyncio.Event()
        emu.store.on_insert.append(self._on_insert)

    def _on_insert(self, doc: dict[str, Any]) -> None:
        if doc["u"]["username"] == "partnerbot":
            self.texts[doc["_id"]] = doc["msg"]
            self.changed.set()

    async def measure(self, commands: list[dict[str, Any]], start: float) -> str:
        """Wait for the applicant's reply to each command (r1 is the managers' notice)."""
        wanted = [command["_id"] + "r2" for command in commands]
        async with asyncio.timeout(300):
            while not all(w in self.texts for w in wanted):
                self.changed.clear()
                await self.changed.wait()
        seconds = time.perf_counter() - start
        other = [self.texts[w] for w in wanted if not self.texts[w].startswith("Thank you!")]
        rate = len(commands) / seconds
        return f"{seconds:.2f} s, {rate:.0f}/s, replies other than thanks: {other}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    args = parser.parse_args()
    users = [f"user{n}" for n in range(args.users)]
    async with RocketChatEmulator() as emu:
        emu.add_user("partnerbot", PASSWORD, roles=("bot",))
        for name in ["maria", *users]:
            emu.add_user(name, "pw")
        with tempfile.TemporaryDirectory() as tmp:
            bot = Bot(emu.url, Path(tmp) / "data")
            await bot.start()
            await emu.wait_until(lambda: emu.active_subscriptions("partnerbot") == 1, 30)
            replies = Replies(emu)
            start = time.perf_counter()
            live = await burst(emu, users, "live")
            print(f"{args.users} applications at once, live: {await replies.measure(live, start)}")
            await bot.stop()
            for user in users:  # their partners exist now: new people apply in the same DMs
                emu.add_user(f"{user}b", "pw")
            later = await burst(emu, [f"{user}b" for user in users], "down")
            start = time.perf_counter()
            await bot.start()
            print(f"{args.users} applications sent while down, caught up: "
                  f"{await replies.measure(later, start)} (from the bot's start)")  # fmt: skip
            await bot.stop()
            conflicts = bot.log.read_text().count(CONFLICT_LOG)
            store = await Store.open(Path(tmp) / "data", SCHEMA)
            stored = await store.count("partners")
            await store.close()
    print(f"partners stored: {stored}; commands run again alone after a conflict: {conflicts}")


if __name__ == "__main__":
    asyncio.run(main())

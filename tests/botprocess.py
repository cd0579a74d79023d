"""The real bot (`python bot.py run`) as a subprocess, configured by its environment."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from chat.clock import Clock

ROOT = Path(__file__).resolve().parent.parent
BOT_PASSWORD = "bot-secret"


def child_env(**env: str) -> dict[str, str]:
    """A fresh environment for a `bot.py` subprocess: `PATH`, `env`, and libfaketime's
    variables when the tests run under it (CI's second run moves the system clock years
    ahead with `LD_PRELOAD` and `FAKETIME`): the bot must see the clock the tests and the
    emulator see, or their dates and rate-limit resets would disagree by years."""
    passed = {
        name: value
        for name, value in os.environ.items()
        if name in ("PATH", "LD_PRELOAD") or name.startswith("FAKETIME")
    }
    return {"PATH": "", **passed, **env}


def emulator_clock(start: str) -> Callable[[], float]:
    """A clock for the emulator (`clock=`, epoch seconds) that reads `start` now and runs on
    from there: the server's side of `bot.py run --start-time start`."""
    clock = Clock()
    clock.set(datetime.fromisoformat(start))
    return lambda: clock().timestamp()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class BotProcess:
    def __init__(self, url: str, data: Path, **env: str) -> None:
        defaults = {
            "ROCKETCHAT_URL": url,
            "ROCKETCHAT_USER": "partnerbot",
            "ROCKETCHAT_PASSWORD": BOT_PASSWORD,
            "PARTNERBOT_DATA": str(data),
            "PARTNERBOT_MANAGERS": "maria",
            "PARTNERBOT_LOG_LEVEL": "INFO",
        }
        self.env = child_env(**{**defaults, **env})
        self.log = data.parent / "bot.log"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, *args: str) -> None:
        """`bot.py run` with `args` (e.g. "--start-time", "2026-12-01T08:59:58+00:00")."""
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                str(ROOT / "bot.py"),
                "run",
                *args,
                env=self.env,
                cwd=ROOT,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )

    async def kill(self) -> None:
        """SIGKILL: no chance to finish anything."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> int:
        """SIGTERM: finish the commands in hand, then exit."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), 30)

    async def kill_if_running(self) -> None:
        """For a test's `finally`: no bot is left behind by a failure."""
        if self.process is not None and self.process.returncode is None:
            await self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")

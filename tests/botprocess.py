"""The real bot (`python bot.py run`) as a subprocess, configured by its environment."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOT_PASSWORD = "bot-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class BotProcess:
    def __init__(self, url: str, data: Path, **env: str) -> None:
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "ROCKETCHAT_URL": url,
            "ROCKETCHAT_USER": "partnerbot",
            "ROCKETCHAT_PASSWORD": BOT_PASSWORD,
            "PARTNERBOT_DATA": str(data),
            "PARTNERBOT_MANAGERS": "maria",
            "PARTNERBOT_LOG_LEVEL": "INFO",
            **env,
        }
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

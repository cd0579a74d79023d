"""Run the emulator standalone: `python -m tests.emulator --port 0 --user bot:pass ...`.

Users are `name:password[:role,role]`, rooms `name:kind:member,member` (kind `c` or `p`).
`--start-time 2026-12-01T08:59:50+00:00` starts the server's clock there (message times,
token expiry, rate-limit resets), as `bot.py run --start-time` does the bot's.
The URL is printed on the first line of stdout; Ctrl-C (or SIGTERM) stops the server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Callable
from datetime import datetime

from .server import RocketChatEmulator


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: any)")
    parser.add_argument("--user", action="append", default=[], help="name:password[:roles]")
    parser.add_argument("--room", action="append", default=[], help="name:c|p:member,member")
    parser.add_argument("--ping-interval", type=float, default=30.0)
    parser.add_argument("--ping-timeout", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=None, help="make ids reproducible")
    parser.add_argument(
        "--start-time",
        type=_moment,
        default=None,
        help="start the server's clock at this ISO time with its offset "
        "(default: the system's time)",
    )
    return parser.parse_args(argv)


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs its offset, e.g. {text}+00:00")
    return moment


def _clock_from(start: datetime) -> Callable[[], float]:
    """Epoch seconds that read `start` now and run on at the system's pace."""
    offset = start.timestamp() - time.time()
    return lambda: time.time() + offset


def _populate(emulator: RocketChatEmulator, users: list[str], rooms: list[str]) -> None:
    for spec in users:
        name, _, rest = spec.partition(":")
        password, _, roles = rest.partition(":")
        emulator.add_user(
            name, password or "password", roles=roles.split(",") if roles else ["user"]
        )
    for spec in rooms:
        name, kind, members = [*spec.split(":"), "", ""][:3]
        if kind not in ("c", "p"):
            raise SystemExit(f"room {spec!r}: kind must be c or p")
        emulator.add_room(name, "c" if kind == "c" else "p", [m for m in members.split(",") if m])


async def _serve(args: argparse.Namespace) -> None:
    emulator = RocketChatEmulator(
        port=args.port,
        ping_interval=args.ping_interval,
        ping_timeout=args.ping_timeout,
        seed=args.seed,
        clock=None if args.start_time is None else _clock_from(args.start_time),
    )
    _populate(emulator, args.user, args.room)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with emulator:
        print(emulator.url, flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    asyncio.run(_serve(_parse_args(sys.argv[1:] if argv is None else argv)))


if __name__ == "__main__":
    main()

"""Quiet by default: `/healthz` and `/metrics` on 127.0.0.1 unless `PARTNERBOT_HEALTH_HOST`
says otherwise, the data directory 0700 and its files 0600 whatever the umask, user text
that cannot forge log lines, and abandoned conversations deleted by the runner's
housekeeping (by its injected clock)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import stat
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import bot
import config
from chat.base import Incoming, Room, RoomKind
from chat.clock import Clock as SystemClock
from chat.health import serve_health
from chat.web import PageFetcher
from config import Settings
from engine.dispatch import CONVERSATION_IDLE, DM_HINT, Dispatcher
from engine.framework import Command, Context, Role
from engine.outbox import Outbox
from engine.registry import Registry
from engine.runner import SWEEP_INTERVAL, Runner
from storage import SCHEMA, Store
from tests.botprocess import BOT_PASSWORD, free_port
from tests.emulator import RocketChatEmulator
from tests.fakes import BOT, Clock, FakeChat, FakeWeb, user
from tests.test_runner import QueueTransport

WAIT = 60.0

# --- /healthz and /metrics on loopback ---------------------------------------------------


def test_the_health_host_is_loopback_unless_set() -> None:
    assert config.load({}).health_host == "127.0.0.1"
    assert config.load({"PARTNERBOT_HEALTH_HOST": "0.0.0.0"}).health_host == "0.0.0.0"
    assert config.load({"PARTNERBOT_HEALTH_HOST": "::"}).health_host == "::"
    assert config.load({"PARTNERBOT_HEALTH_HOST": "health.internal"}).health_host == (
        "health.internal"
    )
    for bad in ("every interface", "http://0.0.0.0/", "-dash.example"):
        with pytest.raises(config.ConfigError, match="PARTNERBOT_HEALTH_HOST"):
            config.load({"PARTNERBOT_HEALTH_HOST": bad})


@pytest.fixture
async def emu() -> AsyncIterator[RocketChatEmulator]:
    async with RocketChatEmulator(seed=9) as emulator:
        emulator.add_user("partnerbot", BOT_PASSWORD, name="Partner Bot", roles=("bot",))
        emulator.add_user("alice", "pw")
        yield emulator


@pytest.mark.slow
@pytest.mark.parametrize(("host", "bound"), [(None, {"127.0.0.1"}), ("::1", {"::1"})])
async def test_the_bot_serves_health_on_the_configured_host_only(
    emu: RocketChatEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    host: str | None,
    bound: set[str],
) -> None:
    served: list[web.AppRunner] = []

    async def recording(*args: Any, **kwargs: Any) -> web.AppRunner:
        runner = await serve_health(*args, **kwargs)
        served.append(runner)
        return runner

    if host == "::1" and not _has_ipv6_loopback():
        pytest.skip("no IPv6 loopback here")
    monkeypatch.setattr(bot, "serve_health", recording)
    port = free_port()
    raw = {"PARTNERBOT_HEALTH_HOST": host} if host is not None else {}
    settings = config.load(
        {
            "ROCKETCHAT_URL": emu.url,
            "ROCKETCHAT_USER": "partnerbot",
            "ROCKETCHAT_PASSWORD": BOT_PASSWORD,
            "PARTNERBOT_DATA": str(tmp_path / "data"),
            "PARTNERBOT_HEALTH_PORT": str(port),
            **raw,
        }
    )
    running = asyncio.create_task(bot.serve_rocketchat(settings, SystemClock()))
    try:
        await emu.wait_until(lambda: emu.active_subscriptions("partnerbot") == 1, timeout=WAIT)
        [runner] = served
        assert {address[0] for address in runner.addresses} == bound
        url = f"http://{'[::1]' if host == '::1' else '127.0.0.1'}:{port}/healthz"
        async with aiohttp.ClientSession() as http, http.get(url) as answer:
            assert answer.status == 200
    finally:
        if callable(signal.getsignal(signal.SIGTERM)) and not running.done():
            os.kill(os.getpid(), signal.SIGTERM)  # the bot's own way to stop
        else:
            running.cancel()
    assert await asyncio.wait_for(running, WAIT) == 0


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


# --- private files -----------------------------------------------------------------------


@pytest.fixture(params=[0o000, 0o022, 0o277], ids=["umask 000", "umask 022", "umask 277"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


def _modes(root: Path) -> dict[str, tuple[int, int]]:
    """Each folder's and file's mode, and what it should be."""
    found = {}
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        found[str(path.relative_to(root))] = (mode, 0o700 if path.is_dir() else 0o600)
    return found


async def test_the_data_directory_is_private_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    root = tmp_path / "var" / "partnerbot"
    store = await Store.open(root, SCHEMA)
    now = Clock()()
    for seq in range(3):
        tx = store.begin("alice", now)
        tx.put("partners", {"id": f"p{seq}", "company": "x"}, what="made")
        tx.put("reports", {"partner": f"p{seq}", "month": "2026-11"}, what="filed")
        await tx.commit()
        if seq == 1:
            await store.checkpoint()  # shards, an audit segment, checkpoint.json
    await store.close(checkpoint=False)  # the last commit stays in the journal
    written = {"the data": _modes(root)}
    copy = tmp_path / "copy"
    source = await Store.open(root, SCHEMA)
    target = await Store.open(copy, SCHEMA)
    export = tmp_path / "export.json"
    with export.open("w") as out:
        await source.export(out)
    with export.open() as stream:
        await target.import_(stream)
    await source.close()
    await target.close()
    written["an import"] = _modes(copy)
    assert any(name.startswith("journal/") for name in written["the data"])
    for modes in written.values():
        assert {"lock", "checkpoint.json", "partners", "audit"} <= set(modes)
        assert any(name.startswith("reports/") for name in modes)
    loose = {
        f"{what}: {name}": oct(mode)
        for what, modes in written.items()
        for name, (mode, wanted) in modes.items()
        if mode != wanted
    }
    assert loose == {}, f"umask {umask:03o}"


# --- log lines ---------------------------------------------------------------------------


class _Dns:
    async def __call__(self, host: str, port: int) -> list[str]:
        if host == "intranet.test":
            return ["10.0.0.7"]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


async def _crash(_ctx: Context) -> None:
    """Fails (a test command)."""
    raise RuntimeError("boom")


CRASH = Command(
    name="crash",
    summary="fails",
    usage="",
    example="/crash",
    roles=frozenset({Role.ANYONE}),
    handler=_crash,
)
FORGED = "\nCRITICAL partnerbot: forged\r\n"


async def test_user_text_cannot_forge_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fetcher = PageFetcher(resolver=_Dns())
    for url in (
        f"http://intranet.test/{FORGED}",
        f"https://nowhere.test/{FORGED}",
        f"http://10.0.0.1/{FORGED}",
        f"gopher://x/{FORGED}",
        f"http://intranet.test{FORGED}/",
    ):
        await fetcher.check(url)
    store = await Store.open(None, SCHEMA)
    dispatcher = Dispatcher(
        Registry([CRASH]), store, Settings(), Clock(), BOT, FakeChat(), FakeWeb()
    )
    room = Room(f"room{FORGED}", RoomKind.DIRECT, "alice")
    await dispatcher.handle(Incoming(f"id{FORGED}", room, user("alice"), "/crash", Clock()()))
    await store.close()
    messages = [record.getMessage() for record in caplog.records]
    assert any("intranet.test" in message for message in messages)
    assert any("/crash failed" in message for message in messages)
    assert [m for m in messages if "\n" in m or "\r" in m] == []


# --- abandoned conversations ---------------------------------------------------------------


async def test_abandoned_conversations_are_swept_by_the_housekeeping() -> None:
    store = await Store.open(None, SCHEMA)
    clock = Clock()
    registry = Registry.discover()

    def dispatcher(me: Any, outbox: Outbox) -> Dispatcher:
        return Dispatcher(registry, store, Settings(), clock, me, FakeChat(), FakeWeb(), outbox)

    runner = Runner(QueueTransport(), store, dispatcher, clock)
    asking = dispatcher(BOT, Outbox())
    dm = Room("dm-bob", RoomKind.DIRECT, "bob")

    def said(number: int, text: str) -> Incoming:
        return Incoming(f"m{number}", dm, user("bob"), text, clock())

    outcome = await asking.handle(said(1, "/onboard"))  # asks for the company, one by one
    assert outcome.status == "done"
    tx = store.begin("partnerbot", clock())
    for who, at in [
        ("carol", (clock() - timedelta(minutes=10)).isoformat()),
        ("dave", "not a time"),
        ("erin", (clock() - CONVERSATION_IDLE + timedelta(minutes=1)).isoformat()),
    ]:
        doc = {"room": f"dm-{who}", "user": who, "command": "onboard", "state": {}, "at": at}
        tx.put("conversations", doc)
    await tx.commit()

    async def left() -> list[str]:
        return sorted([doc["user"] async for doc in store.scan("conversations")])

    await runner.housekeeping()
    assert await left() == ["bob", "carol", "erin"]  # dave's cannot be carried on: gone
    clock.advance(minutes=2)  # erin's is past its timeout now, but the last sweep is recent
    await runner.housekeeping()
    assert await left() == ["bob", "carol", "erin"]
    clock.advance(seconds=SWEEP_INTERVAL.total_seconds() - 120)
    await runner.housekeeping()
    assert await left() == ["bob", "carol"]
    clock.advance(minutes=26)  # bob has not answered for 31 minutes
    await runner.housekeeping()
    assert await left() == []
    answer = await asking.handle(said(2, "Acme Hosting"))  # no conversation to answer
    assert [out.text for out in answer.replies] == [DM_HINT]
    await store.close()

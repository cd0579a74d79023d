"""The bot's REST requests checked with the server's own request validators (issue 11, item 9).

Rocket.Chat validates the query and body of many endpoints with ajv functions that it
publishes in the npm package `@rocket.chat/rest-typings` (`isGroupsInviteProps`, ...). Every
emulator of the session records the requests it receives (tests/conftest.py); this test runs
last, adds a scenario of its own in which the real bot makes every kind of call it makes
(log in, rooms, replies, a workgroup made, a member added and removed, a file uploaded, the
partners' channel kept in step as a public channel and then as a private group, a catch-up
of a channel, a group and a DM after downtime, a reply found already sent), and
then has Node check each of the bot's requests with the validators of each pinned version
(tests/conformance/check.mjs). One refusal by one version fails it, and so does an endpoint
that no version validates and that `UNVALIDATED` does not list.

Node and npm come from Debian's packages (.ci/node.sh, run by .ci/run); the package versions
are fetched once into .cache/conformance/ (tests/conformance/setup.mjs). Without Node the test
fails under CI (CI=true) and is skipped elsewhere.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from chat.clock import Clock
from tests.botprocess import BOT_PASSWORD, ROOT, BotProcess
from tests.emulator import RocketChatEmulator
from tests.partners import onboarded
from workflows.onboarding import Partner

pytestmark = pytest.mark.slow
WAIT = 60.0
BOT = "partnerbot"
HERE = ROOT / "tests" / "conformance"
START = "2026-12-15T10:00:00+00:00"  # the bot's and the server's clock at the first start
CACHE = ROOT / ".cache" / "conformance"

# `@rocket.chat/rest-typings` version: the `@rocket.chat/core-typings` it loads. rest-typings
# takes three enums from core-typings (teams, omnichannel, VoIP: none of the bot's endpoints);
# no 7.x of core-typings is on the npm registry, so 7.13.9 gets 6.13.1's.
VERSIONS = {"6.13.1": "6.13.1", "7.13.9": "6.13.1", "8.8.1": "8.8.1"}

# Endpoints the bot calls that no pinned version validates, and why. A new endpoint without
# a validator fails the test until it is listed here.
UNVALIDATED = {
    "POST login": "the package's isLoginProps is not applied by the server (ApiClass.ts)",
    "GET me": "params typed inline, no validator",
    "GET rooms.get": "params typed inline, no validator",
    "GET channels.members": "params typed inline (PaginatedRequest<{roomId} | {roomName}>)",
    "POST rooms.media/:rid": "multipart form, params typed inline",
    "POST rooms.mediaConfirm/:rid/:fileId": "params typed inline, no validator",
    "POST rooms.upload/:rid": "multipart form, not in 8.x (called only after a 404 of rooms.media)",
}

# What the scenario below is written to make the bot call.
SCENARIO = {
    "POST login",
    "GET me",
    "GET subscriptions.get",
    "GET rooms.get",
    "POST chat.sendMessage",
    "GET chat.getMessage",
    "POST groups.create",
    "POST groups.invite",
    "POST groups.kick",
    "GET rooms.info",
    "POST channels.invite",
    "POST channels.kick",
    "GET channels.members",
    "GET groups.members",
    "POST rooms.media/:rid",
    "POST rooms.mediaConfirm/:rid/:fileId",
}


def node_tools() -> None:
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if not missing:
        return
    message = (
        f"{' and '.join(missing)} not found: the conformance test runs the server's validators "
        "with Node (.ci/node.sh installs Debian's nodejs and npm)"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def run_node(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["node", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


def import_partners(data: Path, partners: list[Partner]) -> None:
    dump = {
        "version": 1,
        "partners": [partner.to_doc() for partner in partners],
        "members": [
            {"username": contact, "partner": partner.id}
            for partner in partners
            for contact in partner.contacts
        ],
        "reports": [],
        "reviews": [],
        "audit": [],
    }
    source = data.parent / "import.json"
    source.write_text(json.dumps(dump))
    env = {"PATH": os.environ.get("PATH", ""), "PARTNERBOT_DATA": str(data)}
    subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "import", str(source)],
        env=env,
        cwd=data.parent,
        capture_output=True,
        timeout=60,
        check=True,
    )


async def scenario(emu: RocketChatEmulator, clock: Clock, data: Path) -> None:
    """The real bot, making every kind of REST call it makes."""
    clock.set(datetime.fromisoformat(START))
    today, last_month = clock().date(), "2026-11"
    for name in ("alice", "bob", "carol", "maria"):
        emu.add_user(name, "pw")
    lobby = emu.add_room("lobby", "c", [BOT, "alice", "maria"])
    group = emu.add_room("partner-acme-hosting", "p", [BOT, "alice", "maria"])
    channel = emu.add_room("partners", "c", ["maria", BOT])  # the partners' channel, maria's
    signed = date(2025, 1, 15)
    import_partners(
        data,
        [
            onboarded("acme-hosting", "Acme Hosting", "alice", signed, group.id),
            onboarded("globex", "Globex", "carol", signed, None, sign=False),
        ],
    )
    alice, maria = emu.dm("alice", BOT), emu.dm("maria", BOT)

    async def say(user: str, room: str, text: str) -> dict[str, Any]:
        command = await emu.post(user, room, text)
        return await emu.wait_for(
            lambda m: m["_id"].startswith(command["_id"] + "r") and m["rid"] == room, timeout=WAIT
        )

    bot = BotProcess(emu.url, data, PARTNERBOT_PARTNERS_CHANNEL="partners")
    await bot.start("--start-time", START)
    try:
        await emu.wait_until(lambda: emu.active_subscriptions(BOT) == 1, timeout=WAIT)
        # rooms.info and channels.members: the partners' channel checked at start
        await emu.wait_until(lambda: emu.rest_calls("channels.members") > 0, timeout=WAIT)
        # groups.create, and dm.create for the managers' DM
        contract = f"signed={today} term=12 support=yes fee=paid"
        await say("maria", maria.id, f"/approve globex contract {contract}")
        await emu.wait_until(lambda: emu.store.find_room("partner-globex") is not None, WAIT)
        # groups.invite, groups.kick
        await say("alice", group.id, "/contacts add @bob")
        await say("bob", emu.dm("bob", BOT).id, "/join acme-hosting")
        await emu.wait_until(lambda: emu.rest_calls("groups.invite") > 0, WAIT)
        await say("alice", group.id, "/contacts remove @bob")
        await emu.wait_until(lambda: emu.rest_calls("groups.kick") > 0, WAIT)
        # channels.invite and channels.kick: bob joins the partners' channel and leaves it
        await emu.wait_until(lambda: emu.rest_calls("channels.kick") > 0, WAIT)
        # rooms.media, rooms.mediaConfirm
        await say(
            "alice", group.id, f"/report {last_month} deal client=Foo amount=100 kind=hosting"
        )
        await say("alice", group.id, f"/report {last_month} submit")
        export = await say("maria", maria.id, f"/export reports {last_month}")
        assert "1 report" in export["msg"], export["msg"]
        assert emu.uploads(maria.id)
    finally:
        assert await bot.stop() == 0
    # Downtime: the catch-up reads the history of a channel, a group and a DM; the reply to
    # the DM's command is already there, as after a crash, which chat.getMessage finds.
    missed = [
        await emu.post("alice", lobby.id, "/help"),
        await emu.post("alice", group.id, "/help"),
        await emu.post("alice", alice.id, "/help"),
    ]
    store = emu.store
    sent = store.build_message(
        store.user(BOT),
        store.room(alice.id),
        "(sent before a crash)",
        {"_id": missed[-1]["_id"] + "r1"},
    )
    store.insert(sent)
    # The partners' channel made again, as a private group: groups.members at the next start
    store.room(channel.id).name = "partners-old"
    emu.add_room("partners", "p", ["maria", BOT])
    await bot.start("--start-time", clock().isoformat())
    try:
        wanted = {command["_id"] + "r1" for command in missed}
        await emu.wait_until(
            lambda: (
                wanted <= {m["_id"] for m in emu.sent_by(BOT)}
                and emu.rest_calls("chat.getMessage") > 0
                and emu.rest_calls("groups.members") > 0
            ),
            timeout=WAIT,
        )
    finally:
        assert await bot.stop() == 0


def bot_requests(record: Path) -> list[dict[str, Any]]:
    """The bot's requests: those of its user (a failed login has none: its body is the same
    as a successful one's)."""
    lines = record.read_text(encoding="utf-8").splitlines()
    return [entry for entry in map(json.loads, lines) if entry.get("user") == BOT]


def refusal_report(results: dict[str, Any]) -> list[str]:
    lines = []
    for version, rows in results.items():
        for key, row in rows.items():
            for example in row["examples"]:
                sent = {**(example["query"] or {}), **(example["body"] or {})}
                lines.append(
                    f"{version} {key}: {row['validator']} refuses {json.dumps(sent)}: "
                    f"{example['errors']}"
                )
    return lines


async def test_every_request_passes_the_servers_validators(
    rest_record: Path, tmp_path: Path
) -> None:
    node_tools()
    clock = Clock()
    async with RocketChatEmulator(record=rest_record, clock=lambda: clock().timestamp()) as emu:
        emu.add_user(BOT, BOT_PASSWORD, name="Partner Bot", roles=("bot",))
        await scenario(emu, clock, tmp_path / "data")
    requests = bot_requests(rest_record)
    recorded = {f"{r['method']} {r['route']}" for r in requests}
    assert recorded >= SCENARIO, f"the scenario did not call {sorted(SCENARIO - recorded)}"
    mine = tmp_path / "requests.jsonl"
    mine.write_text("".join(json.dumps(r) + "\n" for r in requests), encoding="utf-8")

    pins = [f"{rest}={core}" for rest, core in VERSIONS.items()]
    setup = await asyncio.to_thread(
        run_node, str(HERE / "setup.mjs"), str(CACHE), *pins, timeout=900
    )
    assert setup.returncode == 0, f"fetching @rocket.chat/rest-typings failed:\n{setup.stderr}"
    out = tmp_path / "results.json"
    routes = [arg for key in UNVALIDATED for arg in ("--route", key)]
    check = await asyncio.to_thread(
        run_node,
        str(HERE / "check.mjs"),
        "--cache",
        str(CACHE),
        "--requests",
        str(mine),
        "--json",
        str(out),
        *routes,
        *VERSIONS,
        timeout=300,
    )
    print(check.stdout)
    assert out.exists(), f"check.mjs failed:\n{check.stdout}\n{check.stderr}"
    results: dict[str, Any] = json.loads(out.read_text())["results"]

    refused = refusal_report(results)
    assert not refused, "refused by the server's validators:\n" + "\n".join(refused)
    assert check.returncode == 0, check.stderr

    def unvalidated_in_some_version(key: str) -> bool:
        return any(results[version][key]["validator"] is None for version in VERSIONS)

    unlisted = sorted(
        k for k in recorded if unvalidated_in_some_version(k) and k not in UNVALIDATED
    )
    assert not unlisted, f"no validator, and not in UNVALIDATED: {unlisted}"
    stale = sorted(k for k in UNVALIDATED if not unvalidated_in_some_version(k))
    assert not stale, f"every version validates these now; take them out of UNVALIDATED: {stale}"

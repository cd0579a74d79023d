"""Every reminder names only commands its reader may run: the workgroup's text the partners'
commands, the manager's the managers', as the command registry's role specs say."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from commands.report import VERBS as REPORT_VERBS
from engine.framework import Role
from engine.registry import Registry
from tests.partners import acme
from workflows.onboarding import State, Step, StepRecord, fresh_steps
from workflows.reminders import Audience, Kind, digests, due

REGISTRY = Registry.discover()
ZONE = ZoneInfo("UTC")
SIGNED = date(2026, 1, 31)  # a month's last day: the review dates move about

# The roles of who reads each audience's text (as the dispatcher gives them to a caller).
READERS = {
    Audience.WORKGROUP: frozenset({Role.ANYONE, Role.PARTNER}),  # the partner's contacts
    Audience.MANAGER: frozenset({Role.ANYONE, Role.MANAGER}),
}
# Forms of a command both roles may use that only one of them may give: a manager shows or
# reopens a partner's report; its contacts add to it and file it (commands/report.py).
ONLY = {
    ("report", Role.MANAGER): frozenset({"reopen"}),
    ("report", Role.PARTNER): REPORT_VERBS - {"reopen"},
}
QUOTED_COMMAND = re.compile(r"`/([a-z0-9]+)([^`]*)`")
BARE_COMMAND = re.compile(r"(?<![\w./:])/[a-zA-Z]")


def wrong_commands(text: str, roles: frozenset[Role]) -> list[str]:
    """What in `text` names a command (or a form of one) that a caller with `roles` may
    not run; every command named must be quoted, as `/name ...`, so that it is checked."""
    wrong = []
    for name, rest in QUOTED_COMMAND.findall(text):
        command = REGISTRY.get(name)
        if command is None:
            wrong.append(f"/{name} is not a command")
            continue
        if not command.allows(roles):
            wrong.append(f"/{name} is for {command.who()}")
            continue
        words = set(rest.lower().split())
        for (only_name, role), verbs in ONLY.items():
            if only_name == name and role not in roles and words & verbs:
                wrong.append(f"/{name} {' '.join(sorted(words & verbs))} is for {role}s only")
    if BARE_COMMAND.search(QUOTED_COMMAND.sub("", text)):
        wrong.append("a command is named without quotes")
    return wrong


def every_reminder_text() -> dict[tuple[Kind | str, Audience], list[str]]:
    """The texts of every reminder kind and every digest, by (kind, audience): a partner
    that files nothing, is reviewed never and pays nothing, day by day for 800 days."""
    steps = fresh_steps()
    steps[Step.GOALS] = StepRecord(State.SUBMITTED, datetime(2026, 1, 2, tzinfo=UTC), "alice")
    partner = acme(signed=SIGNED, steps=steps)
    texts: dict[tuple[Kind | str, Audience], list[str]] = {}
    for days in range(800):
        now = datetime.combine(SIGNED + timedelta(days=days), time(9), tzinfo=UTC)
        for reminder in due([partner], no, no, now, ZONE, 10):
            for audience, text in reminder.told():
                texts.setdefault((reminder.kind, audience), []).append(text)
        for digest in digests([partner], ["bob"], now, ZONE):
            texts.setdefault(("digest", Audience.MANAGER), []).append(digest.text)
    return texts


def no(*_args: object) -> bool:
    return False


def test_each_reminder_names_only_commands_its_reader_may_run() -> None:
    texts = every_reminder_text()
    assert {kind for kind, _audience in texts} == {*Kind, "digest"}  # every kind was seen
    wrong = {
        (kind, audience, text): problems
        for (kind, audience), told in texts.items()
        for text in dict.fromkeys(told)
        if (problems := wrong_commands(text, READERS[audience]))
    }
    assert wrong == {}


def test_the_check_finds_a_command_the_reader_may_not_run() -> None:
    partners, managers = READERS[Audience.WORKGROUP], READERS[Audience.MANAGER]
    assert wrong_commands("see it with `/review acme-hosting`", partners) == [
        "/review is for account managers"
    ]
    assert wrong_commands("file it with `/report 2026-10 submit`", managers) == [
        "/report submit is for partners only"
    ]
    assert wrong_commands("`/report acme-hosting 2026-10 reopen`", partners) == [
        "/report reopen is for managers only"
    ]
    assert wrong_commands("run /fee now", managers) == ["a command is named without quotes"]
    assert wrong_commands("`/nosuch`", managers) == ["/nosuch is not a command"]
    assert wrong_commands("`/report 2026-10 submit` and `/status`", partners) == []
    assert wrong_commands("`/review acme-hosting pass|warn|fail [notes]`", managers) == []

"""The command registry: discovery, duplicate names, complete specs."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from engine.framework import Command, Context, Role
from engine.registry import Registry, RegistryError


async def _noop(ctx: Context) -> None:
    """Does nothing."""


def _command(name: str = "ping", **changes: object) -> Command:
    fields: dict[str, object] = {
        "name": name,
        "summary": "answers pong",
        "usage": "",
        "example": f"/{name}",
        "roles": frozenset({Role.ANYONE}),
        "handler": _noop,
    }
    fields.update(changes)
    return Command(**fields)  # type: ignore[arg-type]


def test_discovery_finds_the_command_modules() -> None:
    registry = Registry.discover()
    assert registry.get("help") is not None
    assert registry.get("HELP") is registry.get("help")


def test_every_command_has_help_text_and_a_documented_handler() -> None:
    for command in Registry.discover():
        assert command.summary.strip()
        assert command.example_on(date(2026, 11, 26)).startswith(f"/{command.name}")
        assert command.handler.__doc__, f"/{command.name}'s handler has no docstring"


def test_two_commands_with_one_name_are_refused() -> None:
    with pytest.raises(RegistryError, match="two commands are named /ping"):
        Registry([_command(), _command()])


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"summary": " "}, "no summary"),
        ({"example": ""}, "no example"),
        ({"roles": frozenset()}, "no role"),
        ({"name": "Ping"}, "lower-case"),
    ],
)
def test_incomplete_specs_are_refused(changes: dict[str, Any], problem: str) -> None:
    with pytest.raises(RegistryError, match=problem):
        Registry([_command(**changes)])


def test_usable_by_filters_on_roles() -> None:
    registry = Registry([_command("ping"), _command("approve", roles=frozenset({Role.MANAGER}))])
    assert [c.name for c in registry.usable_by(frozenset({Role.ANYONE}))] == ["ping"]
    assert [c.name for c in registry.usable_by(frozenset({Role.ANYONE, Role.MANAGER}))] == [
        "approve",
        "ping",
    ]

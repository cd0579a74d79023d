"""The registry of chat commands: every module of the `commands` package that defines `SPEC`."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Iterator
from datetime import date
from types import ModuleType

from engine.framework import Command, Role
from engine.parsing import NAME

SAMPLE_DAY = date(2024, 2, 29)  # a day to make the examples with dates on, to check them


class RegistryError(RuntimeError):
    """Two commands share a name, or a spec is incomplete; raised at start-up."""


class Registry:
    """Commands by name; refuses two with one name."""

    def __init__(self, commands: Iterable[Command]) -> None:
        self._commands: dict[str, Command] = {}
        for command in commands:
            _check(command)
            if command.name in self._commands:
                raise RegistryError(f"two commands are named /{command.name}")
            self._commands[command.name] = command

    @classmethod
    def discover(cls, package: ModuleType | None = None) -> Registry:
        """All command modules of `package` (default: this `commands` package)."""
        if package is None:
            package = importlib.import_module("commands")
        modules = (
            importlib.import_module(f"{package.__name__}.{info.name}")
            for info in pkgutil.iter_modules(package.__path__)
        )
        return cls(
            module.SPEC for module in modules if isinstance(getattr(module, "SPEC", None), Command)
        )

    def get(self, name: str) -> Command | None:
        return self._commands.get(name.lower())

    def __iter__(self) -> Iterator[Command]:
        return iter(sorted(self._commands.values(), key=lambda command: command.name))

    def __len__(self) -> int:
        return len(self._commands)

    def usable_by(self, roles: frozenset[Role]) -> list[Command]:
        return [command for command in self if command.listed_for(roles)]


def _check(command: Command) -> None:
    if not NAME.match(command.name):
        raise RegistryError(f"/{command.name}: a command name is lower-case letters and digits")
    if not command.summary.strip():
        raise RegistryError(f"/{command.name} has no summary")
    if not command.example_on(SAMPLE_DAY).strip():
        raise RegistryError(f"/{command.name} has no example")
    if not command.example_on(SAMPLE_DAY, frozenset({Role.MANAGER})).strip():
        raise RegistryError(f"/{command.name} has no example for account managers")
    if not command.roles:
        raise RegistryError(f"/{command.name} names no role that may use it")

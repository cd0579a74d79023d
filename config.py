"""The configuration schema: every variable of SPEC §5, its default and its check, in one place.

Values come from the environment; a `.env` file fills in what the environment does not set.
`load()` returns a frozen `Settings` or raises `ConfigError` naming the first bad variable.
`config.example.env` mirrors `VARIABLES` (a test keeps the two in step).
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from i18n import LANGUAGES, language_tag

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(ValueError):
    """A variable is missing or bad; the message is one line that names it."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


def _url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{raw!r} is not an http(s) URL such as https://chat.example.com")
    if parts.query or parts.fragment:
        raise ValueError(f"{raw!r} must be a base URL without a query or fragment")
    return raw.rstrip("/")


def _text(raw: str) -> str:
    return raw.strip()


def _usernames(raw: str) -> frozenset[str]:
    names = [name.strip().lstrip("@") for name in raw.split(",")]
    if any(not name or " " in name for name in names):
        raise ValueError(f"{raw!r} is not a comma-separated list of usernames")
    return frozenset(name.lower() for name in names)


def _zone(raw: str) -> ZoneInfo:
    try:
        return ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{raw!r} is not an IANA time zone such as Europe/Berlin") from None


def _int_in(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"{raw!r} is not a whole number") from None
        if not low <= value <= high:
            raise ValueError(f"{value} is out of range: must be {low} to {high}")
        return value

    return parse


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in LOG_LEVELS:
        raise ValueError(f"{raw!r} is not one of {', '.join(LOG_LEVELS)}")
    return level


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")


def _host(raw: str) -> str:
    """An IP address or a host name to listen on."""
    try:
        ipaddress.ip_address(raw)
        return raw
    except ValueError:
        pass
    if len(raw) > 253 or not _HOST_NAME.fullmatch(raw):
        raise ValueError(f"{raw!r} is not an IP address or a host name such as 127.0.0.1")
    return raw


def _language(raw: str) -> str:
    """One of the offered languages, as users type it (`pt_BR` and `pt-br` are `pt-BR`)."""
    tag = language_tag(raw)
    # Only a tag that names the offered language itself (not `pt-PT` or `en-GB`, say).
    if tag is None or raw.strip().replace("_", "-").lower() not in _LANGUAGE_FORMS:
        raise ValueError(f"{raw!r} is not one of the offered languages: {', '.join(LANGUAGES)}")
    return tag


_LANGUAGE_FORMS = frozenset(tag.lower() for tag in LANGUAGES)


def _path(raw: str) -> Path:
    return Path(raw).expanduser()


@dataclass(frozen=True)
class Variable:
    """One environment variable: where it goes in `Settings`, its default and its parser."""

    name: str
    attr: str
    help: str
    parse: Callable[[str], Any]
    default: str | None = None  # None: not set unless given
    example: str = ""


VARIABLES: tuple[Variable, ...] = (
    Variable(
        "ROCKETCHAT_URL",
        "url",
        "server base URL; leave unset to use the local console",
        _url,
        example="https://chat.example.com",
    ),
    Variable(
        "ROCKETCHAT_USER",
        "user",
        "the bot's username (with ROCKETCHAT_PASSWORD)",
        _text,
        example="partnerbot",
    ),
    Variable("ROCKETCHAT_PASSWORD", "password", "the bot's password", _text, example="change-me"),
    Variable(
        "ROCKETCHAT_USER_ID",
        "user_id",
        "or: the bot's user id (with ROCKETCHAT_TOKEN)",
        _text,
        example="aBcD1234",
    ),
    Variable(
        "ROCKETCHAT_TOKEN",
        "token",
        "a personal access token of the bot",
        _text,
        example="pat-token",
    ),
    Variable(
        "PARTNERBOT_MANAGERS",
        "managers",
        "comma-separated usernames of the account managers",
        _usernames,
        example="maria,joao",
    ),
    Variable(
        "PARTNERBOT_MANAGER_ROOM",
        "manager_room",
        "channel or private group name for account-manager notifications (else DMs)",
        _text,
        example="partner-ams",
    ),
    Variable(
        "PARTNERBOT_PARTNERS_CHANNEL",
        "partners_channel",
        "channel or private group name whose members the bot keeps to the active partners' "
        "contacts (unset: none)",
        _text,
        example="partners",
    ),
    Variable("PARTNERBOT_DATA", "data", "where the data lives", _path, default="./data"),
    Variable(
        "PARTNERBOT_TIMEZONE", "timezone", "IANA zone for reminders and dates", _zone, default="UTC"
    ),
    Variable(
        "PARTNERBOT_REPORT_DUE_DAY",
        "report_due_day",
        "day of the month monthly reports are due, 1 to 28",
        _int_in(1, 28),
        default="10",
    ),
    Variable(
        "PARTNERBOT_REGISTRATION_DAYS",
        "registration_days",
        "how many days a prospect in a filed report registers its client for the partner",
        _int_in(1, 3650),
        default="90",
    ),
    Variable(
        "PARTNERBOT_HEALTH_PORT",
        "health_port",
        "serve /healthz and /metrics on this port",
        _int_in(1, 65535),
        example="8080",
    ),
    Variable(
        "PARTNERBOT_HEALTH_HOST",
        "health_host",
        "the address /healthz and /metrics listen on (0.0.0.0 or :: for every interface)",
        _host,
        default="127.0.0.1",
    ),
    Variable(
        "PARTNERBOT_CATCHUP_HOURS",
        "catchup_hours",
        "how far back to fetch messages missed while the bot was down",
        _int_in(0, 720),
        default="24",
    ),
    Variable(
        "PARTNERBOT_LANGUAGE",
        "language",
        "the language of the managers' room and of anyone whose language is not known",
        _language,
        default="en",
    ),
    Variable(
        "PARTNERBOT_REFERRAL_HOURS",
        "referral_hours",
        "hours a partner has to accept or decline a referral before it goes to the next match",
        _int_in(1, 720),
        default="48",
    ),
    Variable("PARTNERBOT_LOG_LEVEL", "log_level", "log level", _log_level, default="INFO"),
)


@dataclass(frozen=True)
class Settings:
    """The checked configuration. Build it with `load()` or `Settings()` in tests."""

    url: str | None = None
    user: str | None = None
    password: str | None = None
    user_id: str | None = None
    token: str | None = None
    managers: frozenset[str] = field(default_factory=frozenset)
    manager_room: str | None = None
    partners_channel: str | None = None
    data: Path = Path("data")
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    report_due_day: int = 10
    registration_days: int = 90
    health_port: int | None = None
    health_host: str = "127.0.0.1"
    catchup_hours: int = 24
    language: str = "en"
    referral_hours: int = 48
    log_level: str = "INFO"

    @property
    def has_server(self) -> bool:
        return self.url is not None


def _check_login(values: Mapping[str, Any]) -> None:
    pairs = (("ROCKETCHAT_USER", "ROCKETCHAT_PASSWORD"), ("ROCKETCHAT_USER_ID", "ROCKETCHAT_TOKEN"))
    for first, second in pairs:
        if (values.get(first) is None) != (values.get(second) is None):
            given, missing = (first, second) if values.get(first) is not None else (second, first)
            raise ConfigError(missing, f"is required when {given} is set")
    has_login = any(values.get(name) is not None for pair in pairs for name in pair)
    if values.get("ROCKETCHAT_URL") is not None and not has_login:
        raise ConfigError(
            "ROCKETCHAT_USER",
            "a login is required with ROCKETCHAT_URL: set ROCKETCHAT_USER and ROCKETCHAT_PASSWORD,"
            " or ROCKETCHAT_USER_ID and ROCKETCHAT_TOKEN",
        )
    if has_login and values.get("ROCKETCHAT_URL") is None:
        raise ConfigError("ROCKETCHAT_URL", "is required when a login is set")


def read_environment(env_file: Path | None = Path(".env")) -> dict[str, str]:
    """The raw variables: the `.env` file first, the real environment winning."""
    raw: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        raw.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    raw.update(os.environ)
    return raw


def load(raw: Mapping[str, str]) -> Settings:
    """Check every variable of `VARIABLES` in `raw`; an empty value counts as unset."""
    values: dict[str, Any] = {}
    for var in VARIABLES:
        text: str | None = raw.get(var.name, "").strip()
        if text == "":  # an empty value, as config.example.env has them, counts as unset
            text = var.default
        if text is None:
            values[var.name] = None
            continue
        try:
            values[var.name] = var.parse(text)
        except ValueError as err:
            raise ConfigError(var.name, str(err)) from None
    _check_login(values)
    return Settings(
        **{var.attr: values[var.name] for var in VARIABLES if values[var.name] is not None}
    )


def describe(settings: Settings) -> list[str]:
    """One line per variable, secrets masked, for `bot.py check-config`."""
    lines = []
    for var in VARIABLES:
        value = getattr(settings, var.attr)
        if value is None:
            shown = "(not set)"
        elif var.attr in ("password", "token"):
            shown = "(set)"
        elif isinstance(value, frozenset):
            shown = ",".join(sorted(value)) or "(none)"
        else:
            shown = str(value)
        lines.append(f"{var.name}={shown}")
    return lines

"""The configuration schema: defaults, checks, one line naming a bad variable, .env."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import config
from config import ConfigError, load

ROOT = Path(__file__).resolve().parent.parent
SERVER = {
    "ROCKETCHAT_URL": "https://chat.example.com",
    "ROCKETCHAT_USER": "partnerbot",
    "ROCKETCHAT_PASSWORD": "secret",
}


def test_defaults() -> None:
    settings = load({})
    assert settings.url is None
    assert not settings.has_server
    assert settings.data == Path("data")
    assert settings.timezone == ZoneInfo("UTC")
    assert settings.report_due_day == 10
    assert settings.health_port is None
    assert settings.catchup_hours == 24
    assert settings.managers == frozenset()
    assert settings.log_level == "INFO"
    assert settings.language == "en"


def test_a_full_configuration() -> None:
    settings = load(
        {
            **SERVER,
            "PARTNERBOT_MANAGERS": "Maria, @joao",
            "PARTNERBOT_TIMEZONE": "Europe/London",
            "PARTNERBOT_REPORT_DUE_DAY": "28",
            "PARTNERBOT_HEALTH_PORT": "8080",
            "PARTNERBOT_LOG_LEVEL": "debug",
            "ROCKETCHAT_URL": "https://chat.example.com/",
        }
    )
    assert settings.url == "https://chat.example.com"
    assert settings.managers == {"maria", "joao"}
    assert settings.timezone == ZoneInfo("Europe/London")
    assert settings.report_due_day == 28
    assert settings.health_port == 8080
    assert settings.log_level == "DEBUG"


def test_a_token_login() -> None:
    settings = load(
        {
            "ROCKETCHAT_URL": "http://127.0.0.1:3000",
            "ROCKETCHAT_USER_ID": "abc",
            "ROCKETCHAT_TOKEN": "t",
        }
    )
    assert (settings.user_id, settings.token) == ("abc", "t")


@pytest.mark.parametrize(
    ("env", "variable", "problem"),
    [
        ({"PARTNERBOT_TIMEZONE": "Mars/Base"}, "PARTNERBOT_TIMEZONE", "time zone"),
        ({"PARTNERBOT_REPORT_DUE_DAY": "31"}, "PARTNERBOT_REPORT_DUE_DAY", "1 to 28"),
        ({"PARTNERBOT_REPORT_DUE_DAY": "ten"}, "PARTNERBOT_REPORT_DUE_DAY", "whole number"),
        ({**SERVER, "ROCKETCHAT_URL": "ftp://x"}, "ROCKETCHAT_URL", "http(s) URL"),
        (
            {"ROCKETCHAT_URL": "https://x", "ROCKETCHAT_PASSWORD": "pw"},
            "ROCKETCHAT_USER",
            "required",
        ),
        (
            {"ROCKETCHAT_URL": "https://x", "ROCKETCHAT_USER_ID": "id"},
            "ROCKETCHAT_TOKEN",
            "required",
        ),
        ({"ROCKETCHAT_URL": "https://x"}, "ROCKETCHAT_USER", "login is required"),
        ({"ROCKETCHAT_USER": "bot", "ROCKETCHAT_PASSWORD": "pw"}, "ROCKETCHAT_URL", "required"),
        ({"PARTNERBOT_HEALTH_PORT": "70000"}, "PARTNERBOT_HEALTH_PORT", "out of range"),
        ({"PARTNERBOT_LOG_LEVEL": "loud"}, "PARTNERBOT_LOG_LEVEL", "one of"),
        ({"PARTNERBOT_MANAGERS": "maria,,joao"}, "PARTNERBOT_MANAGERS", "usernames"),
        ({"PARTNERBOT_LANGUAGE": "klingon"}, "PARTNERBOT_LANGUAGE", "en, pt-BR, es"),
        ({"PARTNERBOT_LANGUAGE": "pt-PT"}, "PARTNERBOT_LANGUAGE", "offered languages"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], variable: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(env)
    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"{variable}: ")
    assert problem in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "language"),
    [("en", "en"), ("pt-BR", "pt-BR"), ("pt_BR", "pt-BR"), ("pt-br", "pt-BR"), (" ES ", "es")],
)
def test_the_language_is_one_of_the_offered_ones(raw: str, language: str) -> None:
    assert load({"PARTNERBOT_LANGUAGE": raw}).language == language


def test_the_environment_wins_over_the_env_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("PARTNERBOT_REPORT_DUE_DAY=5\nPARTNERBOT_TIMEZONE=Europe/Berlin\n")
    monkeypatch.setenv("PARTNERBOT_REPORT_DUE_DAY", "7")
    monkeypatch.delenv("PARTNERBOT_TIMEZONE", raising=False)
    settings = load(config.read_environment(env_file))
    assert settings.report_due_day == 7
    assert settings.timezone == ZoneInfo("Europe/Berlin")


def test_the_example_file_lists_every_variable_with_a_comment() -> None:
    lines = (ROOT / "config.example.env").read_text().splitlines()
    listed = [line.split("=", 1)[0] for line in lines if re.match(r"[A-Z_]+=", line)]
    assert listed == [var.name for var in config.VARIABLES]
    for index, line in enumerate(lines):
        if re.match(r"[A-Z_]+=", line):
            previous = [entry for entry in lines[:index] if entry.strip()]
            assert previous[-1].startswith("#") or re.match(r"[A-Z_]+=", previous[-1])


def test_example_values_pass_their_checks() -> None:
    for var in config.VARIABLES:
        if var.example:
            var.parse(var.example)


def _bot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_bad_value_stops_the_bot_with_status_2(tmp_path: Path) -> None:
    result = _bot("check-config", env={"PARTNERBOT_TIMEZONE": "Mars/Base"}, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "PARTNERBOT_TIMEZONE" in lines[0] and "Mars/Base" in lines[0]


def test_check_config_says_what_it_found(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PARTNERBOT_MANAGERS=maria\n")
    result = _bot("check-config", env={}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "PARTNERBOT_MANAGERS=maria" in result.stdout
    assert "ROCKETCHAT_PASSWORD=(not set)" in result.stdout
    assert "warning" not in result.stdout


def test_check_config_warns_when_nobody_can_approve(tmp_path: Path) -> None:
    result = _bot("check-config", env={}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "PARTNERBOT_MANAGERS is empty: nobody can approve anything" in result.stdout

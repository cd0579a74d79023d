"""The local console end to end: `python bot.py console` with input piped in."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from commands.language import NAMES, offered
from i18n import _, speaking
from tests.botprocess import ROOT, child_env


def console(script: str, data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = child_env(PARTNERBOT_DATA=str(data), PARTNERBOT_MANAGERS="maria")
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "console", *args],
        input=script,
        env=env,
        cwd=data.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_help_piped_in(tmp_path: Path) -> None:
    result = console("/help\n", tmp_path / "data", "--as", "alice")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("partnerbot console: you are @alice")
    assert lines[1] == "partnerbot> Commands you can use:"
    assert "/help [command]" in lines[2]


def test_a_scripted_session(tmp_path: Path) -> None:
    script = (
        "\n".join(
            [
                "hello?",
                "/nope",
                ":room acme",
                "chatting in the room",
                "@partnerbot help help",
                ":as maria",
                ":dm",
                "/HELP",
                ":bogus",
            ]
        )
        + "\n"
    )
    result = console(script, tmp_path / "data")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "partnerbot> I only understand commands. Type /help" in out
    assert "partnerbot> I don't know `/nope`." in out
    assert "(you are @you in #acme)" in out
    assert "chatting" not in out.split("(you are @you in #acme)")[1].split("(you are")[0]
    assert "partnerbot> `/help [command]`" in out
    assert "(you are @maria in DM of @maria)" in out
    assert "unknown console command ':bogus'" in out
    assert out.count("partnerbot> ") == 4


def test_what_the_console_did_is_stored(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert console("/help\nhi\n", data).returncode == 0
    exported = subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "export"],
        env=child_env(PARTNERBOT_DATA=str(data)),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    dump = json.loads(exported.stdout)
    assert dump["version"] == 1
    assert {"partners", "reports", "reviews", "audit"} <= dump.keys()
    assert len(dump["seen"]) == 2
    assert dump["outbox"] == []  # every reply was delivered, then forgotten


def test_time_moves_the_clock_and_sends_what_is_due(tmp_path: Path) -> None:
    from tests.test_reminders_e2e import load, signed

    data = tmp_path / "data"
    load(data, [signed("acme", "alice", "room-partner-acme")])
    script = (
        ":time 2026-12-01T08:59\n"
        ":time 2026-12-01T09:00\n"
        ":time 2026-12-01T10:00\n"
        ":time 2026-12-07T09:00\n"
        ":time soon\n"
        ":time\n"
    )
    # Started the day before: nothing is due yet, so nothing goes out at start-up.
    start = "2026-11-30T12:00:00+00:00"
    result = console(script, data, "--as", "maria", "--start-time", start)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.index("(the time is 2026-12-01 08:59 UTC)") < out.index("partnerbot> ")
    opened = "[#partner-acme] partnerbot> The sales report for 2026-11 is open"
    assert out.count(opened) == 1
    assert out.index("(the time is 2026-12-01 09:00 UTC)") < out.index(opened)
    assert out.count("partnerbot> The sales report for 2026-11 is due on 2026-12-10") == 1
    assert "'soon' is not a time" in out
    assert "(the time is 2026-12-07 09:00 UTC)" in out.splitlines()[-1]


def test_the_log_does_not_interleave_with_the_chat(tmp_path: Path) -> None:
    """`bot.py` with no server is the console; at INFO it would say so, and log each
    reminder run, between the lines of the chat."""
    from tests.test_reminders_e2e import load, signed

    data = tmp_path / "data"
    load(data, [signed("acme", "alice", "room-partner-acme")])
    env = child_env(PARTNERBOT_DATA=str(data), PARTNERBOT_LOG_LEVEL="INFO")
    result = subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "run", "--start-time", "2026-11-30T12:00:00+00:00"],
        input=":time 2026-12-01T09:00\n/help\n",
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "The sales report for 2026-11 is open" in result.stdout  # a reminder run happened
    assert " INFO " not in result.stderr


def test_lang_sets_the_consoles_language(tmp_path: Path) -> None:
    """`--lang pt_BR`: the console's users read Portuguese, the console's own lines too;
    the texts expected are made with the catalogs (Portuguese once they have it)."""
    result = console(":lang\n/language\n", tmp_path / "data", "--lang", "pt_BR")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    with speaking("pt-BR"):
        assert lines[1] == _("(the language is {language}; offered: {languages})").format(
            language="pt-BR", languages="en, pt-BR, es"
        )
        shown = _(
            "I write to you in {name} (`{tag}`). Languages offered: {languages}.\n"
            "Change it with `/language <language>`, e.g. `/language {example}`."
        ).format(name=NAMES["pt-BR"], tag="pt-BR", languages=offered(), example="en")
    assert lines[2] == "partnerbot> " + shown.splitlines()[0]
    assert "Português (Brasil) (`pt-BR`)" in lines[2]


def test_lang_refuses_a_language_not_offered(tmp_path: Path) -> None:
    result = console("", tmp_path / "data", "--lang", "klingon")
    assert result.returncode == 2
    assert "'klingon' is not one of en, pt-BR, es" in result.stderr

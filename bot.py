"""partnerbot's front door: the command line, the configuration, and the wiring.

python bot.py [run]                              serve Rocket.Chat (the console when no
                                                 server is configured)
python bot.py run --start-time 2026-12-01T08:59:50+00:00
                                                 the same, with the clock started there
                                                 (for tests of the reminders)
python bot.py console [--as USER] [--room ROOM] [--lang pt-BR]
                                                 a local chat in the terminal (it takes
                                                 --start-time too)
python bot.py check-config                       check the configuration and the login
python bot.py export                             all data as JSON on stdout (bot stopped)
python bot.py backup FILE                        the same into FILE, also while the bot runs
python bot.py import FILE                        load such a file into an empty data dir
python bot.py directory                          the active partners' public profiles as
                                                 JSON on stdout (bot stopped; while it runs,
                                                 GET /directory.json on the health port)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

import config
from chat.base import ChatActions, ChatError, Transport, User
from chat.clock import Clock
from chat.console import Console
from chat.health import serve_health
from chat.rest import Credentials, Rest, RestError, Unauthorized
from chat.rocketchat import RocketChat
from chat.web import PageFetcher
from commands import figures
from commands.channel import ChannelCheck
from commands.integrity import ImportRefused, check_export
from commands.quarterly import QuarterlySummary, in_turn
from commands.referring import Expiry, directory_of
from commands.reminding import Reminders
from engine.audience import managers_room
from engine.dispatch import Dispatcher
from engine.languages import LanguageBook
from engine.outbox import Outbox
from engine.registry import Registry
from engine.runner import Runner
from engine.schedule import Schedule
from i18n import LANGUAGES, language_tag
from storage import SCHEMA, StorageError, Store, backup

EXIT_CONFIG = 2
log = logging.getLogger("partnerbot")


def main(argv: list[str] | None = None) -> int:
    args = _arguments().parse_args(argv)
    try:
        settings = config.load(config.read_environment(args.env_file))
    except config.ConfigError as err:
        print(f"partnerbot: configuration error: {err}", file=sys.stderr)
        return EXIT_CONFIG
    console = args.command == "console" or (args.command == "run" and not settings.has_server)
    logging.basicConfig(
        # In the console the log shares the terminal with the chat: only what needs a look.
        level=max(logging.WARNING, logging.getLevelName(settings.log_level))
        if console
        else settings.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if settings.log_level != "DEBUG":  # its every start and job run, not news at INFO
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    clock = Clock()
    if args.start_time is not None:
        clock.set(args.start_time)
    try:
        match args.command:
            case "check-config":
                return check_config(settings)
            case "export":
                return asyncio.run(export(settings))
            case "directory":
                return asyncio.run(print_directory(settings))
            case "backup":
                asyncio.run(backup(settings.data, SCHEMA, args.file))
                print(f"backed up {settings.data} to {args.file}")
                return 0
            case "import":
                return asyncio.run(import_(settings, args.file))
            case "console":
                return asyncio.run(serve_console(settings, clock, args.user, args.room, args.lang))
            case _:
                if not settings.has_server:
                    log.warning("ROCKETCHAT_URL is not set: starting the local console")
                    return asyncio.run(
                        serve_console(settings, clock, args.user, args.room, args.lang)
                    )
                return asyncio.run(serve_rocketchat(settings, clock))
    except StorageError as err:
        print(f"partnerbot: storage error: {err}", file=sys.stderr)
        return 1
    except Unauthorized as err:
        print(f"partnerbot: the server refused the bot's login: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bot.py", description="partnerbot, a partner-program bot")
    parser.add_argument(
        "--env-file",
        type=Path,
        default=Path(".env"),
        help="the .env file to read (default: ./.env)",
    )
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser("run", help="serve Rocket.Chat (the console without a server)")
    console = commands.add_parser("console", help="a local chat in the terminal")
    for sub in (run, console):
        sub.add_argument("--as", dest="user", default="you", help="the user you speak as")
        sub.add_argument("--room", default=None, help="the room you speak in (default: a DM)")
        sub.add_argument(
            "--lang",
            type=_language,
            default=None,
            help="in the console: the language its users chose, en, pt-BR or es "
            "(default: PARTNERBOT_LANGUAGE)",
        )
        sub.add_argument(
            "--start-time",
            type=_moment,
            default=None,
            help="start the bot's clock at this ISO time with its offset, for tests "
            "(default: the system's time)",
        )
    commands.add_parser("check-config", help="check the configuration and the login")
    commands.add_parser("export", help="write all data as JSON to stdout (the bot stopped)")
    commands.add_parser(
        "directory", help="the active partners' public profiles as JSON (the bot stopped)"
    )
    copy = commands.add_parser(
        "backup", help="write all data as an export to FILE, also while the bot runs"
    )
    copy.add_argument("file", type=Path)
    load = commands.add_parser("import", help="load an export into an empty data directory")
    load.add_argument("file", type=Path)
    parser.set_defaults(command="run", user="you", room=None, start_time=None, lang=None)
    return parser


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs its offset, e.g. {text}+00:00")
    return moment


def _language(text: str) -> str:
    tag = language_tag(text)
    if tag is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not one of {', '.join(LANGUAGES)}")
    return tag


def check_config(settings: config.Settings) -> int:
    for line in config.describe(settings):
        print(line)
    print("configuration: good")
    if not settings.managers:
        print("warning: PARTNERBOT_MANAGERS is empty: nobody can approve anything")
    if settings.url is None:
        print("no ROCKETCHAT_URL: `python bot.py` starts the local console")
        return 0
    rest = Rest(settings.url, _credentials(settings), Clock())
    try:
        me = asyncio.run(rest.login())
    except (RestError, Unauthorized) as err:
        print(f"login to {settings.url}: failed: {err}")
        return 1
    print(f"login to {settings.url}: good, as @{me.username} ({me.id})")
    return 0


async def export(settings: config.Settings) -> int:
    store = await Store.open(settings.data, SCHEMA)
    try:
        await store.export(sys.stdout)
    finally:
        await store.close()
    return 0


async def print_directory(settings: config.Settings) -> int:
    """The active partners' public profiles (company, type, country, website, services,
    countries and languages served), for the vendor's website."""
    store = await Store.open(settings.data, SCHEMA)
    try:
        profiles = await directory_of(store)
    finally:
        await store.close()
    json.dump({"partners": profiles}, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


async def directory_json(store: Store) -> dict[str, object]:
    """What `/directory.json` serves."""
    return {"partners": await directory_of(store)}


async def import_(settings: config.Settings, file: Path) -> int:
    """Check the whole file first (`commands.integrity`), then load it: a file the bot
    could not have written is refused with one line, before the data directory is opened."""
    try:
        with file.open(encoding="utf-8") as stream:
            await check_export(stream)
    except ImportRefused as err:
        print(f"partnerbot: import refused, nothing written: {err}", file=sys.stderr)
        return 1
    except (OSError, UnicodeDecodeError) as err:
        print(f"partnerbot: import: cannot read {file}: {err}", file=sys.stderr)
        return 1
    store = await Store.open(settings.data, SCHEMA)
    try:
        with file.open(encoding="utf-8") as stream:
            await store.import_(stream)
    finally:
        await store.close()
    print(f"imported {file} into {settings.data}")
    return 0


async def serve_console(
    settings: config.Settings,
    clock: Clock,
    user: str,
    room: str | None,
    language: str | None = None,
) -> int:
    """`language`: the console users' (`--lang`), by default `PARTNERBOT_LANGUAGE`."""
    console = Console(
        user, room, clock, zone=settings.timezone, language=language or settings.language
    )
    runner, _reminders, schedule, languages = await _runner(settings, console, clock)
    console.settle = runner.drain
    console.on_time_moved = schedule.moved
    console.on_language_changed = languages.forget
    try:
        await runner.run()
    except StorageError:
        await _close_after_failure(runner.store)
        raise
    finally:
        await runner.store.close()
    return 0


async def serve_rocketchat(settings: config.Settings, clock: Clock) -> int:
    assert settings.url is not None
    transport = RocketChat(
        settings.url,
        _credentials(settings),
        clock,
        catchup=timedelta(hours=settings.catchup_hours),
    )
    runner, reminders, _schedule, _languages = await _runner(settings, transport, clock)
    if settings.manager_room is not None:
        runner.services.append(partial(_find_manager_room, transport, settings))
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, transport.stop)
    health = None
    if settings.health_port is not None:
        health = await serve_health(
            settings.health_port,
            problem=partial(health_problem, lambda: transport.health.ready, runner.store),
            metrics=lambda: _metrics(runner, transport, reminders),
            host=settings.health_host,
            directory=partial(directory_json, runner.store),
        )
    try:
        await runner.run()
    except StorageError:
        await _close_after_failure(runner.store)
        raise
    finally:
        if health is not None:
            await health.cleanup()
        await runner.store.close()  # (once closed, closing again does nothing)
    return 0


async def _close_after_failure(store: Store) -> None:
    """Let the data directory go after the runner stopped on a failed write: the error to
    report is the runner's, which says what failed, not the store's refusal to checkpoint."""
    try:
        await store.close()
    except StorageError as err:
        log.debug("closing the store after its failure: %s", err)


def health_problem(connected: Callable[[], bool], store: Store) -> str | None:
    """Why `/healthz` answers 503, or None for 200: a store that takes no more writes (from
    the failed write on, until the bot has stopped), or no connection to the server."""
    if store.failure is not None:
        return "a write to the data directory failed; the bot is stopping (see its log)"
    if not connected():
        return "not connected to Rocket.Chat"
    return None


async def _find_manager_room(chat: ChatActions, settings: config.Settings) -> None:
    """Say at start-up which room `PARTNERBOT_MANAGER_ROOM` is, by its id, for the operator
    to check: a channel or private group of that name that the bot is in and that an
    account manager created (`managers_room` logs why another is not used)."""
    name = settings.manager_room
    try:
        room_id = await chat.room_named(name) if name is not None else None
        trusted = await managers_room(chat, settings)
    except (ChatError, RestError) as err:
        log.warning("PARTNERBOT_MANAGER_ROOM %s: cannot look it up now (%s)", name, err)
        return
    if room_id is None:
        log.warning(
            "PARTNERBOT_MANAGER_ROOM %s: the bot is in no channel or private group of that "
            "name; the account managers get direct messages instead",
            name,
        )
    elif trusted is not None:
        log.info("PARTNERBOT_MANAGER_ROOM %s is the room %s", name, room_id)


async def _metrics(runner: Runner, transport: RocketChat, reminders: Reminders) -> str:
    return runner.metrics.render(
        gauges={
            "outbox_depth": await runner.store.count("outbox"),
            "store_failed": int(runner.store.failure is not None),
            "reminders_deferred": reminders.deferred,
        },
        counters={
            "reconnects_total": transport.health.reconnects,
            "rate_limited_total": transport.rest.rate_limited,
            "reminders_sent_total": reminders.sent_total,
        },
    )


def _credentials(settings: config.Settings) -> Credentials:
    return Credentials(
        user=settings.user,
        password=settings.password,
        user_id=settings.user_id,
        token=settings.token,
    )


async def _runner(
    settings: config.Settings, transport: Transport, clock: Clock
) -> tuple[Runner, Reminders, Schedule, LanguageBook]:
    """The runner, with the reminders' schedule and the start-up list of partners whose
    manager is no longer one as its services; and the book of everyone's languages."""
    store = await Store.open(settings.data, SCHEMA)
    registry = Registry.discover()
    web = PageFetcher()
    languages = LanguageBook(store, transport, settings.language, clock)

    def make_dispatcher(me: User, outbox: Outbox) -> Dispatcher:
        return Dispatcher(
            registry, store, settings, clock, me, transport, web, outbox, languages=languages
        )

    # Handled ids are kept a day longer than the catch-up window reaches back.
    seen_kept = timedelta(hours=settings.catchup_hours, days=1)
    runner = Runner(transport, store, make_dispatcher, clock, seen_kept)
    reminders = Reminders(store, settings, clock, transport, runner.post, languages)
    quarterly = QuarterlySummary(store, settings, clock, transport, runner.post, languages)
    channel = ChannelCheck(store, settings, clock, transport, runner.post, languages)

    # daily at the reminders' hour, each even if one before it failed
    jobs = in_turn(reminders.send_due, quarterly.send_due, channel.check)
    schedule = Schedule(jobs, settings.timezone, clock)
    expiry = Expiry(store, settings, clock, reminders, runner.post, lambda: transport.me.username)
    offers = Schedule(
        expiry.run, settings.timezone, clock, name="referral expiry", hour="*", minute="*/10"
    )
    schedule.followers.append(offers)  # the console's `:time` moves both

    async def warm_stats() -> None:
        await figures.warm(store, clock().astimezone(settings.timezone).date())

    runner.services += [schedule.run, offers.run, reminders.announce_orphans, warm_stats]
    return runner, reminders, schedule, languages


if __name__ == "__main__":
    sys.exit(main())

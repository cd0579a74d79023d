"""The dispatcher: one place for the checks before a handler, and exactly-once bookkeeping."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from chat.base import Incoming
from commands.help import SPEC as HELP
from config import Settings
from engine.dispatch import DM_HINT, Dispatcher
from engine.framework import Command, Context, Refused, Role, UsageError
from engine.registry import Registry
from storage import SCHEMA, Store
from tests.fakes import BOT, DM, GROUP, Clock, FakeChat, FakeWeb, message

SETTINGS = Settings(managers=frozenset({"maria"}))


async def _approve(ctx: Context) -> None:
    """Marks a partner approved (a test command)."""
    partner = ctx.word(0, "the partner id")
    if partner == "nobody":
        raise Refused("There is no partner nobody.")
    ctx.tx.put("members", {"username": partner, "partner": partner}, what="approve")
    if ctx.args.options.get("fail") == "usage":
        raise UsageError("fail=usage was given")
    if ctx.args.options.get("fail") == "crash":
        raise RuntimeError("boom")
    ctx.reply(f"approved {partner}")


APPROVE = Command(
    name="approve",
    summary="approves a partner",
    usage="<partner-id>",
    example="/approve acme",
    roles=frozenset({Role.MANAGER}),
    handler=_approve,
    options=frozenset({"fail"}),
)


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    store = await Store.open(None, SCHEMA)
    yield store
    await store.close()


async def _ask(ctx: Context) -> None:
    """Asks for a name, then a colour (a test conversation)."""
    ctx.converse({"asking": "name"})
    ctx.reply("Your name?")


async def _answer(ctx: Context) -> None:
    """Takes the answers of /ask."""
    assert ctx.conversation is not None
    text = ctx.message.text.strip()
    if ctx.conversation["asking"] == "name":
        if not text.isalpha():
            raise UsageError("a name is letters only")
        ctx.converse({"asking": "colour", "name": text})
        ctx.reply("Your colour?")
        return
    ctx.tx.put("members", {"username": ctx.conversation["name"], "partner": text})
    ctx.end_conversation()
    ctx.reply("Noted.")


ASK = Command(
    name="ask",
    summary="asks two questions",
    usage="",
    example="/ask",
    roles=frozenset({Role.ANYONE}),
    handler=_ask,
    answer=_answer,
    private=False,  # it shows nothing of anyone: answered where it is typed
)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def dispatcher(store: Store, clock: Clock) -> Dispatcher:
    return Dispatcher(
        Registry([HELP, APPROVE, ASK]), store, SETTINGS, clock, BOT, FakeChat(), FakeWeb()
    )


async def test_help_lists_only_what_the_caller_may_use(dispatcher: Dispatcher) -> None:
    outcome = await dispatcher.handle(message("/help", sender="alice"))
    assert outcome.status == "done"
    [reply] = outcome.replies
    assert "/help" in reply.text and "/approve" not in reply.text
    manager = await dispatcher.handle(message("/help", sender="maria"))
    assert "/approve <partner-id>" in manager.replies[0].text


async def test_a_change_and_its_replies_are_stored_together(
    dispatcher: Dispatcher, store: Store
) -> None:
    outcome = await dispatcher.handle(message("/approve acme", sender="maria", id="abc"))
    assert outcome.stored
    assert [reply.id for reply in outcome.replies] == ["abcr1"]
    assert [doc["id"] async for doc in store.scan("outbox")] == ["abcr1"]
    assert await store.get("seen", "abc") == {
        "id": "abc",
        "room": "dm-maria",
        "status": "done",
        "at": "2026-11-26T09:00:00+00:00",
    }


async def test_a_message_that_changes_nothing_does_not_wait_for_the_disk(
    dispatcher: Dispatcher, store: Store
) -> None:
    outcome = await dispatcher.handle(message("@partnerbot help", id="q1"))
    assert not outcome.stored and [reply.id for reply in outcome.replies] == ["q1r1"]
    assert await store.count("outbox") == 0
    assert (await dispatcher.handle(message("/help", id="q1"))).status == "duplicate"
    assert dispatcher.take_unsaved() == []  # not before its reply is delivered
    dispatcher.settled("q1")
    assert [doc["id"] for doc in dispatcher.take_unsaved()] == ["q1"]
    assert dispatcher.take_unsaved() == []


async def test_a_message_is_handled_once(dispatcher: Dispatcher) -> None:
    first = await dispatcher.handle(message("/help", id="same"))
    again = await dispatcher.handle(message("/help", id="same"))
    assert first.status == "done" and len(first.replies) == 1
    assert again.status == "duplicate" and again.replies == ()


async def test_the_bots_own_messages_are_ignored(dispatcher: Dispatcher, store: Store) -> None:
    own = message("/help")
    outcome = await dispatcher.handle(Incoming("own", DM, BOT, own.text, own.ts))
    assert outcome.status == "ignored"
    assert await store.count("outbox") == 0


async def test_an_edited_message_is_never_a_command(dispatcher: Dispatcher, store: Store) -> None:
    edit = message("/approve acme", sender="maria")
    edited = Incoming(edit.id, edit.room, edit.user, edit.text, edit.ts, edited=True)
    outcome = await dispatcher.handle(edited)
    assert outcome.status == "ignored" and outcome.replies == ()
    assert await store.get("members", "acme") is None
    in_dm = message("good morning, now edited")
    dm_edit = Incoming(in_dm.id, DM, in_dm.user, in_dm.text, in_dm.ts, edited=True)
    assert (await dispatcher.handle(dm_edit)).replies == ()  # not even the DM hint


async def test_command_help_and_help_command(dispatcher: Dispatcher) -> None:
    by_name = await dispatcher.handle(message("/approve help", sender="maria"))
    by_help = await dispatcher.handle(message("/help approve", sender="maria"))
    assert by_name.replies[0].text == by_help.replies[0].text
    assert "Example: `/approve acme`" in by_name.replies[0].text


async def test_a_stranger_is_refused_and_nothing_changes(
    dispatcher: Dispatcher, store: Store
) -> None:
    outcome = await dispatcher.handle(message("/approve acme", sender="eve"))
    assert outcome.status == "refused"
    assert outcome.replies[0].text == "/approve is for account managers only."
    assert await store.get("members", "acme") is None
    assert [entry async for entry in store.audit()] == []
    help_for_stranger = await dispatcher.handle(message("/help approve", sender="eve"))
    assert "account managers only" in help_for_stranger.replies[0].text


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("/approve", "The partner id is missing."),
        ("/approve acme colour=red", "Unknown option colour=."),
        ('/approve "acme', "A double quote is not closed."),
        ("/approve acme fail=usage", "fail=usage was given."),
    ],
)
async def test_usage_errors_show_the_usage_and_store_nothing(
    dispatcher: Dispatcher, store: Store, text: str, problem: str
) -> None:
    outcome = await dispatcher.handle(message(text, sender="maria"))
    assert outcome.status == "refused"
    assert outcome.replies[0].text.splitlines() == [
        problem,
        "Usage: `/approve <partner-id>`",
        "Example: `/approve acme`",
    ]
    assert await store.get("members", "acme") is None


async def test_a_refusal_is_shown_as_it_is(dispatcher: Dispatcher) -> None:
    outcome = await dispatcher.handle(message("/approve nobody", sender="maria"))
    assert outcome.replies[0].text == "There is no partner nobody."


async def test_a_crash_is_answered_and_logged(
    dispatcher: Dispatcher, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    outcome = await dispatcher.handle(message("/approve acme fail=crash", sender="maria"))
    assert outcome.status == "failed"
    assert "failed on my side" in outcome.replies[0].text
    assert "boom" in caplog.text
    assert await store.get("members", "acme") is None


async def test_a_change_is_stored_with_its_audit_and_reply(
    dispatcher: Dispatcher, store: Store
) -> None:
    outcome = await dispatcher.handle(message("/approve acme", sender="maria"))
    assert outcome.replies[0].text == "approved acme"
    assert await store.get("members", "acme") == {"username": "acme", "partner": "acme"}
    [entry] = [entry async for entry in store.audit()]
    assert (entry["who"], entry["what"], entry["before"]) == ("maria", "approve", None)


async def test_unknown_commands_get_a_hint(dispatcher: Dispatcher) -> None:
    outcome = await dispatcher.handle(message("/frobnicate", room=GROUP))
    assert "I don't know `/frobnicate`" in outcome.replies[0].text


async def test_plain_messages_get_a_hint_in_a_dm_only(dispatcher: Dispatcher) -> None:
    in_dm = await dispatcher.handle(message("hello?"))
    assert [reply.text for reply in in_dm.replies] == [DM_HINT]
    in_room = await dispatcher.handle(message("hello all", room=GROUP))
    assert in_room.status == "ignored" and in_room.replies == ()


async def test_replies_go_to_the_thread_of_the_command(dispatcher: Dispatcher) -> None:
    outcome = await dispatcher.handle(message("/help", room=GROUP, thread="parent1"))
    assert outcome.replies[0].thread == "parent1"
    assert outcome.replies[0].room_id == GROUP.id


async def test_a_conversation_takes_the_next_plain_messages(
    dispatcher: Dispatcher, store: Store
) -> None:
    assert (await dispatcher.handle(message("/ask", room=GROUP))).replies[0].text == "Your name?"
    other_user = await dispatcher.handle(message("bob", sender="eve", room=GROUP))
    assert other_user.status == "ignored"
    refused = await dispatcher.handle(message("b0b", room=GROUP))
    assert [r.text for r in refused.replies] == ["A name is letters only."]
    assert (await dispatcher.handle(message("bob", room=GROUP))).replies[0].text == "Your colour?"
    help_meanwhile = await dispatcher.handle(message("/help", room=GROUP))
    assert help_meanwhile.replies[0].text.startswith("Commands you can use")
    done = await dispatcher.handle(message("blue", room=GROUP))
    assert done.replies[0].text == "Noted."
    assert await store.get("members", "bob") == {"username": "bob", "partner": "blue"}
    assert (await dispatcher.handle(message("more?", room=GROUP))).status == "ignored"


async def test_cancel_ends_a_conversation_and_stores_nothing(
    dispatcher: Dispatcher, store: Store
) -> None:
    await dispatcher.handle(message("/ask"))
    await dispatcher.handle(message("bob"))
    cancelled = await dispatcher.handle(message(" Cancel "))
    assert cancelled.replies[0].text == "Cancelled; nothing was stored."
    assert await store.get("members", "bob") is None
    assert (await dispatcher.handle(message("blue"))).replies[0].text == DM_HINT


async def test_a_conversation_idle_for_30_minutes_ends_quietly(
    dispatcher: Dispatcher, clock: Clock
) -> None:
    await dispatcher.handle(message("/ask", room=GROUP))
    clock.advance(minutes=30)
    assert (await dispatcher.handle(message("bob", room=GROUP))).replies[0].text == "Your colour?"
    clock.advance(minutes=30, seconds=1)
    assert (await dispatcher.handle(message("blue", room=GROUP))).status == "ignored"

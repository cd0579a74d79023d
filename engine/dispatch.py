"""From an incoming message to stored changes and queued replies, exactly once.

The cross-cutting checks happen here, once, before any handler runs: the bot's own
messages are ignored, and so are edited ones (an edit is never a command, whether it
arrives live or is read back after downtime: whoever may edit a message, a moderator
included, must not make its author run a command), a message id already handled is not
handled again, the caller's roles are worked out, the command is looked up, its role and
options are checked, and where its answers may be shown is decided (`engine.audience`:
a command that shows a partner's data, typed where others read, answers in the caller's DM
and leaves a one-line note in the room).
The handler's changes, the record that the message was handled, and its replies (the
outbox) are committed in one storage transaction, so a crash either loses the whole
command (it is handled again after restart) or none of it (its replies still go out).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from chat.base import ChatActions, Incoming, Outgoing, RoomKind, User
from commands.help import describe, forms, unknown
from config import Settings
from engine.audience import SENT_DIRECTLY, answer_room
from engine.framework import (
    CONVERSATIONS,
    Caller,
    Command,
    Context,
    Languages,
    OneLanguage,
    PageChecker,
    Refused,
    Reply,
    Role,
    UsageError,
)
from engine.outbox import Outbox
from engine.parsing import Args, ArgumentError, Invocation, parse_invocation, split_arguments
from engine.registry import Registry
from i18n import N_, _, speaking
from storage import Conflict, Store, Transaction

log = logging.getLogger(__name__)

CONVERSATION_IDLE = timedelta(minutes=30)
# Shown with `_()`, in the reader's language:
DM_HINT = N_("I only understand commands. Type /help to see what you can do.")
CANCELLED = N_("Cancelled; nothing was stored.")  # unless the command says what it kept


@dataclass(frozen=True, slots=True)
class Outcome:
    """What handling one message did."""

    status: str  # "done", "refused", "failed", "ignored" or "duplicate"
    replies: tuple[Outgoing, ...] = ()
    stored: bool = False  # True when its changes and replies were committed (the outbox)
    # What the handler asked to be done once all this is stored (`Context.after`).
    followups: tuple[Callable[[], Awaitable[None]], ...] = ()


class Dispatcher:
    def __init__(
        self,
        registry: Registry,
        store: Store,
        settings: Settings,
        clock: Callable[[], datetime],
        me: User,
        chat: ChatActions,
        web: PageChecker,
        outbox: Outbox | None = None,
        languages: Languages | None = None,
    ) -> None:
        """`outbox`: shared with whatever else stores messages (the reminders);
        `languages`: whose language each message is written in (everyone English if None)."""
        self.registry = registry
        self.store = store
        self.settings = settings
        self.clock = clock
        self.me = me
        self.chat = chat
        self.web = web
        self.outbox = outbox if outbox is not None else Outbox()
        self.languages = languages if languages is not None else OneLanguage()
        self._unsaved: dict[str, dict[str, Any]] = {}  # "seen" records not stored yet
        self._settled: list[str] = []  # of those, the ones whose replies are delivered

    async def caller(self, user: User) -> Caller:
        roles = {Role.ANYONE}
        if user.username.lower() in self.settings.managers:
            roles.add(Role.MANAGER)
        member = await self.store.get("members", user.username.lower())
        partner = member["partner"] if member else None
        if partner is not None:
            roles.add(Role.PARTNER)
        return Caller(user, frozenset(roles), partner)

    async def handle(self, message: Incoming) -> Outcome:
        """Handle `message` once: its changes and replies are stored when this returns, or
        there were no changes and its record waits for `take_unsaved`. The replies are in
        the caller's language; messages to others, in theirs (`Context.languages`)."""
        if message.user.id == self.me.id or message.edited:
            return Outcome("ignored")
        if message.id in self._unsaved or await self.store.get("seen", message.id) is not None:
            return Outcome("duplicate")
        invocation = parse_invocation(message.text, self.me.username)
        conversation = None if invocation is not None else await self._conversation(message)
        if invocation is None and conversation is None and message.room.kind is not RoomKind.DIRECT:
            return Outcome("ignored")  # people talking among themselves: no need of a language
        with speaking(await self.languages.of_user(message.user.username)):
            return await self._handle(message, invocation, conversation)

    async def _handle(
        self,
        message: Incoming,
        invocation: Invocation | None,
        conversation: dict[str, Any] | None,
    ) -> Outcome:
        if invocation is None:
            if conversation is not None and not self._idle(conversation):
                return await self._carry_on(message, conversation)
            if conversation is not None:
                return await self._expire(message, conversation)
            if message.room.kind is not RoomKind.DIRECT:
                return Outcome("ignored")
            return await self._answer(message, "done", [_(DM_HINT)])
        command = self.registry.get(invocation.name)
        if command is None:
            known = self.registry.usable_by((await self.caller(message.user)).roles)
            return await self._answer(message, "refused", [unknown(invocation.name, known)])
        return await self._until_done(message, lambda: self._run(message, command, invocation))

    async def _conversation(self, message: Incoming) -> dict[str, Any] | None:
        """The conversation of the sender in this room, open or idle too long (`_idle`)."""
        return await self.store.get(CONVERSATIONS, message.room.id, message.user.username)

    def _idle(self, conversation: Mapping[str, Any]) -> bool:
        return self.clock() - datetime.fromisoformat(conversation["at"]) > CONVERSATION_IDLE

    async def _expire(self, message: Incoming, conversation: Mapping[str, Any]) -> Outcome:
        """A conversation idle too long is over: in a direct room the late answer is told
        so (not the DM hint); elsewhere it ends quietly (people talk among themselves)."""
        now = self.clock()
        tx = self.store.begin(actor=message.user.username, now=now)
        tx.delete(CONVERSATIONS, message.room.id, message.user.username)
        if message.room.kind is not RoomKind.DIRECT:
            await tx.commit()
            return Outcome("ignored")
        text = _("That question expired; start again with `/{command}`.").format(
            command=conversation["command"]
        )
        reply = Reply(message.room.id, text, message.thread)
        return await self._commit(tx, now, message, "done", [reply])

    async def _carry_on(self, message: Incoming, conversation: dict[str, Any]) -> Outcome:
        command = self.registry.get(conversation["command"])
        if command is None or command.answer is None or message.text.strip().lower() == "cancel":
            now = self.clock()
            tx = self.store.begin(actor=message.user.username, now=now)
            tx.delete(CONVERSATIONS, message.room.id, message.user.username)
            text = _(CANCELLED)
            if command is not None and command.cancelled is not None:
                text = command.cancelled(conversation["state"])
            reply = Reply(message.room.id, text, message.thread)
            return await self._commit(tx, now, message, "done", [reply])
        return await self._until_done(
            message, lambda: self._run(message, command, None, conversation["state"])
        )

    async def _until_done(
        self, message: Incoming, run: Callable[[], Awaitable[Outcome]]
    ) -> Outcome:
        """Run a handler's transaction; after a conflict, run it again alone (the store's
        other commits wait meanwhile), where it cannot conflict: a storage conflict never
        reaches the user, however many commands arrive at once."""
        try:
            return await run()
        except Conflict:
            log.info("conflict handling %r; running it again alone", message.id)
        async with self.store.exclusive():
            return await run()

    async def _run(
        self,
        message: Incoming,
        command: Command,
        invocation: Invocation | None,
        conversation: Mapping[str, Any] | None = None,
    ) -> Outcome:
        """Run the command's handler, or with a `conversation` its `answer` handler."""
        caller = await self.caller(message.user)
        now = self.clock()
        today = now.astimezone(self.settings.timezone).date()  # for the examples shown
        tx = self.store.begin(actor=message.user.username, now=now)
        answer_in: str | None = None  # the caller's DM, when the answers may not be shown here
        try:
            if not command.allows(caller.roles):
                raise Refused(command.only_for())
            args = split_arguments(invocation.text) if invocation is not None else Args()
            if args.words[:1] == ("help",) and len(args.tokens) == 1:
                text = describe(command, today, caller.roles)
                return await self._answer(message, "done", [text])
            unknown = sorted(set(args.options) - command.options)
            if unknown:
                raise UsageError(_("unknown option {option}=").format(option=unknown[0]))
            if command.private and conversation is None:  # a conversation is where it began
                answer_in = await answer_room(message.room, caller, tx, self.settings, self.chat)
            ctx = Context(
                message,
                caller,
                command,
                args,
                tx,
                now,
                self.settings,
                self.registry,
                self.chat,
                self.web,
                self.me,
                conversation,
                answer_in=answer_in,
                languages=self.languages,
            )
            handler = command.handler if conversation is None else command.answer
            assert handler is not None
            await handler(ctx)
        except (ArgumentError, UsageError) as err:
            if conversation is not None:  # an answer is not typed by the usage line
                return await self._answer(message, "refused", [_sentence(str(err))], answer_in)
            usage = _usage_reply(command, str(err), today, caller.roles)
            return await self._answer(message, "refused", [usage], answer_in)
        except Refused as err:
            return await self._answer(message, "refused", [_sentence(str(err))], answer_in)
        except Conflict:
            raise
        except Exception:
            log.exception("/%s failed on message %r", command.name, message.id)
            failed = _("Sorry, that failed on my side; it has been logged.")
            return await self._answer(message, "failed", [failed], answer_in)
        outcome = await self._commit(tx, now, message, "done", ctx.replies, answer_in)
        return replace(outcome, followups=tuple(ctx.followups))

    async def _answer(
        self, message: Incoming, status: str, texts: list[str], answer_in: str | None = None
    ) -> Outcome:
        """Reply with `texts` where the message was typed, or in the caller's DM."""
        now = self.clock()
        tx = self.store.begin(actor=message.user.username, now=now)
        if answer_in is None:
            replies = [Reply(message.room.id, text, message.thread) for text in texts]
        else:
            replies = [Reply(answer_in, text) for text in texts]
        return await self._commit(tx, now, message, status, replies, answer_in)

    async def _commit(
        self,
        tx: Transaction,
        now: datetime,
        message: Incoming,
        status: str,
        replies: list[Reply],
        answer_in: str | None = None,
    ) -> Outcome:
        """Store what the message did, the record that it was handled, and its replies;
        when they went to the caller's DM (`answer_in`), a note in the message's room says
        so (its id `<message id>r0`, the replies' `r1`, `r2`, ...).

        A message that changed nothing (a question, a refusal) need not wait for the disk:
        its replies go out at once, and once they are delivered (`settled`) its record joins
        the next batch (`take_unsaved`). Should the bot die first, the message is handled
        again after the restart and its reply, whose id is derived from the message's, is
        recognised by the server.
        """
        seen = {"id": message.id, "room": message.room.id, "status": status, "at": now.isoformat()}
        numbered = list(enumerate(replies, start=1))
        if answer_in is not None and any(reply.room_id == answer_in for reply in replies):
            numbered.insert(0, (0, Reply(message.room.id, _(SENT_DIRECTLY), message.thread)))
        outgoing = tuple(
            Outgoing(
                reply.id or f"{message.id}r{n}",
                reply.room_id,
                reply.text,
                reply.thread,
                reply.attachments,
            )
            for n, reply in numbered
        )
        if tx.empty:
            self._unsaved[message.id] = seen
            return Outcome(status, outgoing)
        tx.put("seen", seen)
        for out in outgoing:
            self.outbox.put(tx, out, now)
        await tx.commit()
        return Outcome(status, outgoing, stored=True)

    def settled(self, message_id: str) -> None:
        """The replies to a message that changed nothing are delivered: its record may be
        stored (before, a crash must leave it to be handled again)."""
        if message_id in self._unsaved:
            self._settled.append(message_id)

    def take_unsaved(self) -> list[dict[str, Any]]:
        """The records of settled messages that changed nothing, for the next batch."""
        settled, self._settled = self._settled, []
        return [self._unsaved.pop(message_id) for message_id in settled]


def _sentence(problem: str) -> str:
    """Capitalised and ended, but a leading `key=` keeps its case (`on=`, not `On=`)."""
    keyed = re.match(r"\w+=", problem) is not None
    text = problem if keyed else problem[:1].upper() + problem[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def _usage_reply(command: Command, problem: str, today: date, roles: frozenset[Role]) -> str:
    usage = _("Usage: {forms}").format(forms=forms(command, roles))
    example = _("Example: `{example}`").format(example=command.example_on(today, roles))
    return f"{_sentence(problem)}\n{usage}\n{example}"

"""From an incoming message to stored changes and queued replies, exactly once.

The cross-cutting checks happen here, once, before any handler runs: the bot's own
messages are ignored, a message id already handled is not handled again, the caller's
roles are worked out, the command is looked up, its role and options are checked.
The handler's changes, the record that the message was handled, and its replies (the
outbox) are committed in one storage transaction, so a crash either loses the whole
command (it is handled again after restart) or none of it (its replies still go out).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chat.base import Incoming, Outgoing, RoomKind, User
from commands.framework import Caller, Command, Context, Refused, Reply, Role, UsageError
from commands.help import describe
from commands.parsing import ArgumentError, Invocation, parse_invocation, split_arguments
from commands.registry import Registry
from config import Settings
from storage import Conflict, Store, Transaction

log = logging.getLogger(__name__)

MAX_CONFLICT_RETRIES = 5
DM_HINT = "I only understand commands. Type /help to see what you can do."


@dataclass(frozen=True, slots=True)
class Outcome:
    """What handling one message did."""

    status: str  # "done", "refused", "failed", "ignored" or "duplicate"
    replies: tuple[Outgoing, ...] = ()
    stored: bool = False  # True when its changes and replies were committed (the outbox)


class Dispatcher:
    def __init__(
        self,
        registry: Registry,
        store: Store,
        settings: Settings,
        clock: Callable[[], datetime],
        me: User,
        first_order: int = 1,
    ) -> None:
        """`first_order`: where the outbox order goes on (after what is pending there)."""
        self.registry = registry
        self.store = store
        self.settings = settings
        self.clock = clock
        self.me = me
        self._order = first_order
        self._unsaved: dict[str, dict[str, Any]] = {}  # "seen" records not stored yet

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
        there were no changes and its record waits for `take_unsaved`."""
        if message.user.id == self.me.id:
            return Outcome("ignored")
        if message.id in self._unsaved or await self.store.get("seen", message.id) is not None:
            return Outcome("duplicate")
        invocation = parse_invocation(message.text, self.me.username)
        if invocation is None:
            if message.room.kind is not RoomKind.DIRECT:
                return Outcome("ignored")
            return await self._answer(message, "done", [DM_HINT])
        command = self.registry.get(invocation.name)
        if command is None:
            return await self._answer(
                message,
                "refused",
                [f"I don't know /{invocation.name}. Type /help to see the commands."],
            )
        for _attempt in range(MAX_CONFLICT_RETRIES):
            try:
                return await self._run(message, command, invocation)
            except Conflict:
                log.info("conflict handling %s, retrying", message.id)
        log.error("gave up on %s after %d conflicts", message.id, MAX_CONFLICT_RETRIES)
        return await self._answer(
            message, "failed", ["I was too busy to do that; please try again."]
        )

    async def _run(self, message: Incoming, command: Command, invocation: Invocation) -> Outcome:
        caller = await self.caller(message.user)
        now = self.clock()
        tx = self.store.begin(actor=message.user.username, now=now)
        try:
            if not command.allows(caller.roles):
                raise Refused(f"/{command.name} is for {command.who()} only.")
            args = split_arguments(invocation.text)
            if args.words[:1] == ("help",) and len(args.tokens) == 1:
                return await self._answer(message, "done", [describe(command)])
            unknown = sorted(set(args.options) - command.options)
            if unknown:
                raise UsageError(f"unknown option {unknown[0]}=")
            ctx = Context(message, caller, command, args, tx, now, self.settings, self.registry)
            await command.handler(ctx)
        except (ArgumentError, UsageError) as err:
            return await self._answer(message, "refused", [_usage_reply(command, str(err))])
        except Refused as err:
            return await self._answer(message, "refused", [str(err)])
        except Conflict:
            raise
        except Exception:
            log.exception("/%s failed on message %s", command.name, message.id)
            return await self._answer(
                message, "failed", ["Sorry, that failed on my side; it has been logged."]
            )
        return await self._commit(tx, now, message, "done", ctx.replies)

    async def _answer(self, message: Incoming, status: str, texts: list[str]) -> Outcome:
        now = self.clock()
        tx = self.store.begin(actor=message.user.username, now=now)
        replies = [Reply(message.room.id, text, message.thread) for text in texts]
        return await self._commit(tx, now, message, status, replies)

    async def _commit(
        self,
        tx: Transaction,
        now: datetime,
        message: Incoming,
        status: str,
        replies: list[Reply],
    ) -> Outcome:
        """Store what the message did, the record that it was handled, and its replies.

        A message that changed nothing (a question, a refusal) need not wait for the disk:
        its replies go out at once and its record joins the next batch (`take_unsaved`).
        Should the bot die first, the message is handled again after the restart and its
        reply, whose id is derived from the message's, is recognised by the server.
        """
        seen = {"id": message.id, "room": message.room.id, "status": status, "at": now.isoformat()}
        outgoing = tuple(
            Outgoing(
                f"{message.id}r{n}", reply.room_id, reply.text, reply.thread, reply.attachments
            )
            for n, reply in enumerate(replies, start=1)
        )
        if tx.empty:
            self._unsaved[message.id] = seen
            return Outcome(status, outgoing)
        tx.put("seen", seen)
        for out in outgoing:
            tx.put("outbox", outbox_doc(out, self._order, now))
            self._order += 1
        await tx.commit()
        return Outcome(status, outgoing, stored=True)

    def take_unsaved(self) -> list[dict[str, Any]]:
        """The records of handled messages that changed nothing, for the next batch."""
        unsaved = list(self._unsaved.values())
        self._unsaved.clear()
        return unsaved


def outbox_doc(out: Outgoing, order: int, now: datetime) -> dict[str, Any]:
    return {
        "id": out.id,
        "order": order,
        "room": out.room_id,
        "text": out.text,
        "thread": out.thread,
        "attachments": [dict(a) for a in out.attachments],
        "at": now.isoformat(),
    }


def outgoing_from(doc: dict[str, Any]) -> Outgoing:
    return Outgoing(doc["id"], doc["room"], doc["text"], doc["thread"], tuple(doc["attachments"]))


def _usage_reply(command: Command, problem: str) -> str:
    return (
        f"{problem[:1].upper()}{problem[1:]}.\nUsage: `{command.usage_line()}`\n"
        f"Example: `{command.example}`"
    )

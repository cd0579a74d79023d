"""The loop that joins a transport to the dispatcher: listen, handle, deliver.

- Listening never waits for a command: each message goes to its room's lane, so a room's
  commands are handled, committed and answered in the order they were written, while
  other rooms' lanes run at the same time. (Lanes per user would let one room's commits
  overtake each other, and after a crash a later command's stored reply would go out
  before the answer to an earlier one that had to be handled again.)
- Replies leave from the stored outbox through one delivery queue per room, in the order
  they were committed; an entry is deleted only after the transport has delivered it, so
  a crash resends it (with the same id, which the transport recognises) and never drops it.
  At most `MAX_SENDING` messages are on their way at once, whatever the number of rooms (a
  reminder to 10,000 workgroups is 10,000 rooms).
- Services (the reminders' schedule) start once the dispatcher is ready and stop with the
  stream; `post` lets them store and deliver messages as the commands' replies are.
- Each room's cursor (the time of the newest message up to which all are handled) is kept
  in storage, so that after downtime the transport can fetch what was missed.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Coroutine, Hashable, Sequence
from datetime import datetime, timedelta
from typing import Any

from chat.base import DeliveryError, Incoming, Outgoing, Stopped, Transport, User
from engine.dispatch import CONVERSATION_IDLE, Dispatcher
from engine.framework import CONVERSATIONS
from engine.metrics import Metrics
from engine.outbox import Outbox, outgoing_from
from storage import Conflict, StorageError, Store, Transaction

log = logging.getLogger(__name__)

RETRY_FIRST, RETRY_CAP = 0.5, 30.0  # seconds between attempts to deliver a reply
CURSOR_SAVE_INTERVAL = 1.0
BOOKS_INTERVAL = 0.1
PRUNE_BATCH = 500
SWEEP_INTERVAL = timedelta(minutes=5)  # how often abandoned conversations are looked for
MAX_SENDING = 16  # messages on their way to the server at once
SHUTDOWN_GRACE = 10.0  # seconds a stop waits for the server to take the replies in hand

Service = Callable[[], Coroutine[Any, Any, None]]


class Lanes:
    """Runs jobs one at a time per key, different keys concurrently."""

    def __init__(self) -> None:
        self._queues: dict[Hashable, asyncio.Queue[Callable[[], Awaitable[None]]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    def submit(self, key: Hashable, job: Callable[[], Awaitable[None]]) -> None:
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = asyncio.Queue()
            task = asyncio.create_task(self._work(key, queue))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        self._idle.clear()
        queue.put_nowait(job)

    async def _work(
        self, key: Hashable, queue: asyncio.Queue[Callable[[], Awaitable[None]]]
    ) -> None:
        while not queue.empty():
            job = queue.get_nowait()
            try:
                await job()
            except Exception:
                log.exception("job in lane %r failed", key)
        del self._queues[key]
        if not self._queues:
            self._idle.set()

    async def drain(self) -> None:
        await self._idle.wait()

    def cancel(self) -> None:
        """Drop every job, running or queued."""
        for task in self._tasks:
            task.cancel()
        self._queues.clear()
        self._idle.set()


class Runner:
    def __init__(
        self,
        transport: Transport,
        store: Store,
        make_dispatcher: Callable[[User, Outbox], Dispatcher],
        clock: Callable[[], datetime],
        seen_kept: timedelta = timedelta(days=2),
        max_sending: int = MAX_SENDING,
        shutdown_grace: float = SHUTDOWN_GRACE,
    ) -> None:
        """`seen_kept`: how long handled message ids are kept; longer than the catch-up."""
        self.transport = transport
        self.store = store
        self.make_dispatcher = make_dispatcher
        self.clock = clock
        self.handling = Lanes()
        self.delivering = Lanes()
        self._in_flight: dict[str, dict[str, datetime]] = defaultdict(dict)
        self._cursors: dict[str, datetime] = {}  # advanced, not yet saved
        self._delivered: list[str] = []  # outbox ids delivered, not yet deleted
        self._books_due = asyncio.Event()
        self.dispatcher: Dispatcher | None = None
        self.outbox = Outbox()
        self.services: list[Service] = []
        self._sending = asyncio.Semaphore(max_sending)
        self.metrics = Metrics()
        self.seen_kept = seen_kept
        self.shutdown_grace = shutdown_grace
        self._pruned_at: datetime | None = None
        self._swept_at: datetime | None = None

    async def since(self, room_id: str) -> datetime | None:
        """Every message of the room older than this has been handled (None: no record)."""
        unsaved = self._cursors.get(room_id)
        if unsaved is not None:
            return unsaved
        doc = await self.store.get("cursors", room_id)
        return None if doc is None else datetime.fromisoformat(doc["ts"])

    async def run(self) -> None:
        """Serve until the transport's stream ends, then finish every job and reply; or
        return at once when the transport is stopped before it is connected."""
        try:
            await self.transport.connect()
        except Stopped:
            log.info("stopped before the first login")
            await self.transport.disconnect()
            return
        pending = sorted(
            [doc async for doc in self.store.scan("outbox")], key=lambda doc: doc["order"]
        )
        self.outbox = Outbox(1 + max((doc["order"] for doc in pending), default=0))
        self.dispatcher = self.make_dispatcher(self.transport.me, self.outbox)
        for doc in pending:
            self.deliver(outgoing_from(doc))
        helpers = [asyncio.create_task(self._keep_house()), asyncio.create_task(self._keep_books())]
        helpers += [asyncio.create_task(service()) for service in self.services]
        listening = asyncio.create_task(self._listen())
        broken = asyncio.create_task(self.store.failed())
        try:
            await asyncio.wait({listening, broken}, return_when=asyncio.FIRST_COMPLETED)
            for helper in helpers[2:]:
                helper.cancel()  # the services: no new messages while stopping
            if broken.done():
                listening.cancel()
                await self._stop_after_failure(broken.result())
            listening.result()  # the stream's own error, if it ended with one
            await self._finish()
        finally:
            listening.cancel()
            broken.cancel()
            for helper in helpers:
                helper.cancel()
        await self.transport.disconnect()

    async def _listen(self) -> None:
        async for message in self.transport.listen(self.since):
            self.receive(message)

    async def _stop_after_failure(self, error: BaseException) -> None:
        """A write failed (a full disk, say): the store takes no more work, so the bot stops
        with `StorageError` and its supervisor starts it again. What was acknowledged is on
        disk: the commands whose commits failed were not settled (their cursor stays before
        them, so they are fetched and handled again), and the stored replies not delivered
        yet go out at the next start with the same ids."""
        log.critical(
            "a write to the data directory failed (%s): stopping, to be restarted once the"
            " disk is fixed; everything acknowledged is on disk",
            error,
        )
        await self.handling.drain()  # the commands in hand fail at the store
        try:
            await asyncio.wait_for(self.delivering.drain(), self.shutdown_grace)
        except TimeoutError:
            self.delivering.cancel()
        await self.transport.disconnect()
        raise StorageError(f"stopped after a failed write: {error}") from error

    async def _finish(self) -> None:
        """Handle what was received and deliver the replies, for at most `shutdown_grace`
        if the server does not take them: a stop must not hang on a server that is away.
        What is not delivered then stays in the outbox, and the messages whose replies were
        not stored are not settled: the cursor stays before them, to handle them again."""
        await self.handling.drain()
        try:
            await asyncio.wait_for(self.delivering.drain(), self.shutdown_grace)
        except TimeoutError:
            log.warning(
                "stopping with replies not delivered after %.0fs; they go out at the next start",
                self.shutdown_grace,
            )
            self.delivering.cancel()
        await self._write_books()

    async def _keep_house(self) -> None:
        """Now and then: save the cursors, forget handled ids older than the catch-up, and
        delete the conversations left idle past their timeout (`housekeeping`)."""
        while self.store.failure is None:
            await asyncio.sleep(CURSOR_SAVE_INTERVAL)
            try:
                await self.housekeeping()
            except StorageError:
                if self.store.failure is None:
                    raise
                return  # the store has failed: `run` stops the bot

    async def housekeeping(self) -> None:
        """One round of `_keep_house`, by the injected clock: the cursors are saved at once,
        the handled ids pruned hourly, the abandoned conversations swept every
        `SWEEP_INTERVAL`."""
        if self._cursors:
            self._books_due.set()
        now = self.clock()
        if self._pruned_at is None or now - self._pruned_at > timedelta(hours=1):
            await self._prune_seen(now - self.seen_kept)
        if self._swept_at is None or now - self._swept_at >= SWEEP_INTERVAL:
            await self.sweep_conversations(now)

    async def _prune_seen(self, horizon: datetime) -> None:
        old = [
            doc["id"]
            async for doc in self.store.scan("seen")
            if datetime.fromisoformat(doc["at"]) < horizon
        ]
        for start in range(0, len(old), PRUNE_BATCH):
            tx = self.store.begin(actor="partnerbot", now=self.clock())
            for message_id in old[start : start + PRUNE_BATCH]:
                tx.delete("seen", message_id)
            await tx.commit()
        self._pruned_at = self.clock()

    async def sweep_conversations(self, now: datetime) -> int:
        """Delete the conversations idle longer than `CONVERSATION_IDLE` (the dispatcher
        ends one only when its user writes again in its room: an abandoned one would stay
        for ever, with what was typed in it); how many. Each is read again in the deleting
        transaction, so one answered meanwhile conflicts and is left for the next round."""
        horizon = now - CONVERSATION_IDLE
        idle = [
            (doc["room"], doc["user"])
            async for doc in self.store.scan(CONVERSATIONS)
            if _idle_since(doc, horizon)
        ]
        swept = 0
        for start in range(0, len(idle), PRUNE_BATCH):
            tx = self.store.begin(actor="partnerbot", now=now)
            deleted = 0
            for room, user in idle[start : start + PRUNE_BATCH]:
                doc = await tx.get(CONVERSATIONS, room, user)
                if doc is not None and _idle_since(doc, horizon):
                    tx.delete(CONVERSATIONS, room, user)
                    deleted += 1
            try:
                await tx.commit()
            except Conflict:
                log.debug("conversation sweep: one was answered meanwhile; next round")
                continue
            swept += deleted
        self._swept_at = now
        if swept:
            log.info("deleted %d conversations idle for more than %s", swept, CONVERSATION_IDLE)
        return swept

    def receive(self, message: Incoming) -> None:
        """Queue `message` for handling in its room's lane."""
        self._in_flight[message.room.id][message.id] = message.ts
        self.handling.submit(message.room.id, lambda: self._handle(message))

    async def drain(self) -> None:
        """Wait until every received message is handled and every reply delivered."""
        await self.handling.drain()  # handling ends by queueing its replies
        await self.delivering.drain()
        await self._write_books()

    async def _handle(self, message: Incoming) -> None:
        assert self.dispatcher is not None
        received = time.perf_counter()
        try:
            outcome = await self.dispatcher.handle(message)
        except Exception:
            self.metrics.errors += 1
            raise  # the cursor stays before the message: it is fetched again after a restart
        log.debug("message %r in %r: %s", message.id, message.room.id, outcome.status)
        self.metrics.handled[outcome.status] += 1
        if outcome.status == "failed":
            self.metrics.errors += 1
        if outcome.stored or not outcome.replies:
            self._settle(message)  # its replies are in the outbox, or it has none
        else:  # its replies exist only here: it is settled once they are delivered
            left = len(outcome.replies)

            def one_delivered() -> None:
                nonlocal left
                left -= 1
                if left == 0:
                    self._settle(message)

        for out in outcome.replies:
            then = None if outcome.stored else one_delivered
            self.deliver(out, received, stored=outcome.stored, then=then)
        for number, action in enumerate(outcome.followups):  # each in a lane of its own
            self.handling.submit((message.id, "after", number), action)

    def _settle(self, message: Incoming) -> None:
        """Nothing of `message` is lost any more if the bot dies: its cursor may pass it and
        the record that it was handled (if not stored with its changes) may be stored."""
        self._advance_cursor(message)
        assert self.dispatcher is not None
        self.dispatcher.settled(message.id)
        self._books_due.set()

    async def post(self, tx: Transaction, messages: Sequence[Outgoing], now: datetime) -> None:
        """Commit `tx` with `messages` in the outbox, then deliver them (a service's way to
        send: its changes and its messages are stored together, or neither is)."""
        for out in messages:
            self.outbox.put(tx, out, now)
        await tx.commit()
        for out in messages:
            self.deliver(out)

    def deliver(
        self,
        out: Outgoing,
        received: float | None = None,
        *,
        stored: bool = True,
        then: Callable[[], None] | None = None,
    ) -> None:
        """Queue `out` in its room's delivery lane; `stored`: it is in the outbox; `then` is
        called once it is delivered (or refused for good)."""
        self.delivering.submit(out.room_id, lambda: self._send(out, received, stored, then))

    async def _send(
        self,
        out: Outgoing,
        received: float | None,
        stored: bool,
        then: Callable[[], None] | None = None,
    ) -> None:
        """Deliver `out`, retrying until the server takes it (the room's later replies wait
        behind it); only a permanent refusal (the room is gone, ...) drops it."""
        for attempt in itertools.count():
            try:
                async with self._sending:
                    await self.transport.send(out)
                if received is not None:
                    self.metrics.observe_latency(time.perf_counter() - received)
                break
            except DeliveryError as err:
                if err.permanent:
                    self.metrics.errors += 1
                    log.error("dropping reply %r to %r: %r", out.id, out.room_id, str(err))
                    break
                delay = min(RETRY_FIRST * 2**attempt, RETRY_CAP)
                log.warning(
                    "reply %r not delivered (%r); retrying in %.1fs", out.id, str(err), delay
                )
                await asyncio.sleep(delay)
        if stored:
            self._delivered.append(out.id)
            self._books_due.set()
        if then is not None:
            then()

    async def _keep_books(self) -> None:
        """Forget delivered replies and save cursors, batched: one commit for many, at most
        one every `BOOKS_INTERVAL`, so that the commands' own commits have the store. (A
        crash forgets a little less: replies resent then are recognised by their ids.)"""
        while self.store.failure is None:
            await self._books_due.wait()
            self._books_due.clear()
            try:
                await self._write_books()
            except StorageError:
                if self.store.failure is None:
                    raise
                return  # the store has failed: `run` stops the bot
            await asyncio.sleep(BOOKS_INTERVAL)

    async def _write_books(self) -> None:
        delivered, self._delivered = self._delivered, []
        cursors, self._cursors = self._cursors, {}
        seen = self.dispatcher.take_unsaved() if self.dispatcher is not None else []
        if not delivered and not cursors and not seen:
            return
        tx = self.store.begin(actor="partnerbot", now=self.clock())
        for out_id in delivered:
            tx.delete("outbox", out_id)
        for doc in seen:
            tx.put("seen", doc)
        for room, ts in cursors.items():
            tx.put("cursors", {"room": room, "ts": ts.isoformat()})
        await tx.commit()  # it reads nothing, so it cannot conflict

    def _advance_cursor(self, message: Incoming) -> None:
        in_flight = self._in_flight[message.room.id]
        in_flight.pop(message.id, None)
        safe = min(in_flight.values(), default=message.ts)
        current = self._cursors.get(message.room.id)
        if current is None or safe > current:
            self._cursors[message.room.id] = safe


def _idle_since(conversation: dict[str, Any], horizon: datetime) -> bool:
    """Whether a conversation was last answered before `horizon`; one whose time does not
    read cannot be carried on either."""
    try:
        return datetime.fromisoformat(conversation["at"]) < horizon
    except (KeyError, TypeError, ValueError):
        return True

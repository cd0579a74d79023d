"""Reminders sent once each (commands/reminding.py): the sent marks and the messages are
stored together, a reminder that no longer applies is not sent, rooms are found for each
audience, and the managers' daily digest goes out once a day."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

import pytest

import commands.reminding
import i18n
from chat.base import ChatError, Outgoing
from commands.reminding import Reminders
from config import Settings
from engine.outbox import Outbox
from storage import SCHEMA, Store, Transaction
from tests.fakes import Clock, FakeChat
from tests.test_reminders import partner as make_partner
from workflows.onboarding import Partner, State, Step, StepRecord
from workflows.reminders import orphans_notice

DEC_1 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SETTINGS = Settings(managers=frozenset({"bob", "carla"}))


class Posted:
    """`Runner.post` without a runner: commits with the outbox and keeps what it sent."""

    def __init__(self) -> None:
        self.outbox = Outbox()
        self.messages: list[Outgoing] = []
        self.attempted: list[Outgoing] = []
        self.fail_before_commit = False

    async def __call__(self, tx: Transaction, messages: Sequence[Outgoing], now: datetime) -> None:
        for out in messages:
            self.outbox.put(tx, out, now)
        self.attempted += messages
        if self.fail_before_commit:
            raise RuntimeError("the bot died before the commit")
        await tx.commit()
        self.messages += messages

    def texts(self, room: str) -> list[str]:
        return [out.text for out in self.messages if out.room_id == room]


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    opened = await Store.open(None, SCHEMA)
    yield opened
    await opened.close()


@pytest.fixture
def clock() -> Clock:
    return Clock(DEC_1)


def reminders(
    store: Store,
    clock: Clock,
    posted: Posted,
    settings: Settings = SETTINGS,
    chat: FakeChat | None = None,
    languages: Spoken | None = None,
) -> Reminders:
    if languages is None:
        return Reminders(store, settings, clock, chat or FakeChat(), posted)
    return Reminders(store, settings, clock, chat or FakeChat(), posted, languages)


@dataclass(frozen=True)
class Spoken:
    """`Languages` from tables: a partner's rooms and a user's language, else `default`."""

    default: str = "en"
    partners: Mapping[str, str] = field(default_factory=dict)
    users: Mapping[str, str] = field(default_factory=dict)

    async def of_user(self, username: str) -> str:
        return self.users.get(username, self.default)

    async def of_partner(self, partner: Partner) -> str:
        return self.partners.get(partner.id, self.default)


# Acme's workgroup reads Brazilian Portuguese; bob reads Spanish; carla English.
ACME_IN_PORTUGUESE = Spoken(partners={"acme-hosting": "pt-BR"}, users={"bob": "es"})


async def put(store: Store, collection: str, *docs: Mapping[str, object]) -> None:
    tx = store.begin(actor="test", now=DEC_1)
    for doc in docs:
        tx.put(collection, doc)
    await tx.commit()


def signed_in_october(**changes: object) -> Partner:
    """Signed 2026-10-15, trained: on 2026-12-01 the report of 2026-11 opens (October's was
    due on 2026-11-10 and is overdue unless filed)."""
    return replace(make_partner(signed=date(2026, 10, 15), training=True), **changes)  # type: ignore[arg-type]


async def test_each_reminder_goes_out_once(store: Store, clock: Clock) -> None:
    await put(store, "partners", signed_in_october().to_doc())
    await put(
        store, "reports", {"partner": "acme-hosting", "month": "2026-10", "state": "submitted"}
    )
    posted = Posted()
    sender = reminders(store, clock, posted)
    assert await sender.evaluate() == 1
    [out] = posted.messages
    assert out.room_id == "ROOM1" and "report for 2026-11 is open" in out.text
    assert await store.get("sent", "acme-hosting", "report-open", "2026-11") is not None
    assert await store.get("outbox", out.id) is not None  # in the same commit
    clock.advance(hours=3)
    assert await sender.evaluate() == 0
    assert await reminders(store, clock, Posted()).evaluate() == 0  # a restarted bot too


async def test_a_report_missed_long_ago_is_reminded_once(store: Store, clock: Clock) -> None:
    """Signed 2026-03-15, filed from June: the overdue reminders of March to May, missed
    (the bot was down, say), go out once each, oldest first, and not again the next day."""
    await put(store, "partners", make_partner(signed=date(2026, 3, 15), training=True).to_doc())
    filed = [f"2026-{month:02}" for month in range(6, 11)]
    await put(store, "filings", {"partner": "acme-hosting", "months": filed, "complete": True})
    posted = Posted()
    sender = reminders(store, clock, posted)
    assert await sender.evaluate() == 4
    assert [text.split(" was due")[0] for text in posted.texts("dm-bob")] == [
        f"The sales report of Acme Hosting (`acme-hosting`) for 2026-{month:02}"
        for month in (3, 4, 5)
    ]
    assert "report for 2026-11 is open" in posted.texts("ROOM1")[-1]
    clock.advance(days=1)
    assert await sender.evaluate() == 0
    clock.advance(days=40)  # 2027-01-11: November and December overdue, the review due
    later = Posted()
    assert await reminders(store, clock, later).evaluate() == 3
    assert not any("2026-03" in out.text or "2026-05" in out.text for out in later.messages)


async def test_nothing_is_marked_when_the_commit_does_not_happen(
    store: Store, clock: Clock
) -> None:
    await put(store, "partners", signed_in_october().to_doc())
    posted = Posted()
    posted.fail_before_commit = True
    with pytest.raises(RuntimeError):
        await reminders(store, clock, posted).evaluate()
    assert [doc async for doc in store.scan("sent")] == []
    assert [doc async for doc in store.scan("outbox")] == []
    again = Posted()
    assert await reminders(store, clock, again).evaluate() == 2  # open 2026-11, overdue 2026-10
    # the same messages, with the same ids: a message that did reach the server is known
    assert [(out.id, out.text) for out in again.messages] == [
        (out.id, out.text) for out in posted.attempted
    ]


async def test_a_report_filed_meanwhile_stops_its_reminder(store: Store, clock: Clock) -> None:
    await put(store, "partners", signed_in_october().to_doc())
    posted = Posted()
    await reminders(store, clock, posted).evaluate()
    assert any("2026-10 was due on 2026-11-10" in text for text in posted.texts("ROOM1"))
    await put(
        store, "reports", {"partner": "acme-hosting", "month": "2026-11", "state": "submitted"}
    )
    clock.now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    later = Posted()
    assert await reminders(store, clock, later).evaluate() == 0  # no "due soon" for 2026-11


async def test_the_audiences_rooms(store: Store, clock: Clock) -> None:
    """Without a workgroup, each contact's DM; the manager's DM, or the managers' room."""
    await put(
        store, "partners", signed_in_october(workgroup=None, contacts=("alice", "dan")).to_doc()
    )
    posted = Posted()
    await reminders(store, clock, posted).evaluate()
    overdue = [out for out in posted.messages if "was due on" in out.text]
    assert sorted(out.room_id for out in overdue) == ["dm-alice", "dm-bob", "dm-dan"]
    told = {out.room_id: out.text for out in overdue}  # each audience its own text
    assert told["dm-alice"] == told["dm-dan"]
    assert "`/report 2026-10 submit`" in told["dm-alice"]
    assert "`/status acme-hosting`" in told["dm-bob"] and "/report" not in told["dm-bob"]
    assert len({out.id for out in posted.messages}) == len(posted.messages)

    store2 = await Store.open(None, SCHEMA)
    await put(store2, "partners", signed_in_october().to_doc())
    chat = FakeChat()
    chat.groups["partner-managers"] = ()
    in_room = Posted()
    settings = replace(SETTINGS, manager_room="partner-managers")
    await reminders(store2, clock, in_room, settings, chat).evaluate()
    overdue = [out for out in in_room.messages if "was due on" in out.text]
    assert sorted(out.room_id for out in overdue) == ["ROOM1", "room-partner-managers"]
    await store2.close()


class FlakyChat(FakeChat):
    def __init__(self) -> None:
        super().__init__()
        self.down = True

    async def direct_room(self, username: str) -> str:
        if self.down:
            raise ChatError(f"cannot open a DM with @{username}")
        return await super().direct_room(username)


async def test_a_room_not_found_now_is_tried_again_later(store: Store, clock: Clock) -> None:
    await put(store, "partners", signed_in_october().to_doc())
    chat = FlakyChat()
    posted = Posted()
    sender = reminders(store, clock, posted, chat=chat)
    assert await sender.send_due() is False  # some to try again soon
    assert len(posted.messages) == 1  # the workgroup's report-open; the overdue needs the AM
    assert await store.get("sent", "acme-hosting", "report-overdue", "2026-10") is None
    chat.down = False
    assert await sender.send_due() is True
    assert len(posted.messages) == 3
    assert sorted(posted.texts("dm-bob")) == posted.texts("dm-bob")
    assert len(posted.texts("dm-bob")) == 1


async def test_no_fee_reminder_for_a_year_paid(store: Store, clock: Clock) -> None:
    signed = make_partner(signed=date(2026, 1, 15))
    await put(store, "partners", signed.to_doc())
    months = [f"2026-{month:02}" for month in range(1, 12)]
    await put(
        store,
        "reports",
        *({"partner": signed.id, "month": month, "state": "submitted"} for month in months),
    )
    clock.now = datetime(2026, 12, 16, 9, 0, tzinfo=UTC)
    await put(
        store, "fees", {"partner": signed.id, "year": "2027", "paid_on": "2026-12-01", "by": "bob"}
    )
    assert await reminders(store, clock, Posted()).evaluate() == 0
    await put(store, "partners", replace(signed, id="other").to_doc())
    await put(
        store,
        "reports",
        *({"partner": "other", "month": month, "state": "submitted"} for month in months),
    )
    posted = Posted()
    assert await reminders(store, clock, posted).evaluate() == 1
    assert "`/fee other paid 2027`" in posted.texts("dm-bob")[0]  # the manager records it
    assert "/fee" not in posted.texts("ROOM1")[0]


async def test_the_digest_goes_to_each_manager_once_a_day(store: Store, clock: Clock) -> None:
    steps = dict(make_partner().steps)
    steps[Step.GOALS] = StepRecord(State.SUBMITTED, DEC_1 - timedelta(days=3), "alice")
    waiting = replace(make_partner(), id="waiting", steps=steps, signed=None)
    await put(store, "partners", waiting.to_doc())
    posted = Posted()
    sender = reminders(store, clock, posted)
    assert await sender.evaluate() == 1
    assert len(posted.texts("dm-bob")) == 1 and "waiting goals" in posted.texts("dm-bob")[0]
    clock.advance(hours=5)
    assert await sender.evaluate() == 0
    clock.advance(days=1)
    assert await sender.evaluate() == 1


async def test_the_filed_months_come_from_the_index_when_there_is_one(
    store: Store, clock: Clock
) -> None:
    await put(store, "partners", signed_in_october().to_doc())
    await put(store, "filings", {"partner": "acme-hosting", "months": ["2026-10"]})
    posted = Posted()
    assert await reminders(store, clock, posted).evaluate() == 1  # no overdue for 2026-10
    assert "report for 2026-11 is open" in posted.messages[0].text


async def test_a_former_managers_reminders_go_to_the_managers(store: Store, clock: Clock) -> None:
    """dave was acme's manager and is no longer in PARTNERBOT_MANAGERS: what the manager is
    told goes to every account manager, none to dave."""
    await put(store, "partners", signed_in_october(manager="dave").to_doc())
    posted = Posted()
    await reminders(store, clock, posted).evaluate()
    overdue = [out for out in posted.messages if "was due on" in out.text]
    assert sorted(out.room_id for out in overdue) == ["ROOM1", "dm-bob", "dm-carla"]
    assert posted.texts("dm-dave") == []


async def test_the_partners_of_former_managers_are_told_at_start_up(
    store: Store, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    await put(
        store,
        "partners",
        signed_in_october(id="acme", manager="dave").to_doc(),
        signed_in_october(id="kept").to_doc(),  # bob's
    )
    posted = Posted()
    await reminders(store, clock, posted).announce_orphans()
    assert sorted(out.room_id for out in posted.messages) == ["dm-bob", "dm-carla"]
    assert "- acme (active): was @dave" in posted.messages[0].text
    assert "kept" not in posted.messages[0].text
    assert "acme (@dave)" in caplog.text and "kept" not in caplog.text
    assert await store.get("outbox", posted.messages[0].id) is not None  # stored, then sent

    chat = FakeChat()
    chat.groups["partner-managers"] = ()
    in_room = Posted()
    settings = replace(SETTINGS, manager_room="partner-managers")
    await reminders(store, clock, in_room, settings, chat).announce_orphans()
    assert [out.room_id for out in in_room.messages] == ["room-partner-managers"]

    nobody = Posted()
    await reminders(
        store, clock, nobody, replace(SETTINGS, managers=frozenset())
    ).announce_orphans()
    assert nobody.messages == []  # no one to tell but the log
    everyone = replace(SETTINGS, managers=frozenset({"bob", "carla", "dave"}))
    none = Posted()
    await reminders(store, clock, none, everyone).announce_orphans()
    assert none.messages == []


async def test_each_reader_is_reminded_in_their_language(store: Store, clock: Clock) -> None:
    """The overdue report of 2026-10 (due 2026-11-10): the workgroup's text made in the
    partner's language, bob's DM in bob's; the marks and message ids as in English."""
    await put(store, "partners", signed_in_october().to_doc())
    posted = Posted()
    assert await reminders(store, clock, posted, languages=ACME_IN_PORTUGUESE).evaluate() == 2
    overdue = {out.room_id: out.text for out in posted.messages if "2026-10" in out.text}
    assert "10/11/2026" in overdue["ROOM1"]  # pt-BR's short date
    assert "10/11/26" in overdue["dm-bob"] and "10/11/2026" not in overdue["dm-bob"]  # es
    assert all("2026-11-10" not in text for text in overdue.values())

    english = await Store.open(None, SCHEMA)
    await put(english, "partners", signed_in_october().to_doc())
    in_english = Posted()
    assert await reminders(english, clock, in_english).evaluate() == 2
    assert any("was due on 2026-11-10" in text for text in in_english.texts("ROOM1"))
    assert [(out.id, out.room_id) for out in in_english.messages] == [
        (out.id, out.room_id) for out in posted.messages
    ]
    assert [doc async for doc in english.scan("sent")] == [doc async for doc in store.scan("sent")]
    await english.close()


async def test_the_managers_room_reads_the_default_language(store: Store, clock: Clock) -> None:
    await put(store, "partners", signed_in_october().to_doc())
    chat = FakeChat()
    chat.groups["partner-managers"] = ()
    posted = Posted()
    settings = replace(SETTINGS, manager_room="partner-managers")
    languages = replace(ACME_IN_PORTUGUESE, default="es")
    await reminders(store, clock, posted, settings, chat, languages).evaluate()
    [managers] = posted.texts("room-partner-managers")
    assert "10/11/26" in managers  # es, PARTNERBOT_LANGUAGE's; not bob's own nor acme's
    assert any("10/11/2026" in text for text in posted.texts("ROOM1"))


async def test_a_contacts_dm_reads_the_contacts_language(store: Store, clock: Clock) -> None:
    await put(
        store, "partners", signed_in_october(workgroup=None, contacts=("alice", "dan")).to_doc()
    )
    posted = Posted()
    languages = Spoken(partners={"acme-hosting": "es"}, users={"alice": "pt-BR"})
    await reminders(store, clock, posted, languages=languages).evaluate()
    assert any("10/11/2026" in text for text in posted.texts("dm-alice"))
    assert any("2026-11-10" in text for text in posted.texts("dm-dan"))  # dan: the default


async def test_the_fee_reminder_shows_the_fee_as_its_reader_writes_it(
    store: Store, clock: Clock
) -> None:
    signed = make_partner(signed=date(2026, 1, 15))
    await put(store, "partners", signed.to_doc())
    months = [f"2026-{month:02}" for month in range(1, 12)]
    await put(
        store,
        "reports",
        *({"partner": signed.id, "month": month, "state": "submitted"} for month in months),
    )
    clock.now = datetime(2026, 12, 16, 9, 0, tzinfo=UTC)  # the 2027 fee is due on 2027-01-15
    posted = Posted()
    assert await reminders(store, clock, posted, languages=ACME_IN_PORTUGUESE).evaluate() == 1
    [workgroup] = posted.texts("ROOM1")
    assert "US$\xa01.200,00" in workgroup and "15/01/2027" in workgroup  # CLDR's no-break space
    [bob] = posted.texts("dm-bob")
    assert "1.200,00\xa0US$" in bob and "15/1/27" in bob


async def test_the_digest_is_made_in_its_managers_language(store: Store, clock: Clock) -> None:
    steps = dict(make_partner().steps)
    steps[Step.GOALS] = StepRecord(State.SUBMITTED, DEC_1 - timedelta(days=3), "alice")
    waiting = replace(make_partner(), id="waiting", steps=steps, signed=None)
    await put(store, "partners", waiting.to_doc())
    posted = Posted()
    assert await reminders(store, clock, posted, languages=ACME_IN_PORTUGUESE).evaluate() == 1
    [digest] = posted.texts("dm-bob")
    assert "28/11/26" in digest and "`/approve waiting goals`" in digest  # es; commands as typed


async def test_the_orphans_notice_is_made_in_each_readers_language(
    store: Store, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await put(store, "partners", signed_in_october(id="acme", manager="dave").to_doc())
    made_in: list[str] = []

    def noting(partners: Sequence[Partner]) -> str | None:
        made_in.append(i18n.language())
        return orphans_notice(partners)

    monkeypatch.setattr(commands.reminding, "orphans_notice", noting)
    languages = Spoken(users={"bob": "es", "carla": "pt-BR"})
    posted = Posted()
    await reminders(store, clock, posted, languages=languages).announce_orphans()
    assert sorted(made_in) == ["es", "pt-BR"]
    assert sorted(out.room_id for out in posted.messages) == ["dm-bob", "dm-carla"]

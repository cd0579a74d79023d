"""The onboarding rules: fields, ids, every transition allowed and refused, the order of the
steps, the effects, and the partner document (SPEC §1, §2, §5)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

import workflows.onboarding as onboarding
from workflows.onboarding import (
    APPLICATION_FIELDS,
    STATUS_FLOW,
    STEP_RULES,
    STEPS,
    TRANSITIONS,
    AcceptInvitation,
    AddToWorkgroup,
    Apply,
    Approve,
    Assign,
    Attest,
    CreateWorkgroup,
    Effect,
    Event,
    InviteContact,
    Partner,
    PartnerType,
    Reapply,
    Reinstate,
    Reject,
    Remove,
    RemoveContact,
    RemoveFromWorkgroup,
    RequestApproval,
    RuleError,
    SendInvitation,
    State,
    Status,
    Step,
    StepRecord,
    SubmitGoals,
    SubmitListing,
    Suspend,
    TellManagers,
    TellPartner,
    WorkgroupCreated,
    WorkgroupFailed,
    apply,
    check_field,
    decide,
    missing_fields,
    new_partner_id,
    parse_step,
    parse_type,
    slug,
    workgroup_name,
)
from workflows.onboarding.fields import SLUG_MAX, SLUG_PATTERN

ZONE = ZoneInfo("America/Sao_Paulo")  # UTC-3, no DST since 2019
NOW = datetime(2024, 5, 2, 12, 0, tzinfo=UTC)  # 09:00 on 2024-05-02 in São Paulo
TODAY = "2024-05-02"
TOMORROW = "2024-05-03"
ALICE, ERIN, BOB, CAROL, BOT = "alice", "erin", "bob", "carol", "partnerbot"
CONTRACT = {"signed": TODAY, "support": "yes", "fee": "paid"}
LISTING_URL = "https://acme.example/partners"


def application(**changes: str | None) -> Apply:
    fields: dict[str, Any] = {
        "company": "Acme Hosting",
        "type": "hosting",
        "website": "https://acme.example",
        "email": "partners@acme.example",
        "country": "BR",
    }
    return Apply(**(fields | changes))


def reapplication(**changes: str | None) -> Reapply:
    fields: dict[str, Any] = {
        "company": "Acme Hosting Ltda",
        "type": "tech",
        "website": "https://acme.example",
        "email": "partners@acme.example",
    }
    return Reapply(**(fields | changes))


def act(
    partner: Partner, event: Event, by: str = BOB, now: datetime = NOW
) -> tuple[Partner, list[Effect]]:
    return decide(partner, event, by, now, ZONE)


def then(partner: Partner, event: Event, by: str = BOB, now: datetime = NOW) -> Partner:
    return act(partner, event, by, now)[0]


def refused(partner: Partner, event: Event, by: str = BOB, now: datetime = NOW) -> str:
    with pytest.raises(RuleError) as caught:
        act(partner, event, by, now)
    return str(caught.value)


# Partners at each stage of the program. All have two contacts: alice (the applicant), erin.


def applicant() -> Partner:
    partner, _ = apply("acme-hosting", application(), ALICE, NOW)
    return joined(partner, ERIN, ALICE)


def joined(partner: Partner, username: str, by: str) -> Partner:
    """`by` invites `username`, who accepts."""
    return then(then(partner, InviteContact(username), by), AcceptInvitation(), username)


def onboarding_partner() -> Partner:
    return then(applicant(), Approve(Step.APPLICATION))


def ready_for_contract() -> Partner:
    partner = then(onboarding_partner(), SubmitGoals("3m", "Host five workspaces"), ALICE)
    partner = then(partner, SubmitGoals("1y", "Host fifty workspaces"), ALICE)
    partner = then(partner, Approve(Step.GOALS))
    return then(partner, Approve(Step.MEETING, {"on": TODAY}))


def active() -> Partner:
    """Contract approved; the workgroup not created yet, listing and training to do."""
    return then(ready_for_contract(), Approve(Step.CONTRACT, CONTRACT))


def with_workgroup() -> Partner:
    return then(active(), WorkgroupCreated("ROOM1"), BOT)


def suspended() -> Partner:
    return then(active(), Suspend("no report for March"))


def rejected() -> Partner:
    return then(applicant(), Reject(Step.APPLICATION, "the website is down"))


def removed() -> Partner:
    return then(applicant(), Remove("duplicate application"))


STAGES: dict[Status, Callable[[], Partner]] = {
    Status.APPLICANT: applicant,
    Status.ONBOARDING: onboarding_partner,
    Status.ACTIVE: active,
    Status.SUSPENDED: suspended,
    Status.REJECTED: rejected,
    Status.REMOVED: removed,
}


def only(effects: list[Effect], kind: type[Any]) -> Any:
    matching = [effect for effect in effects if isinstance(effect, kind)]
    assert len(matching) == 1, effects
    return matching[0]


# Partner types ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hosting", PartnerType.HOSTING),
        ("HOSTING", PartnerType.HOSTING),
        (" technology ", PartnerType.TECHNOLOGY),
        ("tech", PartnerType.TECHNOLOGY),
        ("technology-provider", PartnerType.TECHNOLOGY),
        ("Technology Provider", PartnerType.TECHNOLOGY),
        ("value-added", PartnerType.VALUE_ADDED),
        ("VAP", PartnerType.VALUE_ADDED),
        ("value-added-partner", PartnerType.VALUE_ADDED),
        ("value_added", PartnerType.VALUE_ADDED),
    ],
)
def test_parse_type(text: str, expected: PartnerType) -> None:
    assert parse_type(text) is expected


@pytest.mark.parametrize("text", ["", "reseller", "host", "value", "tech provider x"])
def test_parse_type_refuses_with_the_accepted_values(text: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_type(text)
    message = str(caught.value)
    for accepted in ("hosting", "technology", "value-added", "tech", "vap"):
        assert accepted in message


def test_parse_step() -> None:
    assert parse_step(" Contract ") is Step.CONTRACT
    with pytest.raises(RuleError, match="application, meeting, goals"):
        parse_step("signing")


# Ids ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("company", "expected"),
    [
        ("Soluções Ágeis Ltda.", "solucoes-ageis-ltda"),  # SPEC §2
        ("Acme Hosting", "acme-hosting"),
        ("  ACME   Hosting, Inc. ", "acme-hosting-inc"),
        ("Müller & Söhne GmbH", "muller-sohne-gmbh"),
        ("Straße 42", "strasse-42"),
        ("Ørsted Æble Łódź", "orsted-aeble-lodz"),
        ("Crème Brûlée S.A.", "creme-brulee-s-a"),
        ("İstanbul Bilişim", "istanbul-bilisim"),
        ("🚀 Rocket Hosting 🚀", "rocket-hosting"),
        ("Acme🚀Cloud", "acme-cloud"),
        ("Acme™ Hosting", "acme-hosting"),
        ("\uff21\uff43\uff4d\uff45 Co", "acme-co"),  # full-width letters
        ("4Linux", "4linux"),
        ("--Acme--", "acme"),
        ("a_b.c/d", "a-b-c-d"),
        ("東京 Cloud", "dongjing-cloud"),
        # other scripts are transliterated (anyascii)
        ("日本語株式会社", "ribenyuzhushihuishe"),
        ("Ελληνική Α.Ε.", "elliniki-a-e"),  # noqa: RUF001 (Greek, as meant)
        ("ООО «Ромашка»", "ooo-romashka"),  # noqa: RUF001 (Cyrillic, as meant)
        ("ガス Tech", "gasu-tech"),  # a kana with its voicing mark
        ("한국어", "hangugeo"),
        ("शिक्षा Labs", "siksa-labs"),
        ("Ŋoma", "ngoma"),  # a Latin letter NFKD leaves as it is
    ],
)
def test_slug(company: str, expected: str) -> None:
    assert slug(company) == expected


@pytest.mark.parametrize("company", ["", "   ", "!!!", "-.-", "🚀🚀", "™"])
def test_slug_of_a_name_without_letters_or_digits(company: str) -> None:
    with pytest.raises(RuleError, match="at least one letter or digit"):
        slug(company)


def test_a_name_that_nothing_transliterates_gets_a_stable_hashed_id() -> None:
    # ARABIC LETTER ALEF and the prolonged sound mark are letters anyascii leaves empty
    alef = "\N{ARABIC LETTER ALEF}"
    assert slug(alef) == "partner-be0fa08b"  # the same on every run and every machine
    assert slug(f"  {alef} ") == slug(alef)
    assert slug("ーー") != slug(alef)
    assert SLUG_PATTERN.fullmatch(slug("ーー"))


def test_a_long_name_is_cut_at_a_word_boundary() -> None:
    company = "Very Long Company Name " * 6
    result = slug(company)
    assert len(result) <= SLUG_MAX
    assert result == "very-long-company-name-very-long-company-name-very-long-company"
    assert slug("x" * 100) == "x" * SLUG_MAX  # one word: cut where it must be


@given(st.text())
def test_a_slug_is_always_an_id(company: str) -> None:
    try:
        result = slug(company)
    except RuleError:
        return
    assert SLUG_PATTERN.fullmatch(result)
    assert len(result) <= SLUG_MAX
    assert slug(result) == result


def test_new_partner_id_counts_up_past_taken_ids() -> None:
    assert new_partner_id("Acme", lambda _: False) == "acme"
    assert new_partner_id("Acme", {"acme"}.__contains__) == "acme-2"
    assert new_partner_id("ACME!", {"acme", "acme-2", "acme-3"}.__contains__) == "acme-4"
    # "Acme 2" took acme-2 before the second "Acme" came
    assert new_partner_id("Acme 2", {"acme"}.__contains__) == "acme-2"
    assert new_partner_id("Acme", {"acme", "acme-2"}.__contains__) == "acme-3"
    with pytest.raises(RuleError):
        new_partner_id("???", lambda _: False)


# Application fields -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("company", "  Acme   Hosting ", "Acme Hosting"),
        ("company", "x" * 200, "x" * 200),
        ("company", "Soluções Ágeis Ltda.", "Soluções Ágeis Ltda."),
        ("Company", "Acme", "Acme"),
        ("type", "VAP", "value-added"),
        ("type", "Technology Provider", "technology"),
        ("website", " https://acme.example ", "https://acme.example"),
        ("website", "http://acme.example/partners?x=1#top", "http://acme.example/partners?x=1#top"),
        ("website", "HTTPS://sub.acme.co.uk:8443/path", "HTTPS://sub.acme.co.uk:8443/path"),
        ("website", "https://soluções.com.br", "https://soluções.com.br"),
        ("website", "https://acme.example.", "https://acme.example."),
        ("website", "http://192.0.2.10/", "http://192.0.2.10/"),
        ("website", " acme.example ", "https://acme.example"),
        ("website", "www.acme.example/partners", "https://www.acme.example/partners"),
        ("email", " partners@ACME.Example ", "partners@acme.example"),
        ("email", "Mailto:first.last+partners@acme.example", "first.last+partners@acme.example"),
        ("email", "Ana@soluções.com.br", "Ana@soluções.com.br"),
        ("country", "br", "BR"),
        ("country", "Brazil", "Brazil"),
        ("country", "  United   Kingdom ", "United Kingdom"),
    ],
)
def test_check_field_accepts(name: str, value: str, expected: str) -> None:
    assert check_field(name, value) == expected
    assert check_field(name, expected) == expected  # a checked value passes again unchanged


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("company", "", "company must be 1 to 200 characters"),
        ("company", "   ", "company must be 1 to 200 characters"),
        ("company", "x" * 201, "company must be 1 to 200 characters"),
        ("company", "!!!", "at least one letter or digit"),
        ("company", "Acme\x00", "control characters"),
        ("type", "reseller", "type must be hosting, technology or value-added"),
        ("website", "ftp://acme.example", "website must be an http(s) URL"),
        ("website", "https://", "website must be an http(s) URL"),
        ("website", "https:///path", "website must be an http(s) URL"),
        ("website", "https://acme", "website must be an http(s) URL"),
        ("website", "acme", "website must be an http(s) URL"),
        ("website", "acme dot example", "website must be an http(s) URL"),
        ("website", "acme.example:99999", "website must be an http(s) URL"),
        ("website", "https://ac me.example", "website must be an http(s) URL"),
        ("website", "https://acme.example:99999", "website must be an http(s) URL"),
        ("website", "https://-acme.example", "website must be an http(s) URL"),
        ("website", "https://acme..example", "website must be an http(s) URL"),
        ("website", "https://[::1]/", "website must be an http(s) URL"),
        ("website", "javascript:alert(1)", "website must be an http(s) URL"),
        ("website", "", "website must be an http(s) URL"),
        ("website", "https://acme.example/" + "x" * 2000, "website must be an http(s) URL"),
        ("website", "https://user:secret@acme.example", "user name or password"),
        ("email", "partners", "email must be an address"),
        ("email", "@acme.example", "email must be an address"),
        ("email", "partners@", "email must be an address"),
        ("email", "partners@acme", "email must be an address"),
        ("email", "part ners@acme.example", "email must be an address"),
        ("email", "a@b@acme.example", "email must be an address"),
        ("email", "partners@acme..example", "email must be an address"),
        ("email", "<partners@acme.example>", "email must be an address"),
        ("email", "x" * 65 + "@acme.example", "email must be an address"),
        ("country", "B", "country must be 2 to 60 characters"),
        ("country", "x" * 61, "country must be 2 to 60 characters"),
        ("country", "42", "country must be 2 to 60 characters"),
        ("colour", "red", "there is no field 'colour'"),
    ],
)
def test_check_field_refuses(name: str, value: str, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        check_field(name, value)
    assert message in str(caught.value)


def test_missing_fields_in_the_order_asked() -> None:
    assert APPLICATION_FIELDS == ("company", "type", "website", "email")
    assert missing_fields({}) == ["company", "type", "website", "email"]
    assert missing_fields({"company": "Acme", "type": "  ", "email": "a@acme.example"}) == [
        "type",
        "website",
    ]
    full = {"company": "A", "type": "tech", "website": "https://a.example", "email": "a@a.example"}
    assert missing_fields(full) == []  # country is optional


# Applying -----------------------------------------------------------------------------


def test_apply_makes_an_applicant_and_asks_for_approval() -> None:
    partner, effects = apply("acme-hosting", application(type="vap"), ALICE, NOW)
    assert partner.id == "acme-hosting"
    assert partner.company == "Acme Hosting"
    assert partner.type is PartnerType.VALUE_ADDED
    assert partner.country == "BR"
    assert partner.status is Status.APPLICANT
    assert partner.contacts == (ALICE,)
    assert partner.manager is None
    assert partner.workgroup is None
    assert partner.applied_at == NOW
    assert partner.steps[Step.APPLICATION] == StepRecord(State.SUBMITTED, NOW, ALICE)
    assert all(partner.state(step) is State.TODO for step in STEPS[1:])
    assert partner.next_step() is Step.APPLICATION
    request = only(effects, RequestApproval)
    assert request.partner_id == "acme-hosting"
    assert request.step is Step.APPLICATION
    assert "Acme Hosting" in request.summary()
    assert "@alice" in request.summary()
    assert "https://acme.example" in request.summary()
    assert len(effects) == 1


def test_apply_without_country() -> None:
    partner, _ = apply("acme", application(country=None), ALICE, NOW)
    assert partner.country is None
    partner, _ = apply("acme", application(country="  "), ALICE, NOW)
    assert partner.country is None


def test_apply_keeps_times_in_utc() -> None:
    local = datetime(2024, 5, 2, 9, 0, tzinfo=ZONE)
    partner, _ = apply("acme", application(), ALICE, local)
    assert partner.applied_at == local
    assert partner.applied_at.tzinfo is UTC


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"company": ""}, "company"),
        ({"type": "reseller"}, "type must be"),
        ({"website": "acme dot example"}, "website must be"),
        ({"email": "nobody"}, "email must be"),
        ({"country": "X"}, "country must be"),
    ],
)
def test_apply_checks_every_field(changes: dict[str, str], message: str) -> None:
    with pytest.raises(RuleError, match=message):
        apply("acme", application(**changes), ALICE, NOW)


def test_apply_refuses_what_only_a_bug_would_send() -> None:
    with pytest.raises(ValueError, match="not a partner id"):
        apply("Acme Hosting", application(), ALICE, NOW)
    with pytest.raises(ValueError, match="aware"):
        apply("acme", application(), ALICE, datetime(2024, 5, 2, 12))  # noqa: DTZ001
    with pytest.raises(ValueError, match="username"):
        apply("acme", application(), " ", NOW)


def test_decide_refuses_a_second_application() -> None:
    assert "already applied" in refused(applicant(), application(), ALICE)


def test_decide_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="aware"):
        decide(applicant(), Approve(Step.APPLICATION), BOB, datetime(2024, 5, 2), ZONE)  # noqa: DTZ001


# Every event in every status ----------------------------------------------------------

NOT_REMOVED = set(Status) - {Status.REMOVED}
LIVE = {Status.ONBOARDING, Status.ACTIVE, Status.SUSPENDED}

# (event, sent by, the statuses in which it is allowed for the partners of STAGES)
MATRIX: list[tuple[Event, str, set[Status]]] = [
    (reapplication(), ALICE, {Status.APPLICANT, Status.REJECTED}),
    (Approve(Step.APPLICATION), BOB, {Status.APPLICANT}),
    (Reject(Step.APPLICATION, "no website"), BOB, {Status.APPLICANT}),
    (Approve(Step.MEETING, {"on": TODAY}), BOB, LIVE),  # active, suspended: a correction
    (SubmitGoals("3m", "grow"), ALICE, {Status.ONBOARDING}),  # later: already approved
    (SubmitListing(LISTING_URL, True), ALICE, LIVE),
    (Approve(Step.CONTRACT, CONTRACT), BOB, {Status.ACTIVE, Status.SUSPENDED}),  # correction
    (Approve(Step.WORKGROUP), BOB, {Status.ACTIVE, Status.SUSPENDED}),
    (Approve(Step.TRAINING), BOB, {Status.ACTIVE, Status.SUSPENDED}),
    (WorkgroupCreated("ROOM1"), BOT, {Status.ACTIVE, Status.SUSPENDED}),
    (WorkgroupFailed("no permission"), BOT, {Status.ACTIVE, Status.SUSPENDED}),
    (Suspend("late reports"), BOB, {Status.ACTIVE}),
    (Reinstate(), BOB, {Status.SUSPENDED}),
    (Remove("left the program"), BOB, NOT_REMOVED),
    (Assign(CAROL), BOB, NOT_REMOVED),
    (InviteContact("dave"), ALICE, NOT_REMOVED - {Status.SUSPENDED}),
    (AcceptInvitation(), "zoe", NOT_REMOVED - {Status.SUSPENDED}),  # zoe is invited: `prepared`
    (RemoveContact(ERIN), ALICE, NOT_REMOVED),
    (Attest("statistics", True), ALICE, LIVE),
]


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize(("event", "by", "allowed"), MATRIX, ids=lambda value: repr(value)[:40])
def test_every_event_in_every_status(
    status: Status, event: Event, by: str, allowed: set[Status]
) -> None:
    partner = prepared(STAGES[status](), event)
    assert partner.status is status
    if status in allowed:
        after, _ = act(partner, event, by)
        if after.status is not status:
            assert (status, after.status) in {(edge[0], edge[1]) for edge in STATUS_FLOW}
    else:
        message = refused(partner, event, by)
        assert message[0].isupper() or message[0] == "@", message
        assert message.endswith("."), message


def prepared(partner: Partner, event: Event) -> Partner:
    """The partner, with zoe invited for the event that accepts an invitation."""
    return replace(partner, invited=("zoe",)) if isinstance(event, AcceptInvitation) else partner


def test_the_matrix_covers_every_event() -> None:
    covered = {type(event) for event, _, _ in MATRIX}
    assert covered == set(TRANSITIONS)


@pytest.mark.parametrize(("event", "by", "allowed"), MATRIX, ids=lambda value: repr(value)[:40])
def test_a_removed_partner_accepts_nothing(event: Event, by: str, allowed: set[Status]) -> None:
    message = refused(removed(), event, by)
    assert message == (
        "Acme Hosting was removed from the partner program; nothing more can change."
    )


@pytest.mark.parametrize(
    ("stage", "event", "message"),
    [
        (
            active,
            Reinstate(),
            "Only a suspended partner can be reinstated; Acme Hosting is active.",
        ),
        (suspended, Suspend("again"), "Acme Hosting is already suspended."),
        (
            onboarding_partner,
            Suspend("x"),
            "Only an active partner can be suspended; Acme Hosting is onboarding.",
        ),
        (
            onboarding_partner,
            reapplication(),
            "The application of Acme Hosting is already approved.",
        ),
        (
            applicant,
            SubmitListing(LISTING_URL, True),
            "The application of Acme Hosting needs to be approved first.",
        ),
        (
            applicant,
            SubmitGoals("1y", "grow"),
            "The application of Acme Hosting needs to be approved first.",
        ),
        (
            rejected,
            Approve(Step.APPLICATION),
            "The application of Acme Hosting was rejected; it needs to be sent again first.",
        ),
    ],
)
def test_status_refusals_say_why(stage: Callable[[], Partner], event: Event, message: str) -> None:
    by = ALICE if isinstance(event, (Reapply, SubmitListing, SubmitGoals)) else BOB
    assert refused(stage(), event, by) == message


@pytest.mark.parametrize(
    "event",
    [
        reapplication(),
        SubmitGoals("3m", "grow"),
        SubmitListing(LISTING_URL, None),
        Attest("reference", True),
    ],
)
def test_only_a_contact_sends_what_the_partner_sends(event: Event) -> None:
    partner = rejected() if isinstance(event, Reapply) else onboarding_partner()
    assert refused(partner, event, CAROL) == "Only the contacts of Acme Hosting can do that."


@pytest.mark.parametrize(
    "event",
    [
        Approve(Step.APPLICATION),
        Reject(Step.APPLICATION, "no"),
        Remove("bye"),
        Assign(CAROL),
    ],
)
def test_a_contact_does_not_decide_for_its_own_partner(event: Event) -> None:
    assert "You are a contact of Acme Hosting" in refused(applicant(), event, ERIN)


def test_an_unknown_event_is_a_bug() -> None:
    with pytest.raises(TypeError):
        act(applicant(), "approve", BOB)  # type: ignore[arg-type]


# The order of the steps ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "event", "message"),
    [
        (
            applicant,
            Approve(Step.MEETING, {"on": TODAY}),
            "The meeting needs the application to be done first.",
        ),
        (
            applicant,
            Approve(Step.CONTRACT, CONTRACT),
            "The contract needs the application, the meeting and the goals to be done first.",
        ),
        (
            onboarding_partner,
            Approve(Step.CONTRACT, CONTRACT),
            "The contract needs the meeting and the goals to be done first.",
        ),
        (
            lambda: then(onboarding_partner(), Approve(Step.MEETING, {"on": TODAY})),
            Approve(Step.CONTRACT, CONTRACT),
            "The contract needs the goals to be done first.",
        ),
        (
            lambda: replace(
                ready_for_contract(),
                steps={
                    **ready_for_contract().steps,
                    Step.MEETING: StepRecord(State.TODO),
                },
            ),
            Approve(Step.CONTRACT, CONTRACT),
            "The contract needs the meeting to be done first.",
        ),
        (
            onboarding_partner,
            Approve(Step.CONTRACT, {"term": "6"}),  # the order first, then the fields
            "The contract needs the meeting and the goals to be done first.",
        ),
        (
            ready_for_contract,
            Approve(Step.TRAINING),
            "The training needs the contract to be done first.",
        ),
        (
            ready_for_contract,
            Approve(Step.WORKGROUP),
            "The workgroup needs the contract to be done first.",
        ),
        (
            applicant,
            Approve(Step.GOALS),
            "The goals need the application to be done first.",
        ),
        (
            applicant,
            Approve(Step.LISTING),
            "The listing needs the application to be done first.",
        ),
    ],
)
def test_steps_in_order(stage: Callable[[], Partner], event: Event, message: str) -> None:
    assert refused(stage(), event) == message


def test_the_bot_reports_no_workgroup_before_the_contract() -> None:
    message = refused(ready_for_contract(), WorkgroupCreated("ROOM1"), BOT)
    assert message == "The workgroup needs the contract to be done first."
    message = refused(ready_for_contract(), WorkgroupFailed("x"), BOT)
    assert message == "The workgroup needs the contract to be done first."


def test_the_listing_does_not_wait_for_the_meeting_or_the_goals() -> None:
    partner = then(onboarding_partner(), SubmitListing(LISTING_URL, True), ALICE)
    assert partner.state(Step.LISTING) is State.SUBMITTED
    partner = then(partner, Approve(Step.LISTING))
    assert partner.done(Step.LISTING)
    assert partner.next_step() is Step.MEETING


# Approving and rejecting what the partner sends ---------------------------------------


def test_approving_the_application_makes_the_approver_the_manager() -> None:
    partner, effects = act(applicant(), Approve(Step.APPLICATION), BOB)
    assert partner.status is Status.ONBOARDING
    assert partner.manager == BOB
    assert partner.steps[Step.APPLICATION] == StepRecord(State.DONE, NOW, BOB)
    text = only(effects, TellPartner).text()
    assert "approved" in text
    assert "@bob" in text
    assert "/goals 3m" in text
    assert "/listing" in text
    assert len(effects) == 1


def test_an_assigned_manager_stays_when_another_approves() -> None:
    partner = then(applicant(), Assign("@carol"))
    assert partner.manager == CAROL
    partner, effects = act(partner, Approve(Step.APPLICATION), BOB)
    assert partner.manager == CAROL
    assert partner.steps[Step.APPLICATION].by == BOB
    assert "@carol" in only(effects, TellPartner).text()


@pytest.mark.parametrize("step", [Step.APPLICATION, Step.GOALS, Step.LISTING])
def test_what_the_partner_sends_takes_no_fields(step: Step) -> None:
    partner = applicant()
    if step is not Step.APPLICATION:
        partner = then(onboarding_partner(), SubmitGoals("3m", "a"), ALICE)
        partner = then(partner, SubmitGoals("1y", "b"), ALICE)
        partner = then(partner, SubmitListing(LISTING_URL, True), ALICE)
    message = refused(partner, Approve(step, {"on": TODAY}))
    assert message == f"approving the {step} takes no fields (not on=)"


def test_the_workgroup_takes_no_fields() -> None:
    assert "takes no fields" in refused(active(), Approve(Step.WORKGROUP, {"name": "x"}))


@pytest.mark.parametrize(
    ("partner_state", "message"),
    [
        ("todo", "Acme Hosting has not sent its goals yet."),
        ("rejected", "The goals were rejected and not sent again yet."),
        ("done", "The goals are already approved."),
    ],
)
def test_nothing_to_decide(partner_state: str, message: str) -> None:
    partner = onboarding_partner()
    if partner_state != "todo":
        partner = then(partner, SubmitGoals("3m", "a"), ALICE)
        partner = then(partner, SubmitGoals("1y", "b"), ALICE)
        decision = Approve(Step.GOALS) if partner_state == "done" else Reject(Step.GOALS, "vague")
        partner = then(partner, decision)
    assert refused(partner, Approve(Step.GOALS)) == message
    assert refused(partner, Reject(Step.GOALS, "no")) == message


def test_an_approved_application_cannot_be_approved_or_rejected_again() -> None:
    partner = onboarding_partner()
    assert refused(partner, Approve(Step.APPLICATION)) == "The application is already approved."
    assert refused(partner, Reject(Step.APPLICATION, "x")) == "The application is already approved."


def test_rejecting_the_application() -> None:
    partner, effects = act(applicant(), Reject(Step.APPLICATION, "  the website is down "))
    assert partner.status is Status.REJECTED
    assert partner.steps[Step.APPLICATION] == StepRecord(
        State.REJECTED, NOW, BOB, "the website is down"
    )
    text = only(effects, TellPartner).text()
    assert "the website is down" in text
    assert "@bob" in text
    assert "/onboard" in text


@pytest.mark.parametrize("reason", ["", "   ", "\n"])
def test_a_rejection_needs_a_reason(reason: str) -> None:
    assert refused(applicant(), Reject(Step.APPLICATION, reason)) == "the reason is required"


def test_a_reason_has_a_limit() -> None:
    message = refused(applicant(), Reject(Step.APPLICATION, "x" * 1001))
    assert message == "the reason must be at most 1000 characters"


@pytest.mark.parametrize("step", [Step.MEETING, Step.CONTRACT, Step.TRAINING, Step.WORKGROUP])
def test_only_what_the_partner_sends_can_be_rejected(step: Step) -> None:
    message = refused(active(), Reject(step, "no"))
    assert message.startswith("Only what the partner sends")
    assert ("the bot" in message) == (step is Step.WORKGROUP)


def test_reapplying_after_a_rejection() -> None:
    partner = rejected()
    later = NOW + timedelta(days=1)
    partner, effects = act(partner, reapplication(country="pt"), ERIN, later)
    assert partner.status is Status.APPLICANT
    assert partner.company == "Acme Hosting Ltda"
    assert partner.type is PartnerType.TECHNOLOGY
    assert partner.country == "PT"
    assert partner.id == "acme-hosting"  # the id stays
    assert partner.applied_at == NOW  # the first application's date stays
    assert partner.steps[Step.APPLICATION] == StepRecord(State.SUBMITTED, later, ERIN)
    request = only(effects, RequestApproval)
    assert request.step is Step.APPLICATION
    assert "the website is down" in request.summary()
    assert "Acme Hosting Ltda" in request.summary()
    partner = then(partner, Approve(Step.APPLICATION), BOB, later)
    assert partner.status is Status.ONBOARDING


def test_reapplying_checks_the_fields() -> None:
    message = refused(rejected(), reapplication(website="nowhere"), ALICE)
    assert message.startswith("website must be an http(s) URL")


def test_an_application_waiting_for_approval_can_be_corrected() -> None:
    partner, effects = act(applicant(), reapplication(email="sales@acme.example"), ALICE)
    assert partner.status is Status.APPLICANT
    assert partner.email == "sales@acme.example"
    assert "changed the application" in only(effects, RequestApproval).summary()


# Goals --------------------------------------------------------------------------------


def test_goals_are_submitted_once_both_are_there() -> None:
    partner, effects = act(onboarding_partner(), SubmitGoals("1y", " fifty workspaces "), ALICE)
    assert partner.goals_1y == "fifty workspaces"
    assert partner.state(Step.GOALS) is State.TODO
    assert effects == []
    partner, effects = act(partner, SubmitGoals("3m", "five workspaces"), ERIN)
    assert partner.steps[Step.GOALS] == StepRecord(State.SUBMITTED, NOW, ERIN)
    request = only(effects, RequestApproval)
    assert request.step is Step.GOALS
    assert "five workspaces" in request.summary()
    assert "fifty workspaces" in request.summary()
    partner, effects = act(partner, Approve(Step.GOALS), BOB)
    assert partner.steps[Step.GOALS] == StepRecord(State.DONE, NOW, BOB)
    assert "approved your goals" in only(effects, TellPartner).text()


def test_goals_can_change_while_they_wait() -> None:
    partner = then(onboarding_partner(), SubmitGoals("1y", "a"), ALICE)
    partner = then(partner, SubmitGoals("3m", "b"), ALICE)
    partner, effects = act(partner, SubmitGoals("3m", "c"), ALICE)
    assert partner.state(Step.GOALS) is State.SUBMITTED
    assert "c" in only(effects, RequestApproval).summary()


def test_rejected_goals_are_sent_again_by_changing_one() -> None:
    partner = then(onboarding_partner(), SubmitGoals("1y", "grow"), ALICE)
    partner = then(partner, SubmitGoals("3m", "grow"), ALICE)
    partner, effects = act(partner, Reject(Step.GOALS, "too vague"))
    assert partner.steps[Step.GOALS] == StepRecord(State.REJECTED, NOW, BOB, "too vague")
    assert "too vague" in only(effects, TellPartner).text()
    partner, effects = act(partner, SubmitGoals("3m", "five new hosting customers"), ALICE)
    assert partner.state(Step.GOALS) is State.SUBMITTED
    assert partner.steps[Step.GOALS].reason is None
    assert only(effects, RequestApproval).step is Step.GOALS


def test_approved_goals_do_not_change() -> None:
    message = refused(ready_for_contract(), SubmitGoals("3m", "more"), ALICE)
    assert message.startswith("Your goals are already approved")


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (SubmitGoals("3m", ""), "the goals text is required"),
        (SubmitGoals("3m", "  \n "), "the goals text is required"),
        (SubmitGoals("1y", "x" * 1001), "the goals text must be at most 1000 characters"),
        (SubmitGoals("1y", "a\x07b"), "the goals text must not contain control characters"),
        (SubmitGoals("2y", "grow"), "the goals are for 3m"),  # type: ignore[arg-type]
    ],
)
def test_goal_checks(event: SubmitGoals, message: str) -> None:
    assert refused(onboarding_partner(), event, ALICE).startswith(message)


def test_goals_may_have_several_lines() -> None:
    partner = then(onboarding_partner(), SubmitGoals("3m", "x" * 1000), ALICE)
    partner = then(partner, SubmitGoals("1y", "one\n\ttwo"), ALICE)
    assert partner.goals_1y == "one\n\ttwo"


# Listing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mentions", "said"),
    [
        (True, "found the vendor"),
        (False, "did not find the vendor"),
        (None, "could not check"),
    ],
)
def test_submitting_the_listing(mentions: bool | None, said: str) -> None:
    partner, effects = act(onboarding_partner(), SubmitListing(f" {LISTING_URL} ", mentions), ALICE)
    assert partner.listing_url == LISTING_URL
    assert partner.listing_mentions_vendor is mentions
    assert partner.steps[Step.LISTING] == StepRecord(State.SUBMITTED, NOW, ALICE)
    summary = only(effects, RequestApproval).summary()
    assert LISTING_URL in summary
    assert said in summary


def test_the_listing_url_is_checked() -> None:
    message = refused(onboarding_partner(), SubmitListing("acme.example/partners", True), ALICE)
    assert message.startswith("the listing must be an http(s) URL")


def test_a_rejected_listing_is_sent_again_and_approved() -> None:
    partner = then(onboarding_partner(), SubmitListing(LISTING_URL, False), ALICE)
    partner, effects = act(partner, Reject(Step.LISTING, "no logo on the page"))
    assert partner.state(Step.LISTING) is State.REJECTED
    text = only(effects, TellPartner).text()
    assert "no logo on the page" in text
    assert "/listing" in text
    partner = then(partner, SubmitListing("https://acme.example/about", True), ALICE)
    partner, effects = act(partner, Approve(Step.LISTING))
    assert partner.steps[Step.LISTING] == StepRecord(State.DONE, NOW, BOB)
    assert "https://acme.example/about" in only(effects, TellPartner).text()
    message = refused(partner, SubmitListing(LISTING_URL, True), ALICE)
    assert message == "Your listing at `https://acme.example/about` is already approved."


# Meeting ------------------------------------------------------------------------------


def test_recording_the_meeting() -> None:
    partner, effects = act(onboarding_partner(), Approve(Step.MEETING, {"ON": " 2024-04-30 "}))
    assert partner.meeting_on == date(2024, 4, 30)  # before the application is fine
    assert partner.steps[Step.MEETING] == StepRecord(State.DONE, NOW, BOB)
    assert "2024-04-30" in only(effects, TellPartner).text()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "on=YYYY-MM-DD is required: the day of the meeting"),
        ({"on": TOMORROW}, "the meeting date cannot be in the future (2024-05-03)"),
        ({"on": "02/05/2024"}, "the meeting date must be a date written YYYY-MM-DD"),
        ({"on": "20240502"}, "the meeting date must be a date written YYYY-MM-DD"),
        ({"on": "2024-02-30"}, "the meeting date must be a date written YYYY-MM-DD"),
        ({"on": TODAY, "with": "carol"}, "there is no field with= for the meeting; it takes on="),
    ],
)
def test_meeting_checks(fields: dict[str, str], message: str) -> None:
    assert refused(onboarding_partner(), Approve(Step.MEETING, fields)).startswith(message)


def test_the_future_is_judged_in_the_zone() -> None:
    # 01:00 UTC on May 3rd is still May 2nd in São Paulo
    early = datetime(2024, 5, 3, 1, 0, tzinfo=UTC)
    message = refused(onboarding_partner(), Approve(Step.MEETING, {"on": TOMORROW}), BOB, early)
    assert "in the future" in message
    partner, _ = decide(
        onboarding_partner(), Approve(Step.MEETING, {"on": TOMORROW}), BOB, early, ZoneInfo("UTC")
    )
    assert partner.meeting_on == date(2024, 5, 3)


def test_a_done_meeting_can_be_corrected() -> None:
    partner = ready_for_contract()
    later = NOW + timedelta(hours=2)
    partner, effects = act(partner, Approve(Step.MEETING, {"on": "2024-05-01"}), CAROL, later)
    assert partner.meeting_on == date(2024, 5, 1)
    assert partner.steps[Step.MEETING] == StepRecord(State.DONE, later, CAROL)
    assert "corrected" in only(effects, TellPartner).text()


# Contract -----------------------------------------------------------------------------


def test_approving_the_contract_activates_and_asks_for_the_workgroup() -> None:
    partner, effects = act(ready_for_contract(), Approve(Step.CONTRACT, CONTRACT))
    assert partner.status is Status.ACTIVE
    assert partner.signed == date(2024, 5, 2)
    assert partner.term_months == 12
    assert partner.support is True
    assert partner.fee_paid is True
    assert partner.steps[Step.CONTRACT] == StepRecord(State.DONE, NOW, BOB)
    assert partner.training_due() == date(2024, 7, 1)
    assert only(effects, CreateWorkgroup) == CreateWorkgroup(
        "acme-hosting", "partner-acme-hosting", (ALICE, ERIN, BOB)
    )
    text = only(effects, TellPartner).text()
    assert "2024-07-01" in text
    assert "active partner" in text
    assert "is paid" in text


def test_contract_with_term_and_unpaid_fee() -> None:
    fields = {"signed": "2024-05-02", "term": "24", "support": "YES", "fee": "Unpaid"}
    partner, effects = act(ready_for_contract(), Approve(Step.CONTRACT, fields))
    assert partner.term_months == 24
    assert partner.fee_paid is False
    assert "USD 1,200.00 is still to be paid" in only(effects, TellPartner).text()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"signed": None}, "signed=YYYY-MM-DD is required"),
        ({"signed": TOMORROW}, "the signing date cannot be in the future (2024-05-03)"),
        (
            {"signed": "2024-05-01"},
            "the signing date cannot be before the application (2024-05-02)",
        ),
        ({"signed": "May 2"}, "the signing date must be a date written YYYY-MM-DD"),
        ({"term": "11"}, "term must be at least 12 months"),
        ({"term": "0"}, "term must be at least 12 months"),
        ({"term": "-12"}, "term must be a number of months"),
        ({"term": "1 year"}, "term must be a number of months"),
        ({"term": "121"}, "term must be at most 120 months"),
        ({"support": None}, "support contract required"),
        ({"support": "no"}, "support contract required"),
        ({"support": ""}, "support contract required"),
        ({"fee": None}, "fee=paid or fee=unpaid is required"),
        ({"fee": "later"}, "fee=paid or fee=unpaid is required"),
        ({"discount": "10"}, "there is no field discount= for the contract"),
    ],
)
def test_contract_checks(changes: dict[str, str | None], message: str) -> None:
    fields = {key: value for key, value in (CONTRACT | changes).items() if value is not None}
    assert refused(ready_for_contract(), Approve(Step.CONTRACT, fields)).startswith(message)


def test_the_application_date_is_local() -> None:
    # applied at 01:00 UTC on May 3rd: May 2nd in São Paulo, so signing on May 2nd is fine
    partner, _ = apply("acme", application(), ALICE, datetime(2024, 5, 3, 1, 0, tzinfo=UTC))
    partner = then(partner, Approve(Step.APPLICATION))
    partner = then(partner, SubmitGoals("3m", "a"), ALICE)
    partner = then(partner, SubmitGoals("1y", "b"), ALICE)
    partner = then(partner, Approve(Step.GOALS))
    partner = then(partner, Approve(Step.MEETING, {"on": TODAY}))
    partner = then(partner, Approve(Step.CONTRACT, CONTRACT), BOB, NOW + timedelta(days=1))
    assert partner.signed == date(2024, 5, 2)


def test_a_done_contract_can_be_corrected_without_a_second_workgroup() -> None:
    partner = with_workgroup()
    fields = CONTRACT | {"term": "36", "fee": "unpaid"}
    partner, effects = act(partner, Approve(Step.CONTRACT, fields))
    assert partner.term_months == 36
    assert partner.fee_paid is False
    assert partner.status is Status.ACTIVE
    assert [type(effect) for effect in effects] == [TellPartner]
    assert "corrected" in only(effects, TellPartner).text()
    partner = then(then(partner, Suspend("late")), Approve(Step.CONTRACT, CONTRACT))
    assert partner.status is Status.SUSPENDED


# Workgroup ----------------------------------------------------------------------------


def test_the_workgroup_is_created() -> None:
    partner, effects = act(active(), WorkgroupCreated("ROOM1"), BOT)
    assert partner.workgroup == "ROOM1"
    assert partner.steps[Step.WORKGROUP] == StepRecord(State.DONE, NOW, BOT)
    text = only(effects, TellPartner).text()
    assert "@bob" in text
    assert "2024-07-01" in text  # the training is due
    assert act(partner, WorkgroupCreated("ROOM1"), BOT) == (partner, [])  # told twice
    assert refused(partner, WorkgroupCreated("ROOM2"), BOT) == (
        "The workgroup of Acme Hosting already exists."
    )


def test_a_workgroup_under_another_name_is_told_to_the_managers() -> None:
    assert [workgroup_name("acme-hosting", n) for n in (1, 2, 3)] == [
        "partner-acme-hosting",
        "partner-acme-hosting-2",
        "partner-acme-hosting-3",
    ]
    _, effects = act(active(), WorkgroupCreated("ROOM1", "partner-acme-hosting"), BOT)
    assert not [effect for effect in effects if isinstance(effect, TellManagers)]
    partner, effects = act(active(), WorkgroupCreated("ROOM2", "partner-acme-hosting-2"), BOT)
    assert partner.workgroup == "ROOM2" and partner.done(Step.WORKGROUP)
    assert only(effects, TellManagers).text() == (
        "The workgroup of Acme Hosting (`acme-hosting`) is partner-acme-hosting-2: the "
        "name partner-acme-hosting is taken by another room, which gets nothing from me."
    )
    assert "private group of Acme Hosting" in only(effects, TellPartner).text()


def test_a_failed_workgroup_is_tried_again() -> None:
    partner, effects = act(active(), WorkgroupFailed("error-action-not-allowed"), BOT)
    assert partner.workgroup is None
    assert partner.steps[Step.WORKGROUP] == StepRecord(
        State.TODO, NOW, BOT, "error-action-not-allowed"
    )
    text = only(effects, TellManagers).text()
    assert "error-action-not-allowed" in text
    assert "/approve acme-hosting workgroup" in text
    assert partner.to_doc()["steps"]["workgroup"]["reason"] == "error-action-not-allowed"
    again, effects = act(partner, Approve(Step.WORKGROUP))
    assert again == partner
    assert effects == [CreateWorkgroup("acme-hosting", "partner-acme-hosting", (ALICE, ERIN, BOB))]
    partner = then(partner, WorkgroupCreated("ROOM1"), BOT)
    assert partner.done(Step.WORKGROUP)
    assert refused(partner, Approve(Step.WORKGROUP)) == (
        "The workgroup of Acme Hosting already exists."
    )
    assert refused(partner, WorkgroupFailed("x"), BOT) == (
        "The workgroup of Acme Hosting already exists."
    )


def test_the_workgroup_needs_a_room_id() -> None:
    with pytest.raises(ValueError, match="room id"):
        act(active(), WorkgroupCreated(" "), BOT)


# Training -----------------------------------------------------------------------------


def test_training_defaults_to_today_in_the_zone() -> None:
    late_evening = datetime(2024, 6, 11, 2, 0, tzinfo=UTC)  # June 10th in São Paulo
    partner, effects = act(with_workgroup(), Approve(Step.TRAINING), BOB, late_evening)
    assert partner.training_on == date(2024, 6, 10)
    assert partner.steps[Step.TRAINING] == StepRecord(State.DONE, late_evening, BOB)
    assert "2024-06-10" in only(effects, TellPartner).text()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"on": TOMORROW}, "the training date cannot be in the future (2024-05-03)"),
        ({"on": "2024-05-01"}, "the training date cannot be before the application (2024-05-02)"),
        ({"on": "soon"}, "the training date must be a date written YYYY-MM-DD"),
        ({"at": TODAY}, "there is no field at= for the training; it takes on="),
    ],
)
def test_training_checks(fields: dict[str, str], message: str) -> None:
    assert refused(active(), Approve(Step.TRAINING, fields)).startswith(message)


# Status -------------------------------------------------------------------------------


def test_suspend_and_reinstate() -> None:
    partner, effects = act(active(), Suspend("  no report for March "))
    assert partner.status is Status.SUSPENDED
    assert partner.status_reason == "no report for March"
    assert "no report for March" in only(effects, TellPartner).text()
    partner, effects = act(partner, Reinstate(), CAROL)
    assert partner.status is Status.ACTIVE
    assert partner.status_reason is None
    assert "@carol" in only(effects, TellPartner).text()


def test_access_follows_status() -> None:
    """Suspending takes the contacts out of the workgroup (the manager stays), telling them
    directly; reinstating invites them back; removing takes them out for good."""
    partner, effects = act(with_workgroup(), Suspend("late reports"))
    tell, remove = effects
    assert isinstance(tell, TellPartner) and tell.directly
    assert tell.text() == (
        "@bob suspended Acme Hosting from the partner program: late reports\nYour "
        "account manager can reinstate it once this is resolved. Until then you are not "
        "in its private group."
    )
    assert remove == RemoveFromWorkgroup("ROOM1", (ALICE, ERIN))
    assert refused(partner, InviteContact("dave"), ALICE) == (
        "Acme Hosting is suspended: it takes no new contacts until it is reinstated."
    )
    invited = replace(partner, invited=("dave",))
    assert refused(invited, AcceptInvitation(), "dave") == (
        "Acme Hosting is suspended: it takes no new contacts until it is reinstated."
    )
    _, effects = act(partner, RemoveContact(ERIN), ALICE)  # already out of the group
    assert [type(effect) for effect in effects] == [TellPartner]
    back, effects = act(partner, Reinstate())
    assert effects[0] == AddToWorkgroup("ROOM1", (ALICE, ERIN))
    assert not only(effects, TellPartner).directly  # in the workgroup, where they are back
    _, effects = act(back, Remove("gone"))
    assert RemoveFromWorkgroup("ROOM1", (ALICE, ERIN)) in effects
    assert only(effects, TellPartner).directly
    _, effects = act(partner, Remove("gone"))  # suspended: they are out already
    assert [type(effect) for effect in effects] == [TellPartner]
    assert only(effects, TellPartner).directly


def test_a_suspended_partners_new_workgroup_has_only_its_manager() -> None:
    partner = then(then(active(), Suspend("late")), WorkgroupFailed("no permission"), BOT)
    _, effects = act(partner, Approve(Step.WORKGROUP))
    assert effects == [CreateWorkgroup("acme-hosting", "partner-acme-hosting", (BOB,))]


def test_the_manager_among_the_configured_ones() -> None:
    partner = active()
    assert partner.manager_among({"BOB", "carol"}) == BOB
    assert partner.manager_among({"carol"}) is None
    assert replace(partner, manager=None).manager_among({"carol"}) is None


@pytest.mark.parametrize("event", [Suspend(""), Remove("  ")])
def test_suspend_and_remove_need_a_reason(event: Event) -> None:
    assert refused(active(), event) == "the reason is required"


@pytest.mark.parametrize("status", sorted(set(Status) - {Status.REMOVED}))
def test_remove_from_any_status(status: Status) -> None:
    partner, effects = act(STAGES[status](), Remove("left the program"))
    assert partner.status is Status.REMOVED
    assert partner.status_reason == "left the program"
    assert "left the program" in only(effects, TellPartner).text()


def test_status_flow_is_what_the_machine_does() -> None:
    seen: set[tuple[Status | None, Status]] = {(None, applicant().status)}
    for stage in STAGES.values():
        for event, by, allowed in MATRIX:
            partner = prepared(stage(), event)
            if partner.status in allowed:
                after, _ = act(partner, event, by)
                if after.status is not partner.status:
                    seen.add((partner.status, after.status))
    seen.add((Status.APPLICANT, onboarding_partner().status))
    seen.add((Status.ONBOARDING, active().status))
    assert seen == {(edge[0], edge[1]) for edge in STATUS_FLOW}


# Managers and contacts ----------------------------------------------------------------


def test_assigning_a_manager() -> None:
    partner, effects = act(with_workgroup(), Assign(" @carol "))
    assert partner.manager == CAROL
    assert effects[:2] == [
        AddToWorkgroup("ROOM1", (CAROL,)),
        RemoveFromWorkgroup("ROOM1", (BOB,)),
    ]
    assert "@carol" in only(effects, TellPartner).text()
    assert "@carol" in only(effects, TellManagers).text()
    _, effects = act(active(), Assign(CAROL))  # no workgroup yet: nobody to invite
    assert not any(isinstance(effect, AddToWorkgroup) for effect in effects)


@pytest.mark.parametrize(
    ("manager", "message"),
    [
        ("BOB", "@BOB is already the account manager of Acme Hosting."),
        ("erin", "@erin is a contact of Acme Hosting and cannot be its account manager."),
        ("", "give a username, e.g. `@alice`"),
        ("two words", "give a username, e.g. `@alice`"),
    ],
)
def test_assign_checks(manager: str, message: str) -> None:
    assert refused(onboarding_partner(), Assign(manager), CAROL) == message


def test_a_contact_by_invitation_only() -> None:
    partner, effects = act(with_workgroup(), InviteContact("@dave"), ERIN)
    assert partner.contacts == (ALICE, ERIN) and partner.invited == ("dave",)
    invitation = only(effects, SendInvitation)
    assert invitation.username == "dave"
    assert "/join acme-hosting" in invitation.text() and "@erin" in invitation.text()
    assert not [effect for effect in effects if isinstance(effect, AddToWorkgroup)]
    assert "@dave" in only(effects, TellPartner).text()
    assert refused(partner, AcceptInvitation(), "mallory") == (
        "@mallory has no invitation to be a contact of Acme Hosting."
    )
    partner, effects = act(partner, AcceptInvitation(), "Dave")
    assert partner.contacts == (ALICE, ERIN, "Dave") and partner.invited == ()
    assert effects[0] == AddToWorkgroup("ROOM1", ("Dave",))
    assert "@Dave accepted" in only(effects, TellPartner).text()
    assert refused(partner, AcceptInvitation(), "dave").startswith("@dave has no invitation")


def test_an_account_manager_invites_and_removes_contacts() -> None:
    """`CAROL` here is an account manager: the command layer checks the role."""
    partner = joined(with_workgroup(), "dave", CAROL)
    assert partner.contacts == (ALICE, ERIN, "dave")
    partner, effects = act(partner, RemoveContact(ALICE), CAROL)
    assert partner.contacts == (ERIN, "dave")
    assert effects[0] == RemoveFromWorkgroup("ROOM1", (ALICE,))


def test_an_invitation_is_withdrawn() -> None:
    partner = then(with_workgroup(), InviteContact("dave"), ALICE)
    partner, effects = act(partner, RemoveContact("@Dave"), ERIN)
    assert partner.invited == () and partner.contacts == (ALICE, ERIN)
    assert [type(effect) for effect in effects] == [TellPartner]
    assert "withdrew the invitation of @dave" in only(effects, TellPartner).text()
    assert refused(partner, AcceptInvitation(), "dave").startswith("@dave has no invitation")


def test_invitations_waiting_are_limited() -> None:
    partner = with_workgroup()
    for number in range(20):
        partner = then(partner, InviteContact(f"user{number}"), ALICE)
    assert refused(partner, InviteContact("one-more"), ALICE).startswith(
        "Acme Hosting has 20 invitations waiting for an answer"
    )


def test_adding_and_removing_contacts() -> None:
    partner = joined(with_workgroup(), "dave", ERIN)
    partner, effects = act(partner, RemoveContact("Alice"), "dave")  # the applicant can go
    assert partner.contacts == (ERIN, "dave")
    assert effects[0] == RemoveFromWorkgroup("ROOM1", (ALICE,))
    partner = then(partner, RemoveContact(ERIN), ERIN)  # and anyone may leave
    assert partner.contacts == ("dave",)
    message = refused(partner, RemoveContact("dave"), "dave")
    assert message == "@dave is the only contact of Acme Hosting; add another contact first."


def test_contacts_without_a_workgroup_are_not_invited_to_it() -> None:
    partner, effects = act(applicant(), InviteContact("dave"), ALICE)
    assert [type(effect) for effect in effects] == [SendInvitation, TellPartner]
    partner, effects = act(partner, AcceptInvitation(), "dave")
    assert [type(effect) for effect in effects] == [TellPartner]
    partner, effects = act(partner, RemoveContact("dave"), ALICE)
    assert [type(effect) for effect in effects] == [TellPartner]


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (InviteContact("ERIN"), "@ERIN is already a contact of Acme Hosting."),
        (InviteContact("@alice"), "@alice is already a contact of Acme Hosting."),
        (InviteContact("bob"), "@bob is the account manager of Acme Hosting, not a contact."),
        (InviteContact("@"), "give a username, e.g. `@alice`"),
        (RemoveContact("@zoe"), "@zoe is not a contact of Acme Hosting."),
    ],
)
def test_contact_checks(event: Event, message: str) -> None:
    assert refused(onboarding_partner(), event, ALICE).startswith(message)


def test_an_invitation_is_sent_once() -> None:
    partner = then(onboarding_partner(), InviteContact("dave"), ALICE)
    assert refused(partner, InviteContact("@Dave"), ERIN) == (
        "@Dave is already invited; they accept with `/join acme-hosting`."
    )


def test_the_applicant_alone_cannot_leave() -> None:
    partner, _ = apply("acme", application(), ALICE, NOW)
    message = refused(partner, RemoveContact(ALICE), ALICE)
    assert message == "@alice is the only contact of Acme Hosting; add another contact first."


# Attestations -------------------------------------------------------------------------


def test_attestations() -> None:
    partner, effects = act(onboarding_partner(), Attest("statistics", True), ALICE)
    assert partner.statistics_shared is True
    assert partner.vendor_referenced is None
    assert effects == []
    partner = then(partner, Attest("reference", False), ERIN)
    assert partner.vendor_referenced is False
    partner = then(partner, Attest("statistics", False), ERIN)
    assert partner.statistics_shared is False
    message = refused(partner, Attest("licence", True), ALICE)  # type: ignore[arg-type]
    assert message == "attest statistics or reference"


# The whole way ------------------------------------------------------------------------


def test_happy_path_to_all_seven_steps_done() -> None:
    clock = iter(NOW + timedelta(days=day) for day in range(100))
    partner, effects = apply("acme-hosting", application(), ALICE, next(clock))
    kinds: list[list[type[Any]]] = [[type(effect) for effect in effects]]
    script: list[tuple[Event, str]] = [
        (Approve(Step.APPLICATION), BOB),
        (Approve(Step.MEETING, {"on": "2024-05-03"}), BOB),
        (SubmitGoals("3m", "Five customer workspaces"), ALICE),
        (SubmitGoals("1y", "Fifty customer workspaces"), ALICE),
        (Approve(Step.GOALS), BOB),
        (Approve(Step.CONTRACT, {**CONTRACT, "signed": "2024-05-06", "term": "24"}), BOB),
        (WorkgroupCreated("ROOM1"), BOT),
        (InviteContact(ERIN), ALICE),
        (AcceptInvitation(), ERIN),
        (SubmitListing(LISTING_URL, True), ERIN),
        (Approve(Step.LISTING), BOB),
        (Attest("statistics", True), ALICE),
        (Attest("reference", True), ALICE),
        (Approve(Step.TRAINING, {"on": "2024-05-10"}), BOB),
    ]
    expected_next = [
        Step.MEETING,
        Step.GOALS,
        Step.GOALS,
        Step.GOALS,
        Step.CONTRACT,
        Step.LISTING,
        Step.LISTING,
        Step.LISTING,
        Step.LISTING,
        Step.LISTING,
        Step.TRAINING,
        Step.TRAINING,
        Step.TRAINING,
        None,
    ]
    for (event, by), next_step in zip(script, expected_next, strict=True):
        at = next(clock)
        partner, effects = decide(partner, event, by, at, ZONE)
        kinds.append([type(effect) for effect in effects])
        assert partner.next_step() is next_step, event
    assert kinds == [
        [RequestApproval],
        [TellPartner],
        [TellPartner],
        [],
        [RequestApproval],
        [TellPartner],
        [TellPartner, CreateWorkgroup],
        [TellPartner],
        [SendInvitation, TellPartner],
        [AddToWorkgroup, TellPartner],
        [RequestApproval],
        [TellPartner],
        [],
        [],
        [TellPartner],
    ]
    assert all(partner.done(step) for step in STEPS)
    assert "Onboarding is complete" in only(effects, TellPartner).text()
    assert partner.status is Status.ACTIVE
    assert partner.manager == BOB
    assert partner.contacts == (ALICE, ERIN)
    assert partner.workgroup == "ROOM1"
    assert partner.signed == date(2024, 5, 6)
    assert partner.term_months == 24
    assert partner.training_due() == date(2024, 7, 5)
    assert partner.training_on == date(2024, 5, 10)
    assert partner.statistics_shared is True
    assert partner.vendor_referenced is True
    # who and when of every step
    assert [(partner.steps[step].by, partner.steps[step].at) for step in STEPS] == [
        (BOB, NOW + timedelta(days=1)),
        (BOB, NOW + timedelta(days=2)),
        (BOB, NOW + timedelta(days=5)),
        (BOB, NOW + timedelta(days=6)),
        (BOB, NOW + timedelta(days=11)),
        (BOT, NOW + timedelta(days=7)),
        (BOB, NOW + timedelta(days=14)),
    ]
    assert Partner.from_doc(json.loads(json.dumps(partner.to_doc()))) == partner


def test_next_step_and_training_due() -> None:
    assert applicant().next_step() is Step.APPLICATION
    assert onboarding_partner().next_step() is Step.MEETING
    assert onboarding_partner().training_due() is None
    assert active().next_step() is Step.LISTING
    assert active().training_due() == date(2024, 7, 1)


# The document (SPEC §5) ---------------------------------------------------------------


def test_to_doc_has_the_export_keys() -> None:
    doc = rejected().to_doc()
    json.dumps(doc, allow_nan=False)
    for key in ("id", "company", "type", "status", "manager", "contacts", "workgroup", "steps"):
        assert key in doc
    assert doc["id"] == "acme-hosting"
    assert doc["type"] == "hosting"
    assert doc["status"] == "rejected"
    assert doc["contacts"] == [ALICE, ERIN]
    assert doc["manager"] is None
    assert doc["workgroup"] is None
    assert list(doc["steps"]) == [step.value for step in STEPS]
    assert doc["steps"]["application"] == {
        "state": "rejected",
        "at": "2024-05-02T12:00:00+00:00",
        "by": BOB,
        "reason": "the website is down",
    }
    assert doc["steps"]["meeting"] == {"state": "todo", "at": None, "by": None}
    assert doc["applied_at"] == "2024-05-02T12:00:00+00:00"


def test_to_doc_has_every_field() -> None:
    partner = then(with_workgroup(), Approve(Step.TRAINING))
    doc = partner.to_doc()
    assert doc["workgroup"] == "ROOM1"
    assert doc["signed"] == "2024-05-02"
    assert doc["meeting_on"] == "2024-05-02"
    assert doc["training_on"] == "2024-05-02"
    assert doc["term_months"] == 12
    assert doc["goals_3m"] == "Host five workspaces"
    names = {name for name in Partner.__dataclass_fields__}
    assert names == set(doc)
    assert doc["steps"]["contract"]["state"] == "done"


def test_times_are_stored_in_utc() -> None:
    partner = then(
        applicant(), Approve(Step.APPLICATION), BOB, datetime(2024, 5, 2, 9, tzinfo=ZONE)
    )
    assert partner.to_doc()["steps"]["application"]["at"] == "2024-05-02T12:00:00+00:00"


aware_times = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=-3)), timezone(timedelta(hours=5, minutes=30))]
    ),
)
texts = st.text(max_size=20)
records = st.builds(
    StepRecord,
    state=st.sampled_from(State),
    at=st.none() | aware_times,
    by=st.none() | texts,
    reason=st.none() | texts,
)
partners = st.builds(
    Partner,
    id=texts,
    company=texts,
    type=st.sampled_from(PartnerType),
    website=texts,
    email=texts,
    country=st.none() | texts,
    status=st.sampled_from(Status),
    manager=st.none() | texts,
    contacts=st.lists(texts, max_size=4).map(tuple),
    workgroup=st.none() | texts,
    steps=st.fixed_dictionaries({step: records for step in STEPS}),
    applied_at=aware_times,
    meeting_on=st.none() | st.dates(),
    goals_3m=st.none() | texts,
    goals_1y=st.none() | texts,
    signed=st.none() | st.dates(),
    term_months=st.none() | st.integers(min_value=-(2**53), max_value=2**53),
    support=st.booleans(),
    fee_paid=st.none() | st.booleans(),
    listing_url=st.none() | texts,
    listing_mentions_vendor=st.none() | st.booleans(),
    training_on=st.none() | st.dates(),
    statistics_shared=st.none() | st.booleans(),
    vendor_referenced=st.none() | st.booleans(),
    status_reason=st.none() | texts,
)


@given(partners)
def test_to_doc_and_from_doc_round_trip(partner: Partner) -> None:
    doc = json.loads(json.dumps(partner.to_doc(), allow_nan=False))
    again = Partner.from_doc(doc)
    assert again == partner
    assert again.to_doc() == doc


def test_from_doc_fills_in_optional_fields() -> None:
    doc = {
        "id": "acme",
        "company": "Acme",
        "type": "hosting",
        "website": "https://acme.example",
        "email": "a@acme.example",
        "status": "applicant",
        "contacts": ["alice"],
        "steps": {"application": {"state": "submitted", "at": "2024-05-02T12:00:00Z"}},
        "applied_at": "2024-05-02T12:00:00+00:00",
    }
    partner = Partner.from_doc(doc)
    assert partner.manager is None
    assert partner.workgroup is None
    assert partner.support is False
    assert partner.steps[Step.APPLICATION] == StepRecord(State.SUBMITTED, NOW)
    assert partner.steps[Step.TRAINING] == StepRecord(State.TODO)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": None}, "id must not be null"),
        ({"type": "reseller"}, "type must be one of hosting, technology, value-added"),
        ({"status": "gone"}, "status must be one of"),
        ({"contacts": "alice"}, "contacts must be a list"),
        ({"contacts": [1]}, "contacts must be usernames"),
        ({"invited": "bob"}, "invited must be a list"),
        ({"invited": [1]}, "invited must be usernames"),
        ({"applied_at": "2024-05-02T12:00:00"}, "applied_at must have a time zone"),
        ({"applied_at": "yesterday"}, "applied_at must be an ISO time"),
        ({"signed": "2024-13-01"}, "signed must be an ISO date"),
        ({"term_months": True}, "term_months must be a int"),
        ({"term_months": "12"}, "term_months must be a int"),
        ({"support": "yes"}, "support must be a bool"),
        ({"steps": {"signing": {"state": "done"}}}, "unknown steps ['signing']"),
        ({"steps": {"meeting": "done"}}, "step meeting must be an object"),
        ({"steps": {"meeting": {"state": "late"}}}, "state must be one of"),
    ],
)
def test_from_doc_says_what_is_wrong(change: dict[str, Any], message: str) -> None:
    doc = active().to_doc() | change
    with pytest.raises(ValueError) as caught:
        Partner.from_doc(doc)
    assert not isinstance(caught.value, RuleError)
    assert message in str(caught.value)


def test_from_doc_needs_the_required_keys() -> None:
    doc = active().to_doc()
    del doc["company"]
    with pytest.raises(ValueError, match="company is missing"):
        Partner.from_doc(doc)


def test_a_partner_has_every_step() -> None:
    partner = active()
    steps: Mapping[Step, StepRecord] = {Step.APPLICATION: StepRecord(State.DONE)}
    with pytest.raises(ValueError, match="steps missing: meeting"):
        replace(partner, steps=steps)


# The diagrams -------------------------------------------------------------------------


def test_the_status_diagram_shows_the_status_flow() -> None:
    doc = onboarding.__doc__ or ""
    for before, after, label in STATUS_FLOW:
        start = "[*]" if before is None else before.value
        assert f"{start} --> {after.value}: {label}" in doc


def test_the_order_diagram_shows_the_step_rules() -> None:
    doc = onboarding.__doc__ or ""
    drawn = set(re.findall(r"^\s+(\w+) --> (\w+)$", doc, re.MULTILINE))
    direct = {(before.value, step.value) for step in STEPS for before in STEP_RULES[step].requires}
    # the diagram leaves out what follows from the arrows it has (application -> contract)
    assert drawn <= direct
    assert direct - drawn == {("application", "contract")}

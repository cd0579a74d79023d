"""The onboarding state machine: the transition table, its guards, and `decide`.

`decide(partner, event, by, now, zone)` looks the event up in `TRANSITIONS` (which
partner statuses accept it, and who may send it), then the event's handler checks the
step rules (`STEP_RULES`: which steps must be done first, which fields an approval takes)
and returns the new partner and the effects. Nothing is changed in place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from workflows.onboarding import steps
from workflows.onboarding.events import (
    AddContact,
    AddToWorkgroup,
    Apply,
    Approve,
    Assign,
    Attest,
    Effect,
    Event,
    Reapply,
    Reinstate,
    Reject,
    Remove,
    RemoveContact,
    RemoveFromWorkgroup,
    RequestApproval,
    SubmitGoals,
    SubmitListing,
    Suspend,
    TellManagers,
    TellPartner,
    WorkgroupCreated,
    WorkgroupFailed,
)
from workflows.onboarding.fields import (
    SLUG_PATTERN,
    PartnerType,
    RuleError,
    check_text,
    check_username,
    parse_attest_kind,
)
from workflows.onboarding.model import Partner, State, Status, Step, StepRecord, fresh_steps
from workflows.onboarding.rules import (
    APPLYING,
    LIVE,
    NOT_REMOVED,
    STEP_DECISIONS,
    Actor,
    Ctx,
    Result,
    details,
    namesake_warning,
    with_application,
)
from workflows.text import quote


@dataclass(frozen=True, slots=True)
class Transition:
    """An event's row in the table: the statuses that accept it, who may send it, and
    the handler that checks the step rules and makes the change."""

    statuses: frozenset[Status]
    actor: Actor
    handle: Callable[[Partner, Any, Ctx], Result]


# The public functions -----------------------------------------------------------------


def apply(
    partner_id: str,
    event: Apply,
    by: str,
    now: datetime,
    namesakes: Sequence[Partner] = (),
) -> Result:
    """A new partner from an application by `by`, its first contact; asks for approval.

    `partner_id` comes from `new_partner_id` (or `partner_ids`); `namesakes` are the
    partners already there whose name gives the same id, which the approval request names
    so that a second application of one company is noticed. RuleError names the first
    bad field.
    """
    if not SLUG_PATTERN.fullmatch(partner_id):
        raise ValueError(f"{partner_id!r} is not a partner id")
    ctx = _context(by, now, UTC)
    steps = fresh_steps()
    steps[Step.APPLICATION] = StepRecord(State.SUBMITTED, ctx.now, ctx.by)
    partner = with_application(
        Partner(
            id=partner_id,
            company="",
            type=PartnerType.HOSTING,
            website="",
            email="",
            country=None,
            status=Status.APPLICANT,
            manager=None,
            contacts=(ctx.by,),
            workgroup=None,
            steps=steps,
            applied_at=ctx.now,
        ),
        event,
    )
    summary = f"New application from @{ctx.by}: {details(partner)}."
    if namesakes:
        summary += "\n" + namesake_warning(partner.company, namesakes)
    return partner, [RequestApproval(partner.id, Step.APPLICATION, summary)]


def decide(partner: Partner, event: Event, by: str, now: datetime, zone: ZoneInfo) -> Result:
    """What `event`, sent by the user `by` at `now`, does to `partner`: the new partner
    and the effects to carry out after storing it. `RuleError` when the rules refuse it.

    `now` must be aware; local dates ("not in the future") are taken in `zone`.
    """
    ctx = _context(by, now, zone)
    if partner.status is Status.REMOVED:
        raise RuleError(
            f"{quote(partner.company)} was removed from the partner program; nothing more can "
            "change."
        )
    transition = TRANSITIONS.get(type(event))
    if transition is None:
        if isinstance(event, Apply):
            raise RuleError(
                f"{quote(partner.company)} has already applied; see its checklist with /status."
            )
        raise TypeError(f"not an onboarding event: {event!r}")
    if partner.status not in transition.statuses:
        raise RuleError(_status_refusal(partner, event))
    _check_actor(partner, transition.actor, ctx.by)
    return transition.handle(partner, event, ctx)


# The handlers of status and contact events ------------------------------------------


def _suspend(partner: Partner, event: Suspend, ctx: Ctx) -> Result:
    reason = check_text(event.reason, "the reason")
    after = replace(partner, status=Status.SUSPENDED, status_reason=reason)
    text = (
        f"@{ctx.by} suspended {quote(partner.company)} from the partner program: {quote(reason)}\n"
        "Your account manager can reinstate it once this is resolved."
    )
    return after, [TellPartner(text)]


def _reinstate(partner: Partner, event: Reinstate, ctx: Ctx) -> Result:
    after = replace(partner, status=Status.ACTIVE, status_reason=None)
    text = f"@{ctx.by} reinstated {quote(partner.company)}: it is an active partner again."
    return after, [TellPartner(text)]


def _remove(partner: Partner, event: Remove, ctx: Ctx) -> Result:
    reason = check_text(event.reason, "the reason")
    after = replace(partner, status=Status.REMOVED, status_reason=reason)
    text = (
        f"@{ctx.by} removed {quote(partner.company)} from the partner program: {quote(reason)}"
    )
    return after, [TellPartner(text)]


def _assign(partner: Partner, event: Assign, ctx: Ctx) -> Result:
    manager = check_username(event.manager)
    if partner.is_contact(manager):
        raise RuleError(
            f"@{manager} is a contact of {quote(partner.company)} and cannot be its account "
            "manager."
        )
    if partner.manager is not None and partner.manager.casefold() == manager.casefold():
        raise RuleError(f"@{manager} is already the account manager of {quote(partner.company)}.")
    after = replace(partner, manager=manager)
    effects: list[Effect] = []
    if partner.workgroup is not None:
        effects.append(AddToWorkgroup(partner.workgroup, (manager,)))
        if partner.manager is not None:
            effects.append(RemoveFromWorkgroup(partner.workgroup, (partner.manager,)))
    effects.append(TellPartner(f"Your account manager is now @{manager}."))
    effects.append(
        TellManagers(
            f"@{manager} is now the account manager of {quote(partner.company)} (`{partner.id}`), "
            f"assigned by @{ctx.by}."
        )
    )
    return after, effects


def _add_contact(partner: Partner, event: AddContact, ctx: Ctx) -> Result:
    username = check_username(event.username)
    if partner.is_contact(username):
        raise RuleError(f"@{username} is already a contact of {quote(partner.company)}.")
    if partner.manager is not None and partner.manager.casefold() == username.casefold():
        raise RuleError(
            f"@{username} is the account manager of {quote(partner.company)}, not a contact."
        )
    after = replace(partner, contacts=(*partner.contacts, username))
    effects: list[Effect] = []
    if partner.workgroup is not None:
        effects.append(AddToWorkgroup(partner.workgroup, (username,)))
    effects.append(
        TellPartner(f"@{ctx.by} added @{username} to the contacts of {quote(partner.company)}.")
    )
    return after, effects


def _remove_contact(partner: Partner, event: RemoveContact, ctx: Ctx) -> Result:
    wanted = check_username(event.username).casefold()
    username = next((c for c in partner.contacts if c.casefold() == wanted), None)
    if username is None:
        raise RuleError(
            f"@{event.username.strip().removeprefix('@')} is not a contact of "
            f"{quote(partner.company)}."
        )
    if len(partner.contacts) == 1:
        raise RuleError(
            f"@{username} is the only contact of {quote(partner.company)}; add another contact "
            "first."
        )
    after = replace(partner, contacts=tuple(c for c in partner.contacts if c != username))
    effects: list[Effect] = []
    if partner.workgroup is not None:
        effects.append(RemoveFromWorkgroup(partner.workgroup, (username,)))
    effects.append(
        TellPartner(f"@{ctx.by} removed @{username} from the contacts of {quote(partner.company)}.")
    )
    return after, effects


def _attest(partner: Partner, event: Attest, ctx: Ctx) -> Result:
    kind = parse_attest_kind(event.kind)
    if not isinstance(event.on, bool):
        raise TypeError("Attest.on is a bool")
    if kind == "statistics":
        return replace(partner, statistics_shared=event.on), []
    return replace(partner, vendor_referenced=event.on), []


TRANSITIONS: Mapping[type[Any], Transition] = {
    Reapply: Transition(APPLYING, Actor.CONTACT, steps.reapply),
    Approve: Transition(STEP_DECISIONS, Actor.MANAGER, steps.approve),
    Reject: Transition(STEP_DECISIONS, Actor.MANAGER, steps.reject),
    SubmitGoals: Transition(LIVE, Actor.CONTACT, steps.submit_goals),
    SubmitListing: Transition(LIVE, Actor.CONTACT, steps.submit_listing),
    WorkgroupCreated: Transition(LIVE, Actor.BOT, steps.workgroup_created),
    WorkgroupFailed: Transition(LIVE, Actor.BOT, steps.workgroup_failed),
    Suspend: Transition(frozenset({Status.ACTIVE}), Actor.MANAGER, _suspend),
    Reinstate: Transition(frozenset({Status.SUSPENDED}), Actor.MANAGER, _reinstate),
    Remove: Transition(NOT_REMOVED, Actor.MANAGER, _remove),
    Assign: Transition(NOT_REMOVED, Actor.MANAGER, _assign),
    AddContact: Transition(NOT_REMOVED, Actor.CONTACT, _add_contact),
    RemoveContact: Transition(NOT_REMOVED, Actor.CONTACT, _remove_contact),
    Attest: Transition(LIVE, Actor.CONTACT, _attest),
}


# Guards and helpers -------------------------------------------------------------------


def _context(by: str, now: datetime, zone: tzinfo) -> Ctx:
    if now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    if not by.strip():
        raise ValueError("by must be a username")
    return Ctx(by=by.strip(), now=now.astimezone(UTC), zone=zone)


def _status_refusal(partner: Partner, event: Event) -> str:
    company, status = quote(partner.company), partner.status
    if isinstance(event, Suspend):
        if status is Status.SUSPENDED:
            return f"{company} is already suspended."
        return f"Only an active partner can be suspended; {company} is {status}."
    if isinstance(event, Reinstate):
        return f"Only a suspended partner can be reinstated; {company} is {status}."
    if isinstance(event, Reapply):
        return f"The application of {company} is already approved."
    if status is Status.APPLICANT:
        return f"The application of {company} needs to be approved first."
    if status is Status.REJECTED:
        return f"The application of {company} was rejected; it needs to be sent again first."
    return f"That cannot be done while {company} is {status}."  # pragma: no cover


def _check_actor(partner: Partner, actor: Actor, by: str) -> None:
    if actor is Actor.CONTACT and not partner.is_contact(by):
        raise RuleError(f"Only the contacts of {quote(partner.company)} can do that.")
    if actor is Actor.MANAGER and partner.is_contact(by):
        raise RuleError(
            f"You are a contact of {quote(partner.company)}: an account manager decides on its "
            "program."
        )

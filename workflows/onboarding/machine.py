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

from i18n import _
from workflows.onboarding import steps
from workflows.onboarding.events import (
    AcceptInvitation,
    AddToWorkgroup,
    Apply,
    Approve,
    Assign,
    Attest,
    Effect,
    Event,
    InviteContact,
    Reapply,
    Reinstate,
    Reject,
    Remove,
    RemoveContact,
    RemoveFromWorkgroup,
    RequestApproval,
    SendInvitation,
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
from workflows.onboarding.model import (
    Partner,
    State,
    Status,
    Step,
    StepRecord,
    fresh_steps,
    status_name,
)
from workflows.onboarding.rules import (
    ADDING_CONTACTS,
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

MAX_INVITED = 20  # invitations waiting for an answer, per partner


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
    by, others = ctx.by, tuple(namesakes)

    def summary() -> str:
        text = _("New application from @{user}: {details}.").format(
            user=by, details=details(partner)
        )
        if others:
            text += "\n" + namesake_warning(partner.company, others)
        return text

    return partner, [RequestApproval(partner.id, Step.APPLICATION, summary)]


def decide(partner: Partner, event: Event, by: str, now: datetime, zone: ZoneInfo) -> Result:
    """What `event`, sent by the user `by` at `now`, does to `partner`: the new partner
    and the effects to carry out after storing it. `RuleError` when the rules refuse it.

    `now` must be aware; local dates ("not in the future") are taken in `zone`.
    """
    ctx = _context(by, now, zone)
    if partner.status is Status.REMOVED:
        raise RuleError(
            _("{company} was removed from the partner program; nothing more can change.").format(
                company=quote(partner.company)
            )
        )
    transition = TRANSITIONS.get(type(event))
    if transition is None:
        if isinstance(event, Apply):
            raise RuleError(
                _("{company} has already applied; see its checklist with /status.").format(
                    company=quote(partner.company)
                )
            )
        raise TypeError(f"not an onboarding event: {event!r}")
    if partner.status not in transition.statuses:
        raise RuleError(_status_refusal(partner, event))
    _check_actor(partner, transition.actor, ctx.by)
    return transition.handle(partner, event, ctx)


# The handlers of status and contact events ------------------------------------------


def _suspend(partner: Partner, event: Suspend, ctx: Ctx) -> Result:
    """The contacts leave the workgroup (the account manager stays) until reinstated; they
    are told directly, since they no longer read the workgroup."""
    reason = check_text(event.reason, _("the reason"))
    after = replace(partner, status=Status.SUSPENDED, status_reason=reason)
    values = {"user": ctx.by, "company": quote(partner.company), "reason": quote(reason)}
    if partner.workgroup is None:
        return after, [
            TellPartner(
                lambda: _(
                    "@{user} suspended {company} from the partner program: {reason}\n"
                    "Your account manager can reinstate it once this is resolved."
                ).format(**values)
            )
        ]
    return after, [
        TellPartner(
            lambda: _(
                "@{user} suspended {company} from the partner program: {reason}\n"
                "Your account manager can reinstate it once this is resolved. Until then you "
                "are not in its private group."
            ).format(**values),
            directly=True,
        ),
        RemoveFromWorkgroup(partner.workgroup, partner.contacts),
    ]


def _reinstate(partner: Partner, event: Reinstate, ctx: Ctx) -> Result:
    """The contacts are invited back to the workgroup, then told there."""
    after = replace(partner, status=Status.ACTIVE, status_reason=None)
    by, company = ctx.by, quote(partner.company)
    effects: list[Effect] = []
    if partner.workgroup is not None:
        effects.append(AddToWorkgroup(partner.workgroup, partner.contacts))
    text = TellPartner(
        lambda: _("@{user} reinstated {company}: it is an active partner again.").format(
            user=by, company=company
        )
    )
    return after, [*effects, text]


def _remove(partner: Partner, event: Remove, ctx: Ctx) -> Result:
    """The contacts leave the workgroup for good (a suspended partner's have left it);
    they are told directly."""
    reason = check_text(event.reason, _("the reason"))
    after = replace(partner, status=Status.REMOVED, status_reason=reason)
    by, company = ctx.by, quote(partner.company)

    def text() -> str:
        return _("@{user} removed {company} from the partner program: {reason}").format(
            user=by, company=company, reason=quote(reason)
        )

    if partner.workgroup is None:
        return after, [TellPartner(text)]
    effects: list[Effect] = [TellPartner(text, directly=True)]
    if partner.status is not Status.SUSPENDED:
        effects.append(RemoveFromWorkgroup(partner.workgroup, partner.contacts))
    return after, effects


def _assign(partner: Partner, event: Assign, ctx: Ctx) -> Result:
    manager = check_username(event.manager)
    if partner.is_contact(manager):
        raise RuleError(
            _("@{user} is a contact of {company} and cannot be its account manager.").format(
                user=manager, company=quote(partner.company)
            )
        )
    if partner.manager is not None and partner.manager.casefold() == manager.casefold():
        raise RuleError(
            _("@{user} is already the account manager of {company}.").format(
                user=manager, company=quote(partner.company)
            )
        )
    after = replace(partner, manager=manager)
    effects: list[Effect] = []
    if partner.workgroup is not None:
        effects.append(AddToWorkgroup(partner.workgroup, (manager,)))
        if partner.manager is not None:
            effects.append(RemoveFromWorkgroup(partner.workgroup, (partner.manager,)))
    by, company, partner_id = ctx.by, quote(partner.company), partner.id
    effects.append(
        TellPartner(lambda: _("Your account manager is now @{user}.").format(user=manager))
    )
    effects.append(
        TellManagers(
            lambda: _(
                "@{user} is now the account manager of {company} (`{id}`), assigned by @{by}."
            ).format(user=manager, company=company, id=partner_id, by=by)
        )
    )
    return after, effects


def _invite_contact(partner: Partner, event: InviteContact, ctx: Ctx) -> Result:
    """Asks the user to become a contact; they are one only once they accept. Whether the
    user may be a contact at all (not an account manager, not the bot, not with another
    partner) is the command layer's to check: the rules do not know who they are."""
    username = check_username(event.username)
    company = quote(partner.company)
    if partner.is_contact(username):
        raise RuleError(
            _("@{user} is already a contact of {company}.").format(user=username, company=company)
        )
    if partner.manager is not None and partner.manager.casefold() == username.casefold():
        raise RuleError(
            _("@{user} is the account manager of {company}, not a contact.").format(
                user=username, company=company
            )
        )
    if partner.is_invited(username):
        raise RuleError(
            _("@{user} is already invited; they accept with `/join {id}`.").format(
                user=username, id=partner.id
            )
        )
    if len(partner.invited) >= MAX_INVITED:
        raise RuleError(
            _(
                "{company} has {n} invitations waiting for an answer; withdraw one first with "
                "`/contacts remove @user`."
            ).format(company=company, n=MAX_INVITED)
        )
    after = replace(partner, invited=(*partner.invited, username))
    by, partner_id = ctx.by, partner.id
    return after, [
        SendInvitation(
            username,
            lambda: _(
                "@{by} invites you to be a contact of {company} (`{id}`) in the partner "
                "program: its contacts follow its onboarding, file its monthly sales reports "
                "and are in its private group. To accept, send `/join {id}` here (or use the "
                "button); to decline, do nothing."
            ).format(by=by, company=company, id=partner_id),
        ),
        TellPartner(
            lambda: _(
                "@{by} invited @{user} to be a contact of {company}; they become one when they "
                "accept."
            ).format(by=by, user=username, company=company)
        ),
    ]


def _accept_invitation(partner: Partner, event: AcceptInvitation, ctx: Ctx) -> Result:
    username = next(name for name in partner.invited if name.casefold() == ctx.by.casefold())
    after = replace(
        partner,
        contacts=(*partner.contacts, ctx.by),
        invited=tuple(name for name in partner.invited if name != username),
    )
    effects: list[Effect] = []
    if partner.workgroup is not None:
        effects.append(AddToWorkgroup(partner.workgroup, (ctx.by,)))
    by, company = ctx.by, quote(partner.company)
    effects.append(
        TellPartner(
            lambda: _("@{user} accepted the invitation: a contact of {company} now.").format(
                user=by, company=company
            )
        )
    )
    return after, effects


def _remove_contact(partner: Partner, event: RemoveContact, ctx: Ctx) -> Result:
    wanted = check_username(event.username).casefold()
    username = next((c for c in partner.contacts if c.casefold() == wanted), None)
    by, company = ctx.by, quote(partner.company)
    if username is None:
        invitee = next((name for name in partner.invited if name.casefold() == wanted), None)
        if invitee is not None:
            after = replace(partner, invited=tuple(n for n in partner.invited if n != invitee))
            return after, [
                TellPartner(
                    lambda: _("@{by} withdrew the invitation of @{user} to {company}.").format(
                        by=by, user=invitee, company=company
                    )
                )
            ]
        raise RuleError(
            _("@{user} is not a contact of {company}.").format(
                user=event.username.strip().removeprefix("@"), company=company
            )
        )
    if len(partner.contacts) == 1:
        raise RuleError(
            _("@{user} is the only contact of {company}; add another contact first.").format(
                user=username, company=company
            )
        )
    after = replace(partner, contacts=tuple(c for c in partner.contacts if c != username))
    effects: list[Effect] = []
    if partner.workgroup is not None and partner.status is not Status.SUSPENDED:
        effects.append(RemoveFromWorkgroup(partner.workgroup, (username,)))  # suspended: out
    removed = username
    effects.append(
        TellPartner(
            lambda: _("@{by} removed @{user} from the contacts of {company}.").format(
                by=by, user=removed, company=company
            )
        )
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
    InviteContact: Transition(ADDING_CONTACTS, Actor.CONTACT_OR_MANAGER, _invite_contact),
    AcceptInvitation: Transition(ADDING_CONTACTS, Actor.INVITEE, _accept_invitation),
    RemoveContact: Transition(NOT_REMOVED, Actor.CONTACT_OR_MANAGER, _remove_contact),
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
    company, status = quote(partner.company), status_name(partner.status)
    if isinstance(event, Suspend):
        if partner.status is Status.SUSPENDED:
            return _("{company} is already suspended.").format(company=company)
        return _("Only an active partner can be suspended; {company} is {status}.").format(
            company=company, status=status
        )
    if isinstance(event, Reinstate):
        return _("Only a suspended partner can be reinstated; {company} is {status}.").format(
            company=company, status=status
        )
    if isinstance(event, Reapply):
        return _("The application of {company} is already approved.").format(company=company)
    if isinstance(event, (InviteContact, AcceptInvitation)) and partner.status is Status.SUSPENDED:
        return _("{company} is suspended: it takes no new contacts until it is reinstated.").format(
            company=company
        )
    if partner.status is Status.APPLICANT:
        return _("The application of {company} needs to be approved first.").format(company=company)
    if partner.status is Status.REJECTED:
        return _(
            "The application of {company} was rejected; it needs to be sent again first."
        ).format(company=company)
    return _("That cannot be done while {company} is {status}.").format(  # pragma: no cover
        company=company, status=status
    )


def _check_actor(partner: Partner, actor: Actor, by: str) -> None:
    company = quote(partner.company)
    if actor is Actor.CONTACT and not partner.is_contact(by):
        raise RuleError(_("Only the contacts of {company} can do that.").format(company=company))
    if actor is Actor.MANAGER and partner.is_contact(by):
        raise RuleError(
            _("You are a contact of {company}: an account manager decides on its program.").format(
                company=company
            )
        )
    if actor is Actor.INVITEE and not partner.is_invited(by):
        raise RuleError(
            _("@{user} has no invitation to be a contact of {company}.").format(
                user=by, company=company
            )
        )

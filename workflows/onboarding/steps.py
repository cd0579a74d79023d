"""The handlers of the step events: the partner sends, a manager approves or rejects, the
bot reports on the workgroup. Each checks the step rules and returns (partner, effects)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from i18n import money
from workflows.onboarding.events import (
    Approve,
    Effect,
    Reapply,
    Reject,
    RequestApproval,
    SubmitGoals,
    SubmitListing,
    TellManagers,
    TellPartner,
    WorkgroupCreated,
    WorkgroupFailed,
)
from workflows.onboarding.fields import (
    FieldError,
    RuleError,
    check_text,
    check_url,
    parse_horizon,
)
from workflows.onboarding.model import Partner, State, Status, Step, StepRecord, parse_step
from workflows.onboarding.rules import (
    MIN_TERM_MONTHS,
    STEP_RULES,
    YEARLY_FEE,
    Ctx,
    Result,
    approval_fields,
    create_workgroup,
    details,
    done_step,
    is_are,
    nothing_to_decide,
    parse_term,
    partner_todo,
    past_day,
    require,
    set_step,
    the,
    with_application,
    workgroup_name,
)
from workflows.text import quote


def reapply(partner: Partner, event: Reapply, ctx: Ctx) -> Result:
    before = partner.steps[Step.APPLICATION]
    after = replace(
        with_application(partner, event),
        status=Status.APPLICANT,
        steps=set_step(partner, Step.APPLICATION, StepRecord(State.SUBMITTED, ctx.now, ctx.by)),
    )
    if before.state is State.REJECTED:
        why = f" (it was rejected: {quote(before.reason)})" if before.reason else ""
        summary = f"@{ctx.by} sent the application again{why}: {details(after)}."
    else:
        summary = f"@{ctx.by} changed the application waiting for approval: {details(after)}."
    return after, [RequestApproval(partner.id, Step.APPLICATION, summary)]


def approve(partner: Partner, event: Approve, ctx: Ctx) -> Result:
    step = parse_step(event.step)
    require(partner, step)
    values = approval_fields(step, event.fields)
    if STEP_RULES[step].sent_by_partner and partner.state(step) is not State.SUBMITTED:
        raise RuleError(nothing_to_decide(partner, step))
    return _APPROVALS[step](partner, values, ctx)


def _approve_application(partner: Partner, values: Mapping[str, str], ctx: Ctx) -> Result:
    manager = ctx.by if partner.manager is None else partner.manager
    after = replace(
        partner,
        status=Status.ONBOARDING,
        manager=manager,
        steps=done_step(partner, Step.APPLICATION, ctx),
    )
    text = (
        f"Your application for {quote(partner.company)} is approved: welcome to the partner "
        "program! "
        f"Your account manager is @{manager}; the next step is a meeting with them."
        + partner_todo(after)
    )
    return after, [TellPartner(text)]


def _approve_meeting(partner: Partner, values: Mapping[str, str], ctx: Ctx) -> Result:
    if "on" not in values:
        raise FieldError("on=YYYY-MM-DD is required: the day of the meeting")
    on = past_day(values["on"], "the meeting date", ctx)
    after = replace(partner, meeting_on=on, steps=done_step(partner, Step.MEETING, ctx))
    if partner.done(Step.MEETING):
        text = f"The date of your meeting with the account manager is corrected to {on}."
    else:
        text = f"Your meeting with the account manager on {on} is recorded." + partner_todo(after)
    return after, [TellPartner(text)]


def _approve_goals(partner: Partner, values: Mapping[str, str], ctx: Ctx) -> Result:
    after = replace(partner, steps=done_step(partner, Step.GOALS, ctx))
    return after, [TellPartner(f"@{ctx.by} approved your goals." + partner_todo(after))]


def _approve_contract(partner: Partner, values: Mapping[str, str], ctx: Ctx) -> Result:
    if "signed" not in values:
        raise FieldError("signed=YYYY-MM-DD is required: the day the agreement was signed")
    signed = past_day(values["signed"], "the signing date", ctx)
    applied = ctx.day_of(partner.applied_at)
    if signed < applied:
        raise RuleError(f"the signing date cannot be before the application ({applied})")
    term = parse_term(values.get("term", str(MIN_TERM_MONTHS)))
    if values.get("support", "").strip().lower() not in ("yes", "y", "true", "on"):
        raise RuleError("support contract required: approve with support=yes once it is signed")
    fee = values.get("fee", "").strip().lower()
    if fee not in ("paid", "unpaid"):
        raise FieldError("fee=paid or fee=unpaid is required: the yearly program fee")
    correcting = partner.done(Step.CONTRACT)
    after = replace(
        partner,
        signed=signed,
        term_months=term,
        support=True,
        fee_paid=fee == "paid",
        status=Status.ACTIVE if partner.status is Status.ONBOARDING else partner.status,
        steps=done_step(partner, Step.CONTRACT, ctx),
    )
    fee_text = (
        f"The yearly program fee ({money(YEARLY_FEE)}) is paid."
        if after.fee_paid
        else f"The yearly program fee of {money(YEARLY_FEE)} is still to be paid."
    )
    terms = f"signed {signed} for {term} months, with a support contract. {fee_text}"
    if correcting:
        return after, [TellPartner(f"The record of your contract is corrected: {terms}")]
    text = (
        f"Your contract is recorded: {terms} {quote(partner.company)} is now an active partner. "
        f"The training is due by {after.training_due()}."
    )
    effects: list[Effect] = []
    if after.workgroup is None:
        text += " A private group for you and your account manager is on its way."
        effects.append(create_workgroup(after))
    return after, [TellPartner(text + partner_todo(after)), *effects]


def _approve_listing(partner: Partner, values: Mapping[str, str], ctx: Ctx) -> Result:
    after = replace(partner, steps=done_step(partner, Step.LISTING, ctx))
    url = quote(partner.listing_url or "")
    return after, [TellPartner(f"@{ctx.by} approved your listing at {url}.")]


def _retry_workgroup(partner: Partner, values: Mapping[str, str], ctx: Ctx) -> Result:
    if partner.workgroup is not None:
        raise RuleError(f"The workgroup of {quote(partner.company)} already exists.")
    return partner, [create_workgroup(partner)]


def _approve_training(partner: Partner, values: Mapping[str, str], ctx: Ctx) -> Result:
    on = past_day(values["on"], "the training date", ctx) if "on" in values else ctx.today
    applied = ctx.day_of(partner.applied_at)
    if on < applied:
        raise RuleError(f"the training date cannot be before the application ({applied})")
    after = replace(partner, training_on=on, steps=done_step(partner, Step.TRAINING, ctx))
    if partner.done(Step.TRAINING):
        text = f"The date of your training is corrected to {on}."
    else:
        text = f"Your training on {on} is recorded."
        if after.next_step() is None:
            text += " Onboarding is complete: all seven steps are done."
    return after, [TellPartner(text)]


_APPROVALS: Mapping[Step, Callable[[Partner, Mapping[str, str], Ctx], Result]] = {
    Step.APPLICATION: _approve_application,
    Step.MEETING: _approve_meeting,
    Step.GOALS: _approve_goals,
    Step.CONTRACT: _approve_contract,
    Step.LISTING: _approve_listing,
    Step.WORKGROUP: _retry_workgroup,
    Step.TRAINING: _approve_training,
}


def reject(partner: Partner, event: Reject, ctx: Ctx) -> Result:
    step = parse_step(event.step)
    reason = check_text(event.reason, "the reason")
    if not STEP_RULES[step].sent_by_partner:
        who = "the bot" if step is Step.WORKGROUP else "the account manager"
        raise RuleError(
            "Only what the partner sends (the application, the goals, the listing) can be "
            f"rejected; {the(step)} {is_are(step)} done by {who}."
        )
    if partner.state(step) is not State.SUBMITTED:
        raise RuleError(nothing_to_decide(partner, step))
    record = StepRecord(State.REJECTED, ctx.now, ctx.by, reason)
    after = replace(partner, steps=set_step(partner, step, record))
    if step is Step.APPLICATION:
        after = replace(after, status=Status.REJECTED)
        text = (
            f"@{ctx.by} did not approve the application of {quote(partner.company)}: "
            f"{quote(reason)}\n"
            "Correct it and send it again with `/onboard`."
        )
    elif step is Step.GOALS:
        text = (
            f"@{ctx.by} did not approve your goals: {quote(reason)}\n"
            "Send them again with `/goals 3m <text>` or `/goals 1y <text>`."
        )
    else:
        text = (
            f"@{ctx.by} did not approve your listing at {quote(partner.listing_url or '')}: "
            f"{quote(reason)}\n"
            "Send the page again with `/listing <url>`."
        )
    return after, [TellPartner(text)]


def submit_goals(partner: Partner, event: SubmitGoals, ctx: Ctx) -> Result:
    horizon = parse_horizon(event.horizon)
    text = check_text(event.text, "the goals text")
    require(partner, Step.GOALS)
    if partner.done(Step.GOALS):
        raise RuleError(
            "Your goals are already approved; new goals are agreed at the quarterly review."
        )
    after = replace(partner, goals_3m=text) if horizon == "3m" else replace(partner, goals_1y=text)
    three, year = after.goals_3m, after.goals_1y
    if three is None or year is None:
        return after, []  # waiting for the other horizon
    record = StepRecord(State.SUBMITTED, ctx.now, ctx.by)
    after = replace(after, steps=set_step(partner, Step.GOALS, record))
    summary = (
        f"@{ctx.by} sent the goals of {quote(partner.company)} (`{partner.id}`):\n"
        f"• next 3 months: {quote(three)}\n• next year: {quote(year)}"
    )
    return after, [RequestApproval(partner.id, Step.GOALS, summary)]


def submit_listing(partner: Partner, event: SubmitListing, ctx: Ctx) -> Result:
    url = check_url(event.url, "the listing")
    if event.mentions_vendor not in (True, False, None):
        raise TypeError("mentions_vendor is True, False or None")
    require(partner, Step.LISTING)
    if partner.done(Step.LISTING):
        raise RuleError(f"Your listing at {quote(partner.listing_url or '')} is already approved.")
    record = StepRecord(State.SUBMITTED, ctx.now, ctx.by)
    after = replace(
        partner,
        listing_url=url,
        listing_mentions_vendor=event.mentions_vendor,
        steps=set_step(partner, Step.LISTING, record),
    )
    found = {
        True: "the bot found the vendor mentioned there",
        False: "the bot did not find the vendor mentioned there",
        None: "the bot could not check the page",
    }[event.mentions_vendor]
    summary = (
        f"@{ctx.by} sent the listing of {quote(partner.company)} (`{partner.id}`): "
        f"{quote(url)} ({found})."
    )
    return after, [RequestApproval(partner.id, Step.LISTING, summary)]


def workgroup_created(partner: Partner, event: WorkgroupCreated, ctx: Ctx) -> Result:
    room_id = event.room_id.strip()
    if not room_id:
        raise ValueError("a workgroup needs a room id")
    require(partner, Step.WORKGROUP)
    if partner.workgroup == room_id:
        return partner, []  # told twice: nothing changes
    if partner.workgroup is not None:
        raise RuleError(f"The workgroup of {quote(partner.company)} already exists.")
    after = replace(partner, workgroup=room_id, steps=done_step(partner, Step.WORKGROUP, ctx))
    text = (
        f"This is the private group of {quote(partner.company)} and its account manager "
        f"@{partner.manager}: reminders and news about your partnership come here, and the "
        "partner commands work here (try /status)."
    )
    if not partner.done(Step.TRAINING):
        text += f" Your training is due by {partner.training_due()}."
    effects: list[Effect] = [TellPartner(text)]
    wanted = workgroup_name(partner.id)
    if event.name and event.name != wanted:
        effects.append(
            TellManagers(
                f"The workgroup of {quote(partner.company)} (`{partner.id}`) is {event.name}: the "
                f"name {wanted} is taken by another room, which gets nothing from me."
            )
        )
    return after, effects


def workgroup_failed(partner: Partner, event: WorkgroupFailed, ctx: Ctx) -> Result:
    reason = " ".join(event.reason.split()) or "no reason given"
    require(partner, Step.WORKGROUP)
    if partner.workgroup is not None:
        raise RuleError(f"The workgroup of {quote(partner.company)} already exists.")
    record = StepRecord(State.TODO, ctx.now, ctx.by, reason)
    after = replace(partner, steps=set_step(partner, Step.WORKGROUP, record))
    text = (
        f"I could not create the workgroup {workgroup_name(partner.id)} of "
        f"{quote(partner.company)}: "
        f"{reason}. Try again with `/approve {partner.id} workgroup`."
    )
    return after, [TellManagers(text)]

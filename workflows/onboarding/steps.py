"""The handlers of the step events: the partner sends, a manager approves or rejects, the
bot reports on the workgroup. Each checks the step rules and returns (partner, effects)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from i18n import _, day, money
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
    nothing_to_decide,
    parse_term,
    partner_todo,
    past_day,
    require,
    set_step,
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
    by, reason = ctx.by, before.reason

    def summary() -> str:
        if before.state is State.REJECTED and reason:
            return _(
                "@{user} sent the application again (it was rejected: {reason}): {details}."
            ).format(user=by, reason=quote(reason), details=details(after))
        if before.state is State.REJECTED:
            return _("@{user} sent the application again: {details}.").format(
                user=by, details=details(after)
            )
        return _("@{user} changed the application waiting for approval: {details}.").format(
            user=by, details=details(after)
        )

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
    return after, [
        TellPartner(
            lambda: (
                _(
                    "Your application for {company} is approved: welcome to the partner program! "
                    "Your account manager is @{manager}; the next step is a meeting with them."
                ).format(company=quote(partner.company), manager=manager)
                + partner_todo(after)
            )
        )
    ]


def _approve_meeting(partner: Partner, values: Mapping[str, str], ctx: Ctx) -> Result:
    if "on" not in values:
        raise FieldError(_("on=YYYY-MM-DD is required: the day of the meeting"))
    on = past_day(values["on"], _("the meeting date"), ctx)
    after = replace(partner, meeting_on=on, steps=done_step(partner, Step.MEETING, ctx))
    if partner.done(Step.MEETING):
        return after, [
            TellPartner(
                lambda: _(
                    "The date of your meeting with the account manager is corrected to {day}."
                ).format(day=day(on))
            )
        ]
    return after, [
        TellPartner(
            lambda: (
                _("Your meeting with the account manager on {day} is recorded.").format(day=day(on))
                + partner_todo(after)
            )
        )
    ]


def _approve_goals(partner: Partner, values: Mapping[str, str], ctx: Ctx) -> Result:
    after = replace(partner, steps=done_step(partner, Step.GOALS, ctx))
    by = ctx.by
    return after, [
        TellPartner(lambda: _("@{user} approved your goals.").format(user=by) + partner_todo(after))
    ]


def _approve_contract(partner: Partner, values: Mapping[str, str], ctx: Ctx) -> Result:
    if "signed" not in values:
        raise FieldError(_("signed=YYYY-MM-DD is required: the day the agreement was signed"))
    signed = past_day(values["signed"], _("the signing date"), ctx)
    applied = ctx.day_of(partner.applied_at)
    if signed < applied:
        raise RuleError(
            _("the signing date cannot be before the application ({day})").format(day=day(applied))
        )
    term = parse_term(values.get("term", str(MIN_TERM_MONTHS)))
    if values.get("support", "").strip().lower() not in ("yes", "y", "true", "on"):
        raise RuleError(_("support contract required: approve with support=yes once it is signed"))
    fee = values.get("fee", "").strip().lower()
    if fee not in ("paid", "unpaid"):
        raise FieldError(_("fee=paid or fee=unpaid is required: the yearly program fee"))
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
    paid = after.fee_paid
    due = after.training_due()
    assert due is not None  # signed

    def terms() -> str:
        values = {"day": day(signed), "months": term, "fee": money(YEARLY_FEE)}
        if paid:
            return _(
                "signed {day} for {months} months, with a support contract. The yearly "
                "program fee ({fee}) is paid."
            ).format(**values)
        return _(
            "signed {day} for {months} months, with a support contract. The yearly program "
            "fee of {fee} is still to be paid."
        ).format(**values)

    if correcting:
        return after, [
            TellPartner(
                lambda: _("The record of your contract is corrected: {terms}").format(terms=terms())
            )
        ]
    making = after.workgroup is None

    def text() -> str:
        recorded = _(
            "Your contract is recorded: {terms} {company} is now an active partner. "
            "The training is due by {due}."
        ).format(terms=terms(), company=quote(partner.company), due=day(due))
        if making:
            recorded += " " + _("A private group for you and your account manager is on its way.")
        return recorded + partner_todo(after)

    effects: list[Effect] = [TellPartner(text)]
    if making:
        effects.append(create_workgroup(after))
    return after, effects


def _approve_listing(partner: Partner, values: Mapping[str, str], ctx: Ctx) -> Result:
    after = replace(partner, steps=done_step(partner, Step.LISTING, ctx))
    url, by = quote(partner.listing_url or ""), ctx.by
    return after, [
        TellPartner(lambda: _("@{user} approved your listing at {url}.").format(user=by, url=url))
    ]


def _retry_workgroup(partner: Partner, values: Mapping[str, str], ctx: Ctx) -> Result:
    if partner.workgroup is not None:
        raise RuleError(_already_exists(partner))
    return partner, [create_workgroup(partner)]


def _already_exists(partner: Partner) -> str:
    return _("The workgroup of {company} already exists.").format(company=quote(partner.company))


def _approve_training(partner: Partner, values: Mapping[str, str], ctx: Ctx) -> Result:
    on = past_day(values["on"], _("the training date"), ctx) if "on" in values else ctx.today
    applied = ctx.day_of(partner.applied_at)
    if on < applied:
        raise RuleError(
            _("the training date cannot be before the application ({day})").format(day=day(applied))
        )
    after = replace(partner, training_on=on, steps=done_step(partner, Step.TRAINING, ctx))
    if partner.done(Step.TRAINING):
        return after, [
            TellPartner(
                lambda: _("The date of your training is corrected to {day}.").format(day=day(on))
            )
        ]
    complete = after.next_step() is None

    def text() -> str:
        recorded = _("Your training on {day} is recorded.").format(day=day(on))
        if complete:
            recorded += " " + _("Onboarding is complete: all seven steps are done.")
        return recorded

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
    reason = check_text(event.reason, _("the reason"))
    if not STEP_RULES[step].sent_by_partner:
        raise RuleError(_NOT_SENT[step]())
    if partner.state(step) is not State.SUBMITTED:
        raise RuleError(nothing_to_decide(partner, step))
    record = StepRecord(State.REJECTED, ctx.now, ctx.by, reason)
    after = replace(partner, steps=set_step(partner, step, record))
    by, company, why = ctx.by, quote(partner.company), quote(reason)
    text: Callable[[], str]
    if step is Step.APPLICATION:
        after = replace(after, status=Status.REJECTED)
        text = lambda: _(  # noqa: E731
            "@{user} did not approve the application of {company}: {reason}\n"
            "Correct it and send it again with `/onboard`."
        ).format(user=by, company=company, reason=why)
    elif step is Step.GOALS:
        text = lambda: _(  # noqa: E731
            "@{user} did not approve your goals: {reason}\n"
            "Send them again with `/goals 3m <text>` or `/goals 1y <text>`."
        ).format(user=by, reason=why)
    else:
        url = quote(partner.listing_url or "")
        text = lambda: _(  # noqa: E731
            "@{user} did not approve your listing at {url}: {reason}\n"
            "Send the page again with `/listing <url>`."
        ).format(user=by, url=url, reason=why)
    return after, [TellPartner(text)]


# Why a step that the partner does not send cannot be rejected (for the caller).
_NOT_SENT: Mapping[Step, Callable[[], str]] = {
    Step.MEETING: lambda: _(
        "Only what the partner sends (the application, the goals, the listing) can be "
        "rejected; the meeting is done by the account manager."
    ),
    Step.CONTRACT: lambda: _(
        "Only what the partner sends (the application, the goals, the listing) can be "
        "rejected; the contract is done by the account manager."
    ),
    Step.WORKGROUP: lambda: _(
        "Only what the partner sends (the application, the goals, the listing) can be "
        "rejected; the workgroup is done by the bot."
    ),
    Step.TRAINING: lambda: _(
        "Only what the partner sends (the application, the goals, the listing) can be "
        "rejected; the training is done by the account manager."
    ),
}


def submit_goals(partner: Partner, event: SubmitGoals, ctx: Ctx) -> Result:
    horizon = parse_horizon(event.horizon)
    text = check_text(event.text, _("the goals text"))
    require(partner, Step.GOALS)
    if partner.done(Step.GOALS):
        raise RuleError(
            _("Your goals are already approved; new goals are agreed at the quarterly review.")
        )
    after = replace(partner, goals_3m=text) if horizon == "3m" else replace(partner, goals_1y=text)
    three, year = after.goals_3m, after.goals_1y
    if three is None or year is None:
        return after, []  # waiting for the other horizon
    record = StepRecord(State.SUBMITTED, ctx.now, ctx.by)
    after = replace(after, steps=set_step(partner, Step.GOALS, record))
    by, company, partner_id = ctx.by, quote(partner.company), partner.id
    return after, [
        RequestApproval(
            partner.id,
            Step.GOALS,
            lambda: _(
                "@{user} sent the goals of {company} (`{id}`):\n"
                "• next 3 months: {three_months}\n• next year: {one_year}"
            ).format(
                user=by,
                company=company,
                id=partner_id,
                three_months=quote(three),
                one_year=quote(year),
            ),
        )
    ]


def submit_listing(partner: Partner, event: SubmitListing, ctx: Ctx) -> Result:
    url = check_url(event.url, _("the listing"))
    if event.mentions_vendor not in (True, False, None):
        raise TypeError("mentions_vendor is True, False or None")
    require(partner, Step.LISTING)
    if partner.done(Step.LISTING):
        raise RuleError(
            _("Your listing at {url} is already approved.").format(
                url=quote(partner.listing_url or "")
            )
        )
    record = StepRecord(State.SUBMITTED, ctx.now, ctx.by)
    after = replace(
        partner,
        listing_url=url,
        listing_mentions_vendor=event.mentions_vendor,
        steps=set_step(partner, Step.LISTING, record),
    )
    values = {
        "user": ctx.by,
        "company": quote(partner.company),
        "id": partner.id,
        "url": quote(url),
    }
    mentions = event.mentions_vendor

    def summary() -> str:
        if mentions is True:
            text = _(
                "@{user} sent the listing of {company} (`{id}`): {url} (the bot found the "
                "vendor mentioned there)."
            )
        elif mentions is False:
            text = _(
                "@{user} sent the listing of {company} (`{id}`): {url} (the bot did not find "
                "the vendor mentioned there)."
            )
        else:
            text = _(
                "@{user} sent the listing of {company} (`{id}`): {url} (the bot could not "
                "check the page)."
            )
        return text.format(**values)

    return after, [RequestApproval(partner.id, Step.LISTING, summary)]


def workgroup_created(partner: Partner, event: WorkgroupCreated, ctx: Ctx) -> Result:
    room_id = event.room_id.strip()
    if not room_id:
        raise ValueError("a workgroup needs a room id")
    require(partner, Step.WORKGROUP)
    if partner.workgroup == room_id:
        return partner, []  # told twice: nothing changes
    if partner.workgroup is not None:
        raise RuleError(_already_exists(partner))
    after = replace(partner, workgroup=room_id, steps=done_step(partner, Step.WORKGROUP, ctx))
    company, manager = quote(partner.company), partner.manager
    due = None if partner.done(Step.TRAINING) else partner.training_due()

    def text() -> str:
        welcome = _(
            "This is the private group of {company} and its account manager @{manager}: "
            "reminders and news about your partnership come here, and the partner commands "
            "work here (try /status)."
        ).format(company=company, manager=manager)
        if due is not None:
            welcome += " " + _("Your training is due by {day}.").format(day=day(due))
        return welcome

    effects: list[Effect] = [TellPartner(text)]
    wanted, name, partner_id = workgroup_name(partner.id), event.name, partner.id
    if name and name != wanted:
        effects.append(
            TellManagers(
                lambda: _(
                    "The workgroup of {company} (`{id}`) is {name}: the name {wanted} is taken "
                    "by another room, which gets nothing from me."
                ).format(company=company, id=partner_id, name=name, wanted=wanted)
            )
        )
    return after, effects


def workgroup_failed(partner: Partner, event: WorkgroupFailed, ctx: Ctx) -> Result:
    reason = " ".join(event.reason.split()) or "no reason given"  # stored: not translated
    require(partner, Step.WORKGROUP)
    if partner.workgroup is not None:
        raise RuleError(_already_exists(partner))
    record = StepRecord(State.TODO, ctx.now, ctx.by, reason)
    after = replace(partner, steps=set_step(partner, Step.WORKGROUP, record))
    name, company, partner_id = workgroup_name(partner.id), quote(partner.company), partner.id
    return after, [
        TellManagers(
            lambda: _(
                "I could not create the workgroup {name} of {company}: {reason}. Try again "
                "with `/approve {id} workgroup`."
            ).format(name=name, company=company, reason=reason, id=partner_id)
        )
    ]

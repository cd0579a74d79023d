"""The rules the onboarding handlers share: the step table, who may act, and the checks.

`STEP_RULES` is the order of the steps (which must be done before which) and what an
approval takes; `STATUS_FLOW` the partner status changes drawn in the package docstring.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo
from decimal import Decimal
from enum import StrEnum

from i18n import _, day, ngettext
from workflows.onboarding.events import Apply, CreateWorkgroup, Effect, Reapply
from workflows.onboarding.fields import (
    APPLICATION_FIELDS,
    FieldError,
    PartnerType,
    RuleError,
    check_field,
    parse_day,
    same_name,
)
from workflows.onboarding.model import (
    Partner,
    State,
    Status,
    Step,
    StepRecord,
    status_name,
    step_name,
    the_step,
)
from workflows.text import quote

Result = tuple[Partner, list[Effect]]  # what a handler returns: the new partner, the effects

MIN_TERM_MONTHS = 12
MAX_TERM_MONTHS = 120  # a longer term is taken for a typo
YEARLY_FEE = Decimal("1200.00")  # USD; shown with i18n.money


class Actor(StrEnum):
    """Who may send an event."""

    CONTACT = "contact"  # one of the partner's contacts
    MANAGER = "manager"  # an account manager: never one of the partner's own contacts
    # either (the rules do not know who is a manager: the command layer checks the role)
    CONTACT_OR_MANAGER = "contact-or-manager"
    INVITEE = "invitee"  # a user the partner invited to be a contact
    BOT = "bot"  # the bot itself (workgroup results)


@dataclass(frozen=True, slots=True)
class StepRule:
    """What a step needs and who completes it."""

    requires: tuple[Step, ...]  # steps that must be done first
    sent_by_partner: bool  # the partner submits, a manager approves or rejects
    fields: tuple[str, ...] = ()  # what `Approve` takes (key=value)


STEP_RULES: Mapping[Step, StepRule] = {
    Step.APPLICATION: StepRule((), sent_by_partner=True),
    Step.MEETING: StepRule((Step.APPLICATION,), sent_by_partner=False, fields=("on",)),
    Step.GOALS: StepRule((Step.APPLICATION,), sent_by_partner=True),
    Step.CONTRACT: StepRule(
        (Step.APPLICATION, Step.MEETING, Step.GOALS),
        sent_by_partner=False,
        fields=("signed", "term", "support", "fee"),
    ),
    Step.LISTING: StepRule((Step.APPLICATION,), sent_by_partner=True),
    Step.WORKGROUP: StepRule((Step.CONTRACT,), sent_by_partner=False),
    Step.TRAINING: StepRule((Step.CONTRACT,), sent_by_partner=False, fields=("on",)),
}

LIVE = frozenset({Status.ONBOARDING, Status.ACTIVE, Status.SUSPENDED})
NOT_REMOVED = frozenset(Status) - {Status.REMOVED}
APPLYING = frozenset({Status.APPLICANT, Status.REJECTED})  # the application not approved
STEP_DECISIONS = LIVE | {Status.APPLICANT}  # where a manager approves or rejects steps
ADDING_CONTACTS = NOT_REMOVED - {Status.SUSPENDED}  # where contacts are invited and join

# The partner status changes, as in the diagram of the package docstring:
# (from, to, what does it). `None` is "no partner yet".
STATUS_FLOW: tuple[tuple[Status | None, Status, str], ...] = (
    (None, Status.APPLICANT, "Apply"),
    (Status.APPLICANT, Status.ONBOARDING, "Approve application"),
    (Status.APPLICANT, Status.REJECTED, "Reject application"),
    (Status.REJECTED, Status.APPLICANT, "Reapply"),
    (Status.ONBOARDING, Status.ACTIVE, "Approve contract"),
    (Status.ACTIVE, Status.SUSPENDED, "Suspend"),
    (Status.SUSPENDED, Status.ACTIVE, "Reinstate"),
    *((status, Status.REMOVED, "Remove") for status in Status if status is not Status.REMOVED),
)


@dataclass(frozen=True, slots=True)
class Ctx:
    """Who sends the event, and when: what every handler is given besides the event."""

    by: str
    now: datetime  # in UTC: what the records keep
    zone: tzinfo  # where local dates are taken

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()

    def day_of(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()


def workgroup_name(partner_id: str, number: int = 1) -> str:
    """`partner-<id>`; with a `number` from 2, `partner-<id>-<number>`: the names to try, in
    order, while the ones before are taken by rooms the bot did not make."""
    return f"partner-{partner_id}" if number == 1 else f"partner-{partner_id}-{number}"


def require(partner: Partner, step: Step) -> None:
    """The order rule: `step` needs the steps before it (`STEP_RULES`) done."""
    missing = [the(before) for before in STEP_RULES[step].requires if not partner.done(before)]
    if missing:
        if step is Step.GOALS:
            raise RuleError(
                _("The goals need {steps} to be done first.").format(steps=join(missing))
            )
        raise RuleError(
            _("The {step} needs {steps} to be done first.").format(
                step=step_name(step), steps=join(missing)
            )
        )


def nothing_to_decide(partner: Partner, step: Step) -> str:
    """Why there is nothing of `step` for a manager to approve or reject (for the caller)."""
    state = partner.state(step)
    if state is State.DONE:
        if step is Step.GOALS:
            return _("The goals are already approved.")
        return _("The {step} is already approved.").format(step=step_name(step))
    if state is State.REJECTED:
        if step is Step.GOALS:
            return _("The goals were rejected and not sent again yet.")
        return _("The {step} was rejected and not sent again yet.").format(step=step_name(step))
    return _("{company} has not sent its {step} yet.").format(
        company=quote(partner.company), step=step_name(step)
    )


def approval_fields(step: Step, given: Mapping[str, str]) -> dict[str, str]:
    allowed = STEP_RULES[step].fields
    values: dict[str, str] = {}
    for key, value in given.items():
        name = key.strip().lower()
        if name not in allowed:
            if not allowed:
                raise FieldError(
                    _("approving {step} takes no fields (not {key}=)").format(
                        step=the(step), key=key
                    )
                )
            takes = ", ".join(f"{field}=" for field in allowed)
            raise FieldError(
                _("there is no field {key}= for {step}; it takes {fields}").format(
                    key=key, step=the(step), fields=takes
                )
            )
        values[name] = value
    return values


def past_day(value: str, what: str, ctx: Ctx) -> date:
    """A day typed YYYY-MM-DD, not after today; `what` is the day as its reader calls it."""
    typed = parse_day(value, what, ctx.today)
    if typed > ctx.today:
        raise RuleError(
            _("{what} cannot be in the future ({day})").format(what=what, day=day(typed))
        )
    return typed


def parse_term(value: str) -> int:
    text = value.strip()
    if not re.fullmatch(r"\d{1,4}", text):
        raise FieldError(_("term must be a number of months, e.g. term=24"))
    months = int(text)
    if months < MIN_TERM_MONTHS:
        raise FieldError(_("term must be at least {months} months").format(months=MIN_TERM_MONTHS))
    if months > MAX_TERM_MONTHS:
        raise FieldError(_("term must be at most {months} months").format(months=MAX_TERM_MONTHS))
    return months


def with_application(partner: Partner, event: Apply | Reapply) -> Partner:
    """The partner with the application's fields, each checked."""
    values = {name: check_field(name, getattr(event, name)) for name in APPLICATION_FIELDS}
    country = event.country
    return replace(
        partner,
        company=values["company"],
        type=PartnerType(values["type"]),
        website=values["website"],
        email=values["email"],
        country=None if country is None or not country.strip() else check_field("country", country),
    )


def details(partner: Partner) -> str:
    """The application's fields, for the managers (in the language in force)."""
    values = {
        "company": quote(partner.company),
        "id": partner.id,
        "type": partner.type.value,
        "website": quote(partner.website),
        "email": quote(partner.email),
    }
    if partner.country is None:
        return _("{company} (`{id}`), a {type} partner; website {website}, email {email}").format(
            **values
        )
    return _(
        "{company} (`{id}`), a {type} partner; website {website}, email {email}, country {country}"
    ).format(**values, country=quote(partner.country))


def namesake_warning(company: str, namesakes: Sequence[Partner]) -> str:
    """What the account managers are told when an application's company has the name (or
    a name with the same slug) of partners already there."""
    same = all(same_name(company, other.company) for other in namesakes)
    listed = "; ".join(
        f"{quote(other.company)} (`{other.id}`, {status_name(other.status)})" for other in namesakes
    )
    n = len(namesakes)
    if same:
        text = ngettext(
            "⚠️ A partner with the same name already exists: {partners}.",
            "⚠️ {n} partners with the same name already exist: {partners}.",
            n,
        )
    else:
        text = ngettext(
            "⚠️ A partner with the same or a similar name already exists: {partners}.",
            "⚠️ {n} partners with the same or a similar name already exist: {partners}.",
            n,
        )
    return text.format(n=n, partners=listed)


def partner_todo(partner: Partner) -> str:
    """What the partner can do now without waiting for anyone, as a sentence after a space
    (in the language in force), or nothing."""
    goals = partner.state(Step.GOALS) in (State.TODO, State.REJECTED)
    listing = partner.state(Step.LISTING) in (State.TODO, State.REJECTED)
    if goals and listing:
        return " " + _(
            "Meanwhile, send your goals for the next 3 months and the next year with "
            "`/goals 3m <text>` and `/goals 1y <text>`; and list us on your website (logo "
            "and description) and send the page with `/listing <url>`."
        )
    if goals:
        return " " + _(
            "Meanwhile, send your goals for the next 3 months and the next year with "
            "`/goals 3m <text>` and `/goals 1y <text>`."
        )
    if listing:
        return " " + _(
            "Meanwhile, list us on your website (logo and description) and send the page "
            "with `/listing <url>`."
        )
    return ""


def create_workgroup(partner: Partner) -> CreateWorkgroup:
    """The group with the contacts and the manager; a suspended partner's contacts join
    it when it is reinstated."""
    contacts = () if partner.status is Status.SUSPENDED else partner.contacts
    members = unique((*contacts, *([] if partner.manager is None else [partner.manager])))
    return CreateWorkgroup(partner.id, workgroup_name(partner.id), members)


def set_step(partner: Partner, step: Step, record: StepRecord) -> dict[Step, StepRecord]:
    return {**partner.steps, step: record}


def done_step(partner: Partner, step: Step, ctx: Ctx) -> dict[Step, StepRecord]:
    return set_step(partner, step, StepRecord(State.DONE, ctx.now, ctx.by))


def the(step: Step) -> str:
    """`the contract`, in the language in force."""
    return the_step(step)


def join(items: Iterable[str]) -> str:
    """`a, b and c`, in the language in force."""
    words = list(items)
    if len(words) == 1:
        return words[0]
    return _("{items} and {last}").format(items=", ".join(words[:-1]), last=words[-1])


def unique(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))

"""A partner as the onboarding rules see it, and its JSON document (SPEC §5)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from i18n import N_, _
from workflows.documents import DocReader
from workflows.onboarding.fields import PartnerType, RuleError


class Step(StrEnum):
    APPLICATION = "application"
    MEETING = "meeting"
    GOALS = "goals"
    CONTRACT = "contract"
    LISTING = "listing"
    WORKGROUP = "workgroup"
    TRAINING = "training"


STEPS: tuple[Step, ...] = tuple(Step)  # in order


def parse_step(text: str) -> Step:
    """A step from its id, as typed in a command."""
    try:
        return Step(text.strip().lower())
    except ValueError:
        raise RuleError(
            _("the step must be one of {steps}").format(steps=", ".join(STEPS))
        ) from None


class State(StrEnum):
    TODO = "todo"
    SUBMITTED = "submitted"  # waiting for an account manager
    DONE = "done"
    REJECTED = "rejected"  # with the manager's reason; the partner can submit again


class Status(StrEnum):
    APPLICANT = "applicant"
    ONBOARDING = "onboarding"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REMOVED = "removed"
    REJECTED = "rejected"


# What the steps, their states and the partner statuses are called where shown (the ids
# above stay what commands take and the storage keeps): `step_name(step)`, ...
STEP_NAMES: Mapping[Step, str] = {
    Step.APPLICATION: N_("application"),
    Step.MEETING: N_("meeting"),
    Step.GOALS: N_("goals"),
    Step.CONTRACT: N_("contract"),
    Step.LISTING: N_("listing"),
    Step.WORKGROUP: N_("workgroup"),
    Step.TRAINING: N_("training"),
}
# With the article, as in "the contract needs the meeting to be done first".
THE_STEPS: Mapping[Step, str] = {
    Step.APPLICATION: N_("the application"),
    Step.MEETING: N_("the meeting"),
    Step.GOALS: N_("the goals"),
    Step.CONTRACT: N_("the contract"),
    Step.LISTING: N_("the listing"),
    Step.WORKGROUP: N_("the workgroup"),
    Step.TRAINING: N_("the training"),
}
STATE_NAMES: Mapping[State, str] = {
    # TRANSLATORS: the state of an onboarding step in the checklist, as a status badge
    State.TODO: N_("todo"),
    # TRANSLATORS: the state of an onboarding step: sent, waiting for an account manager
    State.SUBMITTED: N_("submitted"),
    # TRANSLATORS: the state of an onboarding step: done (approved)
    State.DONE: N_("done"),
    # TRANSLATORS: the state of an onboarding step: not approved, to be sent again
    State.REJECTED: N_("rejected"),
}
STATUS_NAMES: Mapping[Status, str] = {
    # TRANSLATORS: a partner's status in the program, as a status badge
    Status.APPLICANT: N_("applicant"),
    # TRANSLATORS: a partner's status: its application approved, onboarding under way
    Status.ONBOARDING: N_("onboarding"),
    # TRANSLATORS: a partner's status: a partner in good standing
    Status.ACTIVE: N_("active"),
    # TRANSLATORS: a partner's status
    Status.SUSPENDED: N_("suspended"),
    # TRANSLATORS: a partner's status: out of the program for good
    Status.REMOVED: N_("removed"),
    # TRANSLATORS: a partner's status: its application not approved
    Status.REJECTED: N_("rejected"),
}


def step_name(step: Step) -> str:
    """The step as its reader calls it (`contract`, `contrato`)."""
    return _(STEP_NAMES[step])


def the_step(step: Step) -> str:
    """The step with its article, in the reader's language (`the contract`)."""
    return _(THE_STEPS[step])


def state_name(state: State) -> str:
    return _(STATE_NAMES[state])


def status_name(status: Status) -> str:
    """The partner status as its reader calls it (`active`, `ativo`)."""
    return _(STATUS_NAMES[status])


TRAINING_DAYS = 60  # the training is due within 60 days after signing


@dataclass(frozen=True, slots=True)
class StepRecord:
    """A step's state and the last decision on it: who, when, and why when rejected."""

    state: State
    at: datetime | None = None
    by: str | None = None
    reason: str | None = None


def fresh_steps() -> dict[Step, StepRecord]:
    """Every step to do."""
    return {step: StepRecord(State.TODO) for step in STEPS}


@dataclass(frozen=True, slots=True)
class Partner:
    """A partner company and where it is in the program. Never changed: see `decide`."""

    id: str
    company: str
    type: PartnerType
    website: str
    email: str
    country: str | None
    status: Status
    manager: str | None
    contacts: tuple[str, ...]  # usernames; the applicant first
    workgroup: str | None  # the private group's room id
    steps: Mapping[Step, StepRecord]  # every step present
    applied_at: datetime
    meeting_on: date | None = None
    goals_3m: str | None = None
    goals_1y: str | None = None
    signed: date | None = None
    term_months: int | None = None
    support: bool = False
    fee_paid: bool | None = None
    listing_url: str | None = None
    listing_mentions_vendor: bool | None = None
    training_on: date | None = None
    statistics_shared: bool | None = None
    vendor_referenced: bool | None = None
    status_reason: str | None = None
    # usernames asked to be contacts (`/contacts add`) who have not accepted (`/join`) yet
    invited: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if set(self.steps) != set(STEPS):
            missing = ", ".join(step for step in STEPS if step not in self.steps)
            raise ValueError(f"partner {self.id}: steps missing: {missing}")
        if self.applied_at.utcoffset() is None:
            raise ValueError(f"partner {self.id}: applied_at must be an aware datetime")

    def state(self, step: Step) -> State:
        return self.steps[step].state

    def done(self, step: Step) -> bool:
        return self.steps[step].state is State.DONE

    def next_step(self) -> Step | None:
        """The first step not done, or None when onboarding is complete."""
        return next((step for step in STEPS if not self.done(step)), None)

    def training_due(self) -> date | None:
        """The last day for the training: 60 days after signing (None before signing)."""
        return None if self.signed is None else self.signed + timedelta(days=TRAINING_DAYS)

    def is_contact(self, username: str) -> bool:
        folded = username.casefold()
        return any(contact.casefold() == folded for contact in self.contacts)

    def is_invited(self, username: str) -> bool:
        folded = username.casefold()
        return any(invitee.casefold() == folded for invitee in self.invited)

    def manager_among(self, managers: Iterable[str]) -> str | None:
        """The partner's account manager while they are one (among `managers`, the
        configured ones), else None: one taken out of the configuration gets nothing more."""
        if self.manager is None:
            return None
        folded = self.manager.casefold()
        return self.manager if any(name.casefold() == folded for name in managers) else None

    def to_doc(self) -> dict[str, Any]:
        """The partner as a JSON object: SPEC §5 keys first, then every other field.
        Dates are ISO (YYYY-MM-DD), times ISO in UTC."""
        return {
            "id": self.id,
            "company": self.company,
            "type": self.type.value,
            "status": self.status.value,
            "manager": self.manager,
            "contacts": list(self.contacts),
            "workgroup": self.workgroup,
            "steps": {step.value: _record_doc(self.steps[step]) for step in STEPS},
            "website": self.website,
            "email": self.email,
            "country": self.country,
            "applied_at": _time_doc(self.applied_at),
            "meeting_on": _day_doc(self.meeting_on),
            "goals_3m": self.goals_3m,
            "goals_1y": self.goals_1y,
            "signed": _day_doc(self.signed),
            "term_months": self.term_months,
            "support": self.support,
            "fee_paid": self.fee_paid,
            "listing_url": self.listing_url,
            "listing_mentions_vendor": self.listing_mentions_vendor,
            "training_on": _day_doc(self.training_on),
            "statistics_shared": self.statistics_shared,
            "vendor_referenced": self.vendor_referenced,
            "status_reason": self.status_reason,
            "invited": list(self.invited),
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Partner:
        """The inverse of `to_doc`. Optional fields may be absent; ValueError names what is
        wrong in a document that is not a partner."""
        read = DocReader(doc, f"partner {doc.get('id')!r}")
        steps_doc = read.get("steps", dict)
        unknown = set(steps_doc) - set(STEPS)
        if unknown:
            raise ValueError(f"{read.where}: unknown steps {sorted(unknown)}")
        steps = {}
        for step in STEPS:
            record = steps_doc.get(step.value, {"state": State.TODO.value})
            if not isinstance(record, Mapping):
                raise ValueError(f"{read.where}: step {step} must be an object")
            steps[step] = _record(DocReader(record, f"{read.where}, step {step}"))
        contacts = read.get("contacts", list)
        if not all(isinstance(contact, str) for contact in contacts):
            raise ValueError(f"{read.where}: contacts must be usernames")
        invited = read.optional("invited", list)  # absent in data from before invitations
        if invited is None:
            invited = []
        if not all(isinstance(invitee, str) for invitee in invited):
            raise ValueError(f"{read.where}: invited must be usernames")
        return cls(
            id=read.get("id", str),
            company=read.get("company", str),
            type=read.enum("type", PartnerType),
            website=read.get("website", str),
            email=read.get("email", str),
            country=read.optional("country", str),
            status=read.enum("status", Status),
            manager=read.optional("manager", str),
            contacts=tuple(contacts),
            workgroup=read.optional("workgroup", str),
            steps=steps,
            applied_at=read.time("applied_at"),
            meeting_on=read.day("meeting_on"),
            goals_3m=read.optional("goals_3m", str),
            goals_1y=read.optional("goals_1y", str),
            signed=read.day("signed"),
            term_months=read.optional("term_months", int),
            support=read.optional("support", bool) is True,
            fee_paid=read.optional("fee_paid", bool),
            listing_url=read.optional("listing_url", str),
            listing_mentions_vendor=read.optional("listing_mentions_vendor", bool),
            training_on=read.day("training_on"),
            statistics_shared=read.optional("statistics_shared", bool),
            vendor_referenced=read.optional("vendor_referenced", bool),
            status_reason=read.optional("status_reason", str),
            invited=tuple(invited),
        )


def _record_doc(record: StepRecord) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "state": record.state.value,
        "at": None if record.at is None else _time_doc(record.at),
        "by": record.by,
    }
    if record.reason is not None:
        doc["reason"] = record.reason
    return doc


def _record(read: DocReader) -> StepRecord:
    at = read.optional("at", str)
    return StepRecord(
        state=read.enum("state", State),
        at=None if at is None else read.time("at"),
        by=read.optional("by", str),
        reason=read.optional("reason", str),
    )


def _time_doc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _day_doc(day: date | None) -> str | None:
    return None if day is None else day.isoformat()

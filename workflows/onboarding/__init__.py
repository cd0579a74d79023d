"""Onboarding (SPEC §1-§2): a partner's seven steps and its status, as a pure state machine.

`apply` makes a partner from an application; `decide(partner, event, by, now, zone)` returns
the partner after an event and the effects for the command layer to carry out (messages,
approval requests, the workgroup), or raises `RuleError` with a sentence for the user.
No I/O here: the clock comes in as `now` (aware) and local dates are taken in `zone`.

Contacts join by consent: `InviteContact` (by a contact or a manager) keeps the user in
`Partner.invited` and sends them an invitation; `AcceptInvitation` (by that user) makes them
a contact. Access follows status: a suspension takes the contacts out of the workgroup and
takes no new ones, a reinstatement brings them back, a removal takes them out for good.

The partner's status (`STATUS_FLOW` in `rules`):

```mermaid
stateDiagram-v2
    [*] --> applicant: Apply
    applicant --> onboarding: Approve application
    applicant --> rejected: Reject application
    rejected --> applicant: Reapply
    onboarding --> active: Approve contract
    active --> suspended: Suspend
    suspended --> active: Reinstate
    applicant --> removed: Remove
    onboarding --> removed: Remove
    active --> removed: Remove
    suspended --> removed: Remove
    rejected --> removed: Remove
    removed --> [*]
```

Each step's state. The partner sends the application, the goals (once both the 3-month and
the 1-year texts are there) and the listing; an account manager approves or rejects them.
The manager records the meeting, the contract and the training; the bot makes the
workgroup. A done meeting, contract or training can be approved again to correct its date
or terms.

```mermaid
stateDiagram-v2
    [*] --> todo
    todo --> submitted: partner sends (application, goals, listing)
    submitted --> submitted: partner sends a new version
    submitted --> done: Approve
    submitted --> rejected: Reject (reason)
    rejected --> submitted: partner sends again
    todo --> done: Approve (meeting, contract, training)
    todo --> done: WorkgroupCreated
    todo --> todo: WorkgroupFailed (reason) / Approve workgroup = try again
    done --> done: Approve again (meeting, contract, training: a correction)
```

The order of the steps (`STEP_RULES` in `rules`): an arrow is "must be done before".
Approving the contract makes the partner active and asks for the workgroup.

```mermaid
stateDiagram-v2
    application --> meeting
    application --> goals
    application --> listing
    meeting --> contract
    goals --> contract
    contract --> workgroup
    contract --> training
```
"""

from workflows.onboarding.events import (
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
    Message,
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
    APPLICATION_FIELDS,
    OPTIONAL_FIELDS,
    AttestKind,
    FieldError,
    Horizon,
    PartnerType,
    RuleError,
    check_field,
    check_url,
    check_username,
    missing_fields,
    new_partner_id,
    parse_attest_kind,
    parse_day,
    parse_horizon,
    parse_switch,
    parse_type,
    partner_ids,
    same_name,
    slug,
)
from workflows.onboarding.machine import TRANSITIONS, Transition, apply, decide
from workflows.onboarding.model import (
    STEPS,
    TRAINING_DAYS,
    Partner,
    State,
    Status,
    Step,
    StepRecord,
    fresh_steps,
    parse_step,
    state_name,
    status_name,
    step_name,
)
from workflows.onboarding.rules import STATUS_FLOW, STEP_RULES, Actor, StepRule, workgroup_name

__all__ = [
    "APPLICATION_FIELDS",
    "OPTIONAL_FIELDS",
    "STATUS_FLOW",
    "STEPS",
    "STEP_RULES",
    "TRAINING_DAYS",
    "TRANSITIONS",
    "AcceptInvitation",
    "Actor",
    "AddToWorkgroup",
    "Apply",
    "Approve",
    "Assign",
    "Attest",
    "AttestKind",
    "CreateWorkgroup",
    "Effect",
    "Event",
    "FieldError",
    "Horizon",
    "InviteContact",
    "Message",
    "Partner",
    "PartnerType",
    "Reapply",
    "Reinstate",
    "Reject",
    "Remove",
    "RemoveContact",
    "RemoveFromWorkgroup",
    "RequestApproval",
    "RuleError",
    "SendInvitation",
    "State",
    "Status",
    "Step",
    "StepRecord",
    "StepRule",
    "SubmitGoals",
    "SubmitListing",
    "Suspend",
    "TellManagers",
    "TellPartner",
    "Transition",
    "WorkgroupCreated",
    "WorkgroupFailed",
    "apply",
    "check_field",
    "check_url",
    "check_username",
    "decide",
    "fresh_steps",
    "missing_fields",
    "new_partner_id",
    "parse_attest_kind",
    "parse_day",
    "parse_horizon",
    "parse_step",
    "parse_switch",
    "parse_type",
    "partner_ids",
    "same_name",
    "slug",
    "state_name",
    "status_name",
    "step_name",
    "workgroup_name",
]

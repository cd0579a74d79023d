"""What can happen to a partner (events) and what the command layer must do after (effects).

Events carry what the user typed (strings), so the rules check every value once, in
`decide`. Effects are carried out after the new partner is stored. An effect's message is
for a reader other than the one who sent the event (the partner's contacts, the managers,
an invitee): it is a `Message`, a function that makes it in the language in force where it
is called, which the command layer calls under that reader's language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from workflows.onboarding.fields import AttestKind, Horizon
from workflows.onboarding.model import Step

# Events -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Apply:
    """A new application: use `apply`, not `decide` (there is no partner yet)."""

    company: str
    type: str
    website: str
    email: str
    country: str | None = None


@dataclass(frozen=True, slots=True)
class Reapply:
    """The application sent again by a contact, after a rejection (or while it waits)."""

    company: str
    type: str
    website: str
    email: str
    country: str | None = None


@dataclass(frozen=True, slots=True)
class Approve:
    """An account manager approves a step (for `workgroup`: tries to create it again)."""

    step: Step
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reject:
    """An account manager rejects a submitted step, with a reason shown to the partner."""

    step: Step
    reason: str


@dataclass(frozen=True, slots=True)
class SubmitGoals:
    horizon: Horizon
    text: str


@dataclass(frozen=True, slots=True)
class SubmitListing:
    """The page where the partner lists the vendor, and whether the bot found it there
    (None: the page could not be checked)."""

    url: str
    mentions_vendor: bool | None


@dataclass(frozen=True, slots=True)
class WorkgroupCreated:
    """The workgroup is the room `room_id`, called `name` (empty: the name asked for)."""

    room_id: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class WorkgroupFailed:
    reason: str


@dataclass(frozen=True, slots=True)
class Suspend:
    reason: str


@dataclass(frozen=True, slots=True)
class Reinstate:
    pass


@dataclass(frozen=True, slots=True)
class Remove:
    reason: str


@dataclass(frozen=True, slots=True)
class Assign:
    manager: str


@dataclass(frozen=True, slots=True)
class InviteContact:
    """A contact or an account manager asks `username` to become a contact; until they
    accept (`AcceptInvitation`), they are not one."""

    username: str


@dataclass(frozen=True, slots=True)
class AcceptInvitation:
    """The invited user (the event's sender) accepts: they become a contact."""


@dataclass(frozen=True, slots=True)
class RemoveContact:
    """A contact leaves or is taken out (or an invitation not accepted yet is withdrawn)."""

    username: str


@dataclass(frozen=True, slots=True)
class Attest:
    kind: AttestKind
    on: bool


Event = (
    Apply
    | Reapply
    | Approve
    | Reject
    | SubmitGoals
    | SubmitListing
    | WorkgroupCreated
    | WorkgroupFailed
    | Suspend
    | Reinstate
    | Remove
    | Assign
    | InviteContact
    | AcceptInvitation
    | RemoveContact
    | Attest
)

# Effects ------------------------------------------------------------------------------

# A message made in the language in force when it is called (`i18n.speaking`): what
# `engine.framework.Text` takes, so each reader gets it in their own language.
Message = Callable[[], str]


@dataclass(frozen=True, slots=True)
class RequestApproval:
    """To the account managers, with Approve/Reject buttons for `step`."""

    partner_id: str
    step: Step
    summary: Message


@dataclass(frozen=True, slots=True)
class TellPartner:
    """To the partner's contacts: the workgroup if any, else direct messages; `directly`:
    direct messages in any case (they are leaving the workgroup)."""

    text: Message
    directly: bool = False


@dataclass(frozen=True, slots=True)
class SendInvitation:
    """To `username`, in their direct messages with the bot: `text`, with a button that
    accepts the invitation (`/join <partner-id>`)."""

    username: str
    text: Message


@dataclass(frozen=True, slots=True)
class TellManagers:
    """To the partner's account manager (or the managers' room)."""

    text: Message


@dataclass(frozen=True, slots=True)
class CreateWorkgroup:
    """A private group `name` with `members`; report back WorkgroupCreated/WorkgroupFailed."""

    partner_id: str
    name: str
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AddToWorkgroup:
    """Invite users to the partner's existing workgroup (a new contact or manager)."""

    room_id: str
    usernames: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RemoveFromWorkgroup:
    """Take users out of the partner's workgroup (a removed contact, a former manager)."""

    room_id: str
    usernames: tuple[str, ...]


Effect = (
    RequestApproval
    | TellPartner
    | SendInvitation
    | TellManagers
    | CreateWorkgroup
    | AddToWorkgroup
    | RemoveFromWorkgroup
)

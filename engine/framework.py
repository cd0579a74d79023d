"""What a command is: a declarative spec, an async handler, and the context it is given.

A command module defines `SPEC = Command(...)` and its handler. The handler receives a
`Context` with everything it may touch (who, where, the arguments, a storage transaction,
the time, the settings, a way to reply) and imports no client and reads no global.
A refusal the user can fix is raised as `UsageError` (shown with the usage line) or
`Refused` (shown as it is); either way the transaction is dropped and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from chat.base import ChatActions, Incoming, Room, User
from engine.parsing import Args
from i18n import N_, _
from workflows.onboarding import FieldError, RuleError

if TYPE_CHECKING:
    from config import Settings
    from engine.registry import Registry
    from storage import Transaction
    from workflows.listing import ListingCheck
    from workflows.onboarding import Partner


class Role(StrEnum):
    ANYONE = "anyone"
    PARTNER = "partner"
    MANAGER = "manager"


ROLE_NAMES = {  # shown with `_()`: `Command.who`
    Role.ANYONE: N_("anyone"),
    Role.PARTNER: N_("partners"),
    Role.MANAGER: N_("account managers"),
}


class UsageError(Exception):
    """The arguments are wrong; the reply adds the command's usage and example."""


class Refused(Exception):
    """The command cannot be done as asked (not allowed, unknown partner, ...)."""


def refusal(err: RuleError) -> UsageError | Refused:
    """A workflow's refusal for the reply: a field written wrong shows the usage too."""
    return UsageError(str(err)) if isinstance(err, FieldError) else Refused(str(err))


Handler = Callable[["Context"], Awaitable[None]]
# A message for a reader other than the caller: a function that makes it, called under that
# reader's language (`i18n.speaking`). A plain string is already in the caller's language.
Text = str | Callable[[], str]


def render(text: Text) -> str:
    """The message `text` makes in the language in force."""
    return text if isinstance(text, str) else text()


class Languages(Protocol):
    """Whose language a message is written in (`engine.languages` has the real book)."""

    @property
    def default(self) -> str:
        """`PARTNERBOT_LANGUAGE`: the managers' room and anyone with no language known."""
        ...

    async def of_user(self, username: str) -> str:
        """The user's language: their `/language`, else their Rocket.Chat language, else
        the server's default, else `default`."""
        ...

    async def of_partner(self, partner: Partner) -> str:
        """The language of the partner's rooms: set by a contact's `/language`, else the
        applicant's."""
        ...


@dataclass(frozen=True)
class OneLanguage:
    """Everyone reads `default` (tests and tools that have no users to ask)."""

    default: str = "en"

    async def of_user(self, username: str) -> str:
        return self.default

    async def of_partner(self, partner: Partner) -> str:
        return self.default


# An example as shown in help and usage replies: the text, or, for one with dates in it,
# a function of today's local date that makes it (so that it never goes stale).
Example = str | Callable[[date], str]


class PageChecker(Protocol):
    """Fetches a partner's web page, safely, and says whether it mentions the vendor."""

    async def check(self, url: str) -> ListingCheck: ...


@dataclass(frozen=True)
class Command:
    """A chat command: its name, its help, who may use it, and its handler."""

    name: str
    summary: str  # marked with `N_()`; shown with `_()`, in the reader's language
    usage: str
    example: Example
    roles: frozenset[Role]
    handler: Handler
    options: frozenset[str] = frozenset()  # the key=value names it accepts
    # Called with the next plain message of the same user in the same room while the
    # handler's conversation (`Context.converse`) is open.
    answer: Handler | None = None
    # What `cancel` replies in that conversation, from its stored state (by default that
    # nothing was stored); one whose answers are stored as they come says what it kept.
    cancelled: Callable[[Mapping[str, Any]], str] | None = None
    # Its answers show a partner's data: typed in a room whose readers may not all see
    # them, it answers in the caller's DM (`engine.audience`). Only a command that shows
    # nothing of anyone (`/help`) says False.
    private: bool = True
    # The forms only account managers may use (`<partner-id> YYYY-MM reopen`) and their
    # example: help and usage replies show a manager these instead of `usage`.
    manager_usage: str | None = None
    manager_example: Example | None = None
    # Roles not offered it in /help although `roles` lets them run it (`/onboard`: managers).
    unlisted_for: frozenset[Role] = frozenset()

    def usage_line(self) -> str:
        return f"/{self.name} {self.usage}".rstrip()

    def usage_lines(self, roles: frozenset[Role] | None = None) -> list[str]:
        """The forms the holder of `roles` may use (every form when `roles` is None)."""
        if self.manager_usage is None:
            return [self.usage_line()]
        manager = f"/{self.name} {self.manager_usage}".rstrip()
        if roles is None or {Role.MANAGER, Role.PARTNER} <= roles:
            return [self.usage_line(), manager]
        return [manager] if Role.MANAGER in roles else [self.usage_line()]

    def example_on(self, today: date, roles: frozenset[Role] | None = None) -> str:
        """The example as shown on `today` (the local date of the injected clock), for a
        manager (`roles`) the manager's example when there is one."""
        example = self.example
        if self.manager_example is not None and self.usage_lines(roles) == self.usage_lines(
            frozenset({Role.MANAGER})
        ):
            example = self.manager_example
        return example if isinstance(example, str) else example(today)

    def listed_for(self, roles: frozenset[Role]) -> bool:
        """Whether /help offers it to the holder of `roles`."""
        return self.allows(roles) and not (self.unlisted_for & roles)

    def allows(self, roles: frozenset[Role]) -> bool:
        return Role.ANYONE in self.roles or bool(self.roles & roles)

    def who(self) -> str:
        """Who may use it, in the reader's language: `account managers and partners`."""
        names = [_(ROLE_NAMES[role]) for role in sorted(self.roles)]
        if len(names) == 1:
            return names[0]
        return _("{some} and {others}").format(some=", ".join(names[:-1]), others=names[-1])

    def only_for(self) -> str:
        """The refusal of a caller whose roles it does not allow."""
        return _("/{command} is for {who} only.").format(command=self.name, who=self.who())


@dataclass(frozen=True, slots=True)
class Caller:
    """The user behind a message and what they are to the program."""

    user: User
    roles: frozenset[Role]
    partner: str | None = None  # the partner id this user is a contact of


@dataclass(frozen=True, slots=True)
class Reply:
    """A message to send once the command's changes are stored."""

    room_id: str
    text: str
    thread: str | None = None
    attachments: tuple[Mapping[str, Any], ...] = ()
    # The message id, for a message that must be recognised whichever command stored it
    # (an announcement's copy: from the announcement and the room); else from the command's.
    id: str | None = None


CONVERSATIONS = "conversations"


@dataclass
class Context:
    """Everything a handler may use; replies are collected and sent after the commit.

    `conversation` holds what an open conversation stored (for an `answer` handler);
    `chat` does the few things beyond replying (a DM room, a room by name, a new group);
    `answer_in` is the caller's DM when the command's answers must not be shown in the
    room it was typed in (the dispatcher decides, `engine.audience`): replies and the
    conversation go there.
    """

    message: Incoming
    caller: Caller
    command: Command
    args: Args
    tx: Transaction
    now: datetime
    settings: Settings
    registry: Registry
    chat: ChatActions
    web: PageChecker
    bot: User
    conversation: Mapping[str, Any] | None = None
    replies: list[Reply] = field(default_factory=list)
    # Done after the command's changes and replies are stored (`after`).
    followups: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    answer_in: str | None = None
    languages: Languages = field(default_factory=OneLanguage)

    def converse(self, state: Mapping[str, Any]) -> None:
        """Open (or carry on) a conversation: the user's next plain message in this room
        goes to the command's `answer` handler, with `state` as `ctx.conversation`.
        The room is where the replies go (`reply_room`): the answers are asked for there."""
        self.tx.put(
            CONVERSATIONS,
            {
                "room": self.reply_room,
                "user": self.caller.user.username,
                "command": self.command.name,
                "state": dict(state),
                "at": self.now.isoformat(),
            },
        )

    def end_conversation(self) -> None:
        self.tx.delete(CONVERSATIONS, self.reply_room, self.caller.user.username)

    def send(
        self,
        room_id: str,
        text: str,
        attachments: Sequence[Mapping[str, Any]] = (),
        *,
        id: str | None = None,
    ) -> None:
        """Post in another room (after the commit, like a reply); `id`: see `Reply.id`."""
        self.replies.append(Reply(room_id, text, None, tuple(attachments), id))

    @property
    def room(self) -> Room:
        return self.message.room

    @property
    def reply_room(self) -> str:
        """The id of the room the replies go to: the command's own, or the caller's DM."""
        return self.room.id if self.answer_in is None else self.answer_in

    @property
    def today(self) -> date:
        """The local date of `now` in the configured time zone."""
        return self.now.astimezone(self.settings.timezone).date()

    def reply(self, text: str, attachments: Sequence[Mapping[str, Any]] = ()) -> None:
        """Answer in the room (and thread) the command came from, or in the caller's DM."""
        thread = self.message.thread if self.answer_in is None else None
        self.replies.append(Reply(self.reply_room, text, thread, tuple(attachments)))

    def after(self, action: Callable[[], Awaitable[None]]) -> None:
        """Do `action` once the command's changes and replies are stored, beside their
        delivery, so that the replies need not wait for it (a chart drawn and uploaded).
        Not stored: a bot that dies first does not do it, and a failure is only logged."""
        self.followups.append(action)

    def word(self, index: int, what: str) -> str:
        """The positional argument at `index`, or a `UsageError` naming what is missing:
        `what` is shown with `_()`, so a caller marks it with `N_()` (or translates it)."""
        if index >= len(self.args.words):
            raise UsageError(_("{what} is missing").format(what=_(what)))
        return self.args.words[index]

"""What the partner-program commands share: finding partners, storing them, and carrying
out the effects the onboarding rules ask for (messages, approval requests, the workgroup).

Not a command module (it has no SPEC): the commands import it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from chat.base import ChatError, NameTaken, RoomKind
from commands import channel
from engine.audience import managers_room
from engine.framework import Context, Refused, Role, Text, UsageError, refusal, render
from i18n import N_, _, day, speaking
from workflows.onboarding import (
    STEPS,
    AddToWorkgroup,
    CreateWorkgroup,
    Effect,
    Event,
    Partner,
    RemoveFromWorkgroup,
    RequestApproval,
    RuleError,
    SendInvitation,
    State,
    Status,
    Step,
    TellManagers,
    TellPartner,
    WorkgroupCreated,
    WorkgroupFailed,
    decide,
    state_name,
    status_name,
    step_name,
    workgroup_name,
)
from workflows.text import mention, quote

MARKS = {State.DONE: "✅", State.SUBMITTED: "⏳", State.REJECTED: "❌", State.TODO: "⬜"}
PARTNERS = "partners"
MEMBERS = "members"
WORKGROUP_NAMES_TRIED = 10  # partner-<id>, partner-<id>-2, ... partner-<id>-10
PARTNER_ID = N_("the partner id")  # what `ctx.word` says is missing
# What /suspend and /remove reply, a whole sentence a status (shown with `_()`).
NOW_IS = {
    Status.SUSPENDED: N_("{company} (`{id}`) is now suspended."),
    Status.REMOVED: N_("{company} (`{id}`) is now removed."),
}


def is_manager(ctx: Context) -> bool:
    return Role.MANAGER in ctx.caller.roles


async def find(ctx: Context, partner_id: str) -> Partner:
    """The partner `partner_id`, as the caller may see it.

    A partner's contact asking for another partner hears the same as for one that does
    not exist, so that nothing of it is revealed.
    """
    partner_id = partner_id.lower()
    doc = await ctx.tx.get(PARTNERS, partner_id)
    if doc is None or not (is_manager(ctx) or ctx.caller.partner == partner_id):
        raise Refused(
            _("There is no partner with the id {id} that you can see.").format(
                id=quote(partner_id, as_code=True)
            )
        )
    return Partner.from_doc(doc)


async def managed(ctx: Context, partner_id: str) -> Partner:
    """The partner `partner_id`, for an account manager to act on: every manager command
    that names a partner finds it here (or checks it with `check_manages`)."""
    partner = await find(ctx, partner_id)
    check_manages(ctx, partner)
    return partner


def check_manages(ctx: Context, partner: Partner) -> None:
    """The one check before a manager acts on a partner: a manager who is also one of its
    contacts (one listed in PARTNERBOT_MANAGERS after joining it, or from older data)
    decides nothing on it; another account manager does."""
    if not is_manager(ctx):
        raise Refused(_("Only account managers can do that."))
    if ctx.caller.partner == partner.id or partner.is_contact(ctx.caller.user.username):
        raise Refused(
            _("You are a contact of {company}: another account manager does that.").format(
                company=quote(partner.company)
            )
        )


def check_may_be_contact(ctx: Context, username: str) -> None:
    """Account managers and the bot are never a partner's contacts."""
    if username.lower() == ctx.bot.username.lower():
        raise Refused(_("I am the bot: I cannot be a contact of a partner."))
    if username.lower() in ctx.settings.managers:
        raise Refused(
            _(
                "{user} is an account manager: account managers cannot be contacts of a partner."
            ).format(user=f"@{username}")
        )


async def own(ctx: Context) -> Partner:
    """The caller's own partner."""
    if ctx.caller.partner is None:
        raise Refused(_("You are not a contact of any partner yet. Apply with /onboard."))
    return await find(ctx, ctx.caller.partner)


async def target(ctx: Context, index: int = 0) -> Partner:
    """The partner named by the word at `index` (managers), or the caller's own."""
    if index < len(ctx.args.words):
        return await find(ctx, ctx.args.words[index])
    if is_manager(ctx) and ctx.caller.partner is None:
        here = await workgroup_partner(ctx)
        if here is not None:
            return here
        raise Refused(_("Name the partner: see /partners for the ids."))
    return await own(ctx)


async def workgroup_partner(ctx: Context) -> Partner | None:
    """The partner whose workgroup this room is (for a manager who names none there)."""
    if ctx.room.kind is RoomKind.DIRECT:
        return None
    async for doc in ctx.tx.scan(PARTNERS):
        if doc.get("workgroup") == ctx.room.id:
            return Partner.from_doc(doc)
    return None


def store(ctx: Context, before: Partner | None, after: Partner, what: str) -> None:
    """Put the new version of the partner, and keep the contacts' index in step (keyed by
    the lower-cased username, as the dispatcher looks callers up)."""
    ctx.tx.put(PARTNERS, after.to_doc(), what=what)
    old = {name.lower() for name in before.contacts} if before is not None else set()
    new = {name.lower() for name in after.contacts}
    for username in sorted(old - new):
        ctx.tx.delete(MEMBERS, username, what=f"{username} left {after.id}")
    for username in sorted(new - old):
        ctx.tx.put(
            MEMBERS,
            {"username": username, "partner": after.id},
            what=f"{username} joined {after.id}",
        )


async def act(ctx: Context, partner: Partner, event: Event, what: str) -> Partner:
    """Apply `event` by the caller, store the result and carry out its effects."""
    try:
        after, effects = decide(
            partner, event, ctx.caller.user.username, ctx.now, ctx.settings.timezone
        )
    except RuleError as err:
        raise refusal(err) from None
    store(ctx, partner, after, what)
    after = await carry_out(ctx, after, effects)
    failures = await channel.follow(ctx, partner, after)  # the partners' channel
    if failures:
        await tell_managers(ctx, after, channel.failed(after, failures))
    return after


async def change_status(ctx: Context, event: Callable[[str], Event], what: str) -> None:
    """/suspend and /remove: the partner named first, then the reason, which it is told."""
    partner = await managed(ctx, ctx.word(0, PARTNER_ID))
    reason = ctx.args.rest(1).strip()
    if not reason:
        raise UsageError(_("the reason is missing (the partner is told it)"))
    after = await act(ctx, partner, event(reason), what)
    now = NOW_IS.get(after.status, N_("{company} (`{id}`) is now {status}."))
    ctx.reply(
        _(now).format(company=quote(after.company), id=after.id, status=status_name(after.status))
    )


async def carry_out(ctx: Context, partner: Partner, effects: list[Effect]) -> Partner:
    """Turn the rules' effects into messages (sent after the commit) and chat actions."""
    for effect in effects:
        match effect:
            case TellPartner(text=text, directly=directly):
                await tell_partner(ctx, partner, text, directly=directly)
            case SendInvitation(username=username, text=text):
                await _invite(ctx, partner, username, text)
            case TellManagers(text=text):
                await tell_managers(ctx, partner, text)
            case RequestApproval(step=step, summary=summary):
                await tell_managers(
                    ctx,
                    partner,
                    summary,
                    partial(approval_buttons, ctx.bot.username, partner.id, step),
                )
            case CreateWorkgroup(members=members):
                partner = await _make_workgroup(ctx, partner, members)
            case AddToWorkgroup(room_id=room_id, usernames=usernames):
                await _change_members(ctx, partner, ctx.chat.add_members, room_id, usernames)
            case RemoveFromWorkgroup(room_id=room_id, usernames=usernames):
                await _change_members(ctx, partner, ctx.chat.remove_members, room_id, usernames)
    return partner


async def _make_workgroup(ctx: Context, partner: Partner, members: tuple[str, ...]) -> Partner:
    if partner.manager is not None and partner.manager_among(ctx.settings.managers) is None:
        members = tuple(name for name in members if name != partner.manager)  # no longer one
    try:
        event = await _new_workgroup(ctx, partner, members)
    except ChatError as err:
        event = WorkgroupFailed(str(err))
    after, effects = decide(partner, event, ctx.bot.username, ctx.now, ctx.settings.timezone)
    store(ctx, partner, after, f"workgroup of {partner.id}: {type(event).__name__}")
    after = await carry_out(ctx, after, effects)
    if isinstance(event, WorkgroupCreated):
        with speaking(await ctx.languages.of_partner(after)):
            ctx.send(event.room_id, checklist(after, ctx.now, ctx.settings.timezone))
    return after


async def _new_workgroup(ctx: Context, partner: Partner, members: tuple[str, ...]) -> Event:
    """The partner's private group, under the first of its names (`workgroup_name`) that is
    free: a room that the bot did not make, or that is another partner's workgroup, is
    never taken over, whoever is in it."""
    for number in range(1, WORKGROUP_NAMES_TRIED + 1):
        name = workgroup_name(partner.id, number)
        try:
            room_id = await ctx.chat.create_group(name, members)
        except NameTaken:
            continue
        if not await _workgroup_of_another(ctx, partner, room_id):
            return WorkgroupCreated(room_id, name)
    first, last = workgroup_name(partner.id), workgroup_name(partner.id, WORKGROUP_NAMES_TRIED)
    return WorkgroupFailed(f"{first} to {last} are all taken by other rooms")


async def _workgroup_of_another(ctx: Context, partner: Partner, room_id: str) -> bool:
    """Whether `room_id` is another partner's workgroup (its name may be this partner's
    next one: `partner-acme-2` for acme, when acme-2 is a partner too)."""
    async for doc in ctx.tx.scan(PARTNERS, where=lambda doc: doc.get("workgroup") == room_id):
        if doc["id"] != partner.id:
            return True
    return False


async def _change_members(
    ctx: Context,
    partner: Partner,
    change: Callable[[str, Sequence[str]], Awaitable[None]],
    room_id: str,
    usernames: tuple[str, ...],
) -> None:
    """Keep the workgroup's members in step, each user on their own (one that fails does
    not keep the others in or out); a failure is the managers' to fix by hand."""
    failures = []
    for username in usernames:
        try:
            await change(room_id, (username,))
        except ChatError as err:
            failures.append(str(err))
    if failures:
        company, failed = quote(partner.company), "; ".join(failures)
        await tell_managers(
            ctx,
            partner,
            lambda: _("{company}'s workgroup: {failures}").format(company=company, failures=failed),
        )


async def _invite(ctx: Context, partner: Partner, username: str, text: Text) -> None:
    """The invitation, in the invitee's direct messages (in their language), with a button
    that accepts it."""
    try:
        room_id = await ctx.chat.direct_room(username)
    except ChatError as err:
        raise Refused(
            _("I could not write to {user}: {error}").format(user=mention(username), error=err)
        ) from None
    with speaking(await ctx.languages.of_user(username)):
        ctx.send(room_id, render(text), join_button(ctx.bot.username, partner.id))


async def tell_partner(
    ctx: Context, partner: Partner, text: Text, *, directly: bool = False
) -> None:
    """In the partner's workgroup (in the partner's language), or else (or `directly`) in a
    DM to each contact (in theirs); not in the room where a contact just did it themselves
    (the command's reply says it there)."""
    if partner.workgroup is not None and not directly:
        rooms = [(partner.workgroup, await ctx.languages.of_partner(partner))]
    else:
        rooms = [
            (await ctx.chat.direct_room(username), await ctx.languages.of_user(username))
            for username in partner.contacts
        ]
    own_doing = partner.is_contact(ctx.caller.user.username)
    for room_id, language in rooms:
        if not (own_doing and room_id == ctx.reply_room):
            with speaking(language):
                ctx.send(room_id, render(text))


async def tell_managers(
    ctx: Context,
    partner: Partner,
    text: Text,
    attachments: Attachments | Callable[[], Attachments] = (),
) -> None:
    """In `PARTNERBOT_MANAGER_ROOM` (in `PARTNERBOT_LANGUAGE`), or else a DM to the
    partner's manager (or all AMs, when it has none or its manager is no longer one), each
    in their own language."""
    room_id = await managers_room(ctx.chat, ctx.settings)
    if room_id is not None:
        with speaking(ctx.languages.default):
            ctx.send(room_id, render(text), _buttons(attachments))
        return
    manager = partner.manager_among(ctx.settings.managers)  # none: no longer a manager
    managers = [manager] if manager else sorted(ctx.settings.managers)
    for username in managers:
        room_id = await ctx.chat.direct_room(username)
        with speaking(await ctx.languages.of_user(username)):
            ctx.send(room_id, render(text), _buttons(attachments))


Attachments = tuple[dict[str, Any], ...]


def _buttons(attachments: Attachments | Callable[[], Attachments]) -> Attachments:
    """The attachments (their buttons' labels) made in the language in force."""
    return attachments if isinstance(attachments, tuple) else attachments()


def approval_buttons(bot: str, partner_id: str, step: str) -> tuple[dict[str, Any], ...]:
    """Approve/Reject buttons: each sends the mention form of the command when clicked. The
    labels are in the language in force: make them under the reader's (`speaking`)."""
    return (
        {
            "button_alignment": "horizontal",
            "actions": [
                {
                    "type": "button",
                    "text": _("Approve"),
                    "msg_in_chat_window": True,
                    "msg": f"@{bot} approve {partner_id} {step}",
                },
                {
                    "type": "button",
                    "text": _("Reject"),
                    "msg_in_chat_window": True,
                    "msg": f"@{bot} reject {partner_id} {step} ",
                },
            ],
        },
    )


def join_button(bot: str, partner_id: str) -> tuple[dict[str, Any], ...]:
    """A Join button (as `approval_buttons`): it sends the mention form of /join."""
    return (
        {
            "button_alignment": "horizontal",
            "actions": [
                {
                    "type": "button",
                    "text": _("Join"),
                    "msg_in_chat_window": True,
                    "msg": f"@{bot} join {partner_id}",
                },
            ],
        },
    )


def checklist(partner: Partner, now: datetime, zone: ZoneInfo) -> str:
    """The onboarding checklist as a chat message, in the language in force. The yearly
    fee is not in it: it needs the fees recorded with /fee (`compliance.fee_status`), which
    /status adds.

    The partner's id is not shown before the application is approved: an applicant whose
    id is `bobco-2` would learn that another partner has that name (the managers, who
    decide on the application, are told which in the approval request)."""
    applying = partner.status in (Status.APPLICANT, Status.REJECTED)
    values = {
        "company": quote(partner.company),
        "id": partner.id,
        "type": partner.type.value,  # a keyword (`type=hosting`): not translated
        "status": status_name(partner.status),
        "manager": partner.manager,
    }
    if applying and partner.manager:
        head = _("*{company}* ({type}): {status}, account manager @{manager}")
    elif applying:
        head = _("*{company}* ({type}): {status}")
    elif partner.manager:
        head = _("*{company}* (`{id}`, {type}): {status}, account manager @{manager}")
    else:
        head = _("*{company}* (`{id}`, {type}): {status}")
    lines = [head.format(**values)]
    if partner.status_reason:
        lines.append(_("Reason: {reason}").format(reason=quote(partner.status_reason)))
    for number, step in enumerate(STEPS, start=1):
        lines.append(
            f"{MARKS[partner.steps[step].state]} {number}. {_step_line(partner, step, zone)}"
        )
    due = partner.training_due()
    if due is not None and partner.steps[Step.TRAINING].state is not State.DONE:
        today = now.astimezone(zone).date()
        if today > due:
            lines.append(_("Training due by {day} (late).").format(day=day(due)))
        else:
            lines.append(_("Training due by {day}.").format(day=day(due)))
    flags = []
    if partner.statistics_shared is not True:
        flags.append(_("statistics sharing not attested (/attest statistics on)"))
    if partner.vendor_referenced is not True:
        flags.append(_("vendor reference not attested (/attest reference on)"))
    if flags:
        lines.append(_("Compliance: {flags}.").format(flags="; ".join(flags)))
    return "\n".join(lines)


def _step_line(partner: Partner, step: Step, zone: ZoneInfo) -> str:
    """A step of the checklist after its number: its name, state, when and by whom."""
    record = partner.steps[step]
    values = {"step": step_name(step), "state": state_name(record.state), "user": record.by}
    if record.at is not None:
        local = record.at.astimezone(zone)
        values["time"] = f"{day(local.date())} {local:%H:%M}"
    if record.at is not None and record.by:
        line = _("{step}: {state} on {time} by @{user}").format(**values)
    elif record.at is not None:
        line = _("{step}: {state} on {time}").format(**values)
    elif record.by:
        line = _("{step}: {state} by @{user}").format(**values)
    else:
        line = _("{step}: {state}").format(**values)
    dated = _DATED.get(step)
    if dated is not None and record.state is State.DONE:
        field, text = dated
        when = getattr(partner, field)
        if when is not None:
            line += "; " + _(text).format(day=day(when))
    if record.reason:
        line += f" ({quote(record.reason)})"
    return line


# The steps whose approval records a date of its own (`on=`, `signed=`), shown beside when
# the approval was recorded: the partner field and how the checklist says it.
_DATED = {
    Step.MEETING: ("meeting_on", N_("the meeting was held on {day}")),
    Step.CONTRACT: ("signed", N_("signed on {day}")),
    Step.TRAINING: ("training_on", N_("the training was held on {day}")),
}

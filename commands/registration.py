"""/registration: deal registration. A prospect in a filed monthly report registers its
client for the partner (`on_filing`, called by /report in the filing's transaction);
account managers see who holds a client and award it; a partner sees only its own.

The rules are in `workflows.registration`. Registrations are stored by the client's
normalised name (`REGISTRATIONS`), so a filing reads only the documents of its own clients.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from commands import program
from engine.audience import managers_room
from engine.framework import Command, Context, Refused, Role, Text, UsageError, render
from i18n import N_, _, day, ngettext, speaking
from workflows import registration as rules
from workflows.onboarding import Partner, Status
from workflows.registration import (
    Conflict,
    Registration,
    Reported,
    award,
    clients,
    normalise,
    own,
)
from workflows.reporting import Entry, Prospect, Report, local_day
from workflows.text import quote

REGISTRATIONS = "registrations"
AWARD = "award"
LISTED_MAX = 50  # registrations a list shows


async def registration(ctx: Context) -> None:
    """Shows who holds a client's registration (managers) or the caller's own (partners);
    `award` gives it to a partner (managers)."""
    words = list(ctx.args.words)
    lowered = [word.lower() for word in words]
    target: str | None = None
    if AWARD in lowered[1:]:
        at = len(lowered) - 1 - lowered[::-1].index(AWARD)
        if len(words) - at != 2:
            raise UsageError(
                _("name the partner to award it to: `/registration <client> award <partner-id>`")
            )
        target, words = words[-1], words[:at]
    name = " ".join(words)
    if target is not None:
        if not program.is_manager(ctx):
            raise Refused(_("Only account managers award a deal registration."))
        await _award(ctx, name, target)
    elif not name:
        await _list(ctx)
    else:
        await _show(ctx, name)


def _key(name: str) -> str:
    """The client's key, or a usage error when the name has no letter or digit."""
    key = normalise(name)
    if not key:
        raise UsageError(
            _("{client} is not a client's name").format(client=quote(name, as_code=True))
        )
    return key


async def _stored(ctx: Context, key: str) -> Registration | None:
    doc = await ctx.tx.get(REGISTRATIONS, key)
    return None if doc is None else Registration.from_doc(doc)


async def _show(ctx: Context, name: str) -> None:
    key = _key(name)
    held = await _stored(ctx, key)
    today = ctx.today
    if not program.is_manager(ctx):
        partner = await program.own(ctx)
        if held is None or held.partner != partner.id or not held.active(today):
            # the same answer for another partner's client as for one nobody holds
            raise Refused(
                _("You hold no deal registration for {client}.").format(client=quote(name))
            )
        ctx.reply(
            _("You hold the deal registration for {client} until {until}.").format(
                client=quote(held.name), until=day(held.until)
            )
        )
        return
    if held is None:
        raise Refused(_("No partner has registered {client}.").format(client=quote(name)))
    company = await _company(ctx, held.partner)
    values = {
        "client": quote(held.name),
        "company": company,
        "id": held.partner,
        "since": day(held.since),
        "until": day(held.until),
    }
    if held.active(today):
        line = _("{client} is registered to {company} (`{id}`) from {since} until {until}.")
    else:
        line = _("{client} was registered to {company} (`{id}`) until {until}; it has expired.")
    lines = [line.format(**values)]
    if held.awarded_by is not None:
        lines.append(_("Awarded by {who}.").format(who=f"@{held.awarded_by}"))
    ctx.reply("\n".join(lines))


async def _list(ctx: Context) -> None:
    today = ctx.today
    days = ctx.settings.registration_days
    if program.is_manager(ctx):
        held = [
            Registration.from_doc(doc)
            async for doc in ctx.tx.scan(REGISTRATIONS)
            if Registration.from_doc(doc).active(today)
        ]
        if not held:
            ctx.reply(_("No client is registered to a partner now."))
            return
        held.sort(key=lambda registration: (registration.until, registration.client))
        lines = [_("Deal registrations that count today, soonest to expire first:")]
        for shown in held[:LISTED_MAX]:
            lines.append(
                _("• {client}: `{id}` until {until}").format(
                    client=quote(shown.name), id=shown.partner, until=day(shown.until)
                )
            )
        if len(held) > LISTED_MAX:
            more = len(held) - LISTED_MAX
            lines.append(
                ngettext(
                    "… and {n} more; `/registration <client>` shows one.",
                    "… and {n} more; `/registration <client>` shows one.",
                    more,
                ).format(n=more)
            )
        ctx.reply("\n".join(lines))
        return
    partner = await program.own(ctx)
    mine = own(
        [
            Registration.from_doc(doc)
            async for doc in ctx.tx.scan(
                REGISTRATIONS, where=lambda doc: doc.get("partner") == partner.id
            )
        ],
        partner.id,
        today,
    )
    if not mine:
        ctx.reply(
            _(
                "You hold no deal registration now. A prospect in a filed monthly report "
                "registers its client for you for {days} days."
            ).format(days=days)
        )
        return
    lines = [_("Your deal registrations:")]
    for shown in mine[:LISTED_MAX]:
        lines.append(
            _("• {client} until {until}").format(client=quote(shown.name), until=day(shown.until))
        )
    ctx.reply("\n".join(lines))


async def _award(ctx: Context, name: str, target_id: str) -> None:
    """A manager gives the client's registration to a partner, moving or confirming it."""
    partner = await program.managed(ctx, target_id)
    key = _key(name)
    held = await _stored(ctx, key)
    if held is None:
        raise Refused(_("No partner has registered {client}.").format(client=quote(name)))
    if partner.status is not Status.ACTIVE:
        raise Refused(
            _(
                "{company} (`{id}`) is not active: only an active partner holds a registration."
            ).format(company=quote(partner.company), id=partner.id)
        )
    previous: Partner | None = None
    if held.partner != partner.id:
        doc = await ctx.tx.get(program.PARTNERS, held.partner)
        if doc is not None:
            previous = Partner.from_doc(doc)
            program.check_manages(ctx, previous)  # taking it away is deciding on it too
    by = ctx.caller.user.username
    awarded = award(held, partner.id, by, ctx.today, ctx.settings.registration_days)
    ctx.tx.put(REGISTRATIONS, awarded.to_doc(), what=f"registration {key}: awarded to {partner.id}")
    client, until = quote(awarded.name), day(awarded.until)
    ctx.reply(
        _("{client} is registered to {company} (`{id}`) until {until}.").format(
            client=client, company=quote(partner.company), id=partner.id, until=until
        )
    )
    moved = held.partner != partner.id

    def told() -> str:
        if moved:
            return _("An account manager registered {client} to you until {until}.").format(
                client=client, until=day(awarded.until)
            )
        return _(
            "An account manager confirmed your deal registration for {client} until {until}."
        ).format(client=client, until=day(awarded.until))

    await program.tell_partner(ctx, partner, told)
    if previous is not None and held.active(ctx.today):
        await program.tell_partner(
            ctx,
            previous,
            lambda: _(
                "An account manager decided that your deal registration for {client} no "
                "longer holds."
            ).format(client=client),
        )


async def on_filing(ctx: Context, report: Report) -> None:
    """Register the prospects of a report just filed, in the filing's transaction, and tell
    the managers of each client another partner holds (once per pair and client)."""
    entries: list[Entry] = [*report.prospects, *report.deals]
    reported = clients(Reported(entry.client, isinstance(entry, Prospect)) for entry in entries)
    if not reported or report.submitted_at is None:
        return
    held = {key: await _stored(ctx, key) for key in reported}
    filed_on = local_day(report.submitted_at, ctx.settings.timezone)
    outcome = rules.on_filing(
        report.partner, reported, held, filed_on, ctx.settings.registration_days
    )
    for changed in outcome.changed:
        ctx.tx.put(
            REGISTRATIONS,
            changed.to_doc(),
            what=f"registration {changed.client}: report {report.month} of {report.partner}",
        )
    for conflict in outcome.conflicts:
        await _notice(ctx, conflict, str(report.month))


async def _notice(ctx: Context, conflict: Conflict, month: str) -> None:
    """One notice to the managers naming both partners and the client, with a button to
    award it to each."""
    held = conflict.held
    holder = await _partner(ctx, held.partner)
    other = await _partner(ctx, conflict.other)
    values = {
        "client": quote(held.name),
        "holder": quote(holder.company),
        "holder_id": holder.id,
        "other": quote(other.company),
        "other_id": other.id,
        "name": quote(conflict.name),
        "month": month,
        "key": held.client,
    }

    def text() -> str:
        shown = {**values, "until": day(held.until)}  # the date in the reader's language
        if conflict.prospect:
            reported = _(
                "{other} (`{other_id}`) reported {name} as a prospect in its report for {month}."
            )
        else:
            reported = _(
                "{other} (`{other_id}`) reported {name} as a deal in its report for {month}."
            )
        return "\n".join(
            [
                _(
                    "Deal registration: {client} is registered to {holder} (`{holder_id}`) "
                    "until {until}."
                ).format(**shown),
                reported.format(**shown),
                _(
                    "Neither partner was told. Decide with "
                    '`/registration "{key}" award <partner-id>`.'
                ).format(**shown),
            ]
        )

    await _tell_managers_of(ctx, (holder, other), text, held.client)


async def _tell_managers_of(
    ctx: Context, partners: Sequence[Partner], text: Text, key: str
) -> None:
    """As `program.tell_managers`, once for all of `partners`: in the managers' room, or a
    DM to each of their managers (every manager for one that has none), each told once."""
    if await managers_room(ctx.chat, ctx.settings) is not None:
        with speaking(ctx.languages.default):
            buttons = _award_buttons(ctx.bot.username, key, partners)
        await program.tell_managers(ctx, partners[0], text, buttons)
        return
    managers: set[str] = set()
    for partner in partners:
        manager = partner.manager_among(ctx.settings.managers)
        managers |= {manager} if manager else set(ctx.settings.managers)
    for username in sorted(managers):
        room_id = await ctx.chat.direct_room(username)
        with speaking(await ctx.languages.of_user(username)):
            ctx.send(room_id, render(text), _award_buttons(ctx.bot.username, key, partners))


def _award_buttons(bot: str, key: str, partners: Sequence[Partner]) -> tuple[dict[str, Any], ...]:
    """A button a partner: it sends the mention form of the award (as the approval buttons);
    the key is letters, digits and spaces, safe in double quotes."""
    return (
        {
            "button_alignment": "horizontal",
            "actions": [
                {
                    "type": "button",
                    "text": _("Award to {id}").format(id=partner.id),
                    "msg_in_chat_window": True,
                    "msg": f'@{bot} registration "{key}" award {partner.id}',
                }
                for partner in partners
            ],
        },
    )


async def _partner(ctx: Context, partner_id: str) -> Partner:
    doc = await ctx.tx.get(program.PARTNERS, partner_id)
    if doc is None:
        raise ValueError(f"registration names partner {partner_id!r}, which is not stored")
    return Partner.from_doc(doc)


async def _company(ctx: Context, partner_id: str) -> str:
    return quote((await _partner(ctx, partner_id)).company)


SPEC = Command(
    name="registration",
    summary=N_(
        "deal registration: the clients your prospects registered for you; managers see "
        "who holds a client and award it"
    ),
    usage="[<client>]",
    example='/registration "Foo Corp"',
    manager_usage="[<client> [award <partner-id>]]",
    manager_example='/registration "Foo Corp" award acme-hosting',
    roles=frozenset({Role.PARTNER, Role.MANAGER}),
    handler=registration,
)

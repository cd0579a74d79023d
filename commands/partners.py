"""/partners: one line a partner, for the account managers."""

from __future__ import annotations

from commands import program
from commands.framework import Command, Context, Role, UsageError
from workflows.onboarding import Partner, PartnerType, RuleError, Status, parse_type

MAX_LINES = 50  # a chat message has room for about this many


async def partners(ctx: Context) -> None:
    """Lists the partners, optionally only those of one status or type."""
    if len(ctx.args.words) > 1:
        raise UsageError("give at most one status or type")
    wanted = _filter(ctx.args.words[0]) if ctx.args.words else None
    found = sorted(
        [
            doc
            async for doc in ctx.tx.scan(program.PARTNERS)
            if wanted is None or wanted in (doc["status"], doc["type"])
        ],
        key=lambda doc: doc["id"],
    )
    if not found:
        ctx.reply("No partners" + (f" that are {wanted}." if wanted else " yet."))
        return
    lines = [_line(Partner.from_doc(doc), ctx) for doc in found[:MAX_LINES]]
    if len(found) > MAX_LINES:
        lines.append(f"... and {len(found) - MAX_LINES} more: narrow it with a status or type.")
    ctx.reply("\n".join(lines))


def _filter(text: str) -> str:
    lowered = text.lower()
    if lowered in set(Status):
        return lowered
    try:
        return str(parse_type(lowered))
    except RuleError:
        raise UsageError(
            f"{text!r} is neither a status ({', '.join(Status)}) nor a type "
            f"({', '.join(PartnerType)})"
        ) from None


def _line(partner: Partner, ctx: Context) -> str:
    step = partner.next_step()
    due = partner.training_due()
    late = ""
    if (
        due is not None
        and step is not None
        and ctx.now.astimezone(ctx.settings.timezone).date() > due
    ):
        late = ", training late"
    return (
        f"`{partner.id}` {partner.company}, {partner.type}, {partner.status}, "
        f"next: {step or 'all done'}{late}"
    )


SPEC = Command(
    name="partners",
    summary="one line a partner: id, company, type, status, next step, what is late",
    usage="[status or type]",
    example="/partners onboarding",
    roles=frozenset({Role.MANAGER}),
    handler=partners,
)

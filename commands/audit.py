"""/audit: an account manager reads a partner's last audit entries (who, what, when)."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

from commands import program
from commands.framework import Command, Context, Role, UsageError
from workflows.audit import AUDIT_DEFAULT, AUDIT_MAX, AuditError, concerns, line, parse_count
from workflows.text import quote


async def audit(ctx: Context) -> None:
    """Shows the partner's last n audit entries (default 10, at most 100), oldest first."""
    partner = await program.managed(ctx, ctx.word(0, "the partner id"))
    if len(ctx.args.words) > 2:
        raise UsageError(f"unexpected {ctx.args.words[2]!r}")
    try:
        count = parse_count(ctx.args.words[1] if len(ctx.args.words) == 2 else None)
    except AuditError as err:
        raise UsageError(str(err)) from None
    last: deque[Mapping[str, Any]] = deque(maxlen=count)
    async for entry in ctx.tx.audit():
        if concerns(entry, partner.id):
            last.append(entry)
    if not last:
        ctx.reply(f"Nothing in the audit trail of {quote(partner.company)} (`{partner.id}`) yet.")
        return
    zone = ctx.settings.timezone
    title = f"The last {len(last)} audit entries of {quote(partner.company)} (`{partner.id}`):"
    ctx.reply("\n".join([title, *(line(entry, zone) for entry in last)]))


SPEC = Command(
    name="audit",
    summary=(
        f"a partner's last audit entries: who changed what, when (default {AUDIT_DEFAULT}, "
        f"at most {AUDIT_MAX})"
    ),
    usage="<partner-id> [n]",
    example="/audit acme-hosting 20",
    roles=frozenset({Role.MANAGER}),
    handler=audit,
)

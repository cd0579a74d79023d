"""/audit: an account manager reads a partner's last audit entries (who, what, when)."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

from commands import program
from engine.framework import Command, Context, Role, UsageError
from i18n import N_, _, ngettext
from workflows.audit import AuditError, concerns, line, parse_count
from workflows.text import quote


async def audit(ctx: Context) -> None:
    """Shows the partner's last n audit entries (default 10, at most 100), oldest first."""
    partner = await program.managed(ctx, ctx.word(0, program.PARTNER_ID))
    if len(ctx.args.words) > 2:
        raise UsageError(_("unexpected {word}").format(word=quote(ctx.args.words[2], as_code=True)))
    try:
        count = parse_count(ctx.args.words[1] if len(ctx.args.words) == 2 else None)
    except AuditError as err:
        raise UsageError(str(err)) from None
    last: deque[Mapping[str, Any]] = deque(maxlen=count)
    async for entry in ctx.tx.audit():
        if concerns(entry, partner.id):
            last.append(entry)
    if not last:
        ctx.reply(
            _("Nothing in the audit trail of {company} (`{id}`) yet.").format(
                company=quote(partner.company), id=partner.id
            )
        )
        return
    zone = ctx.settings.timezone
    title = ngettext(
        "The last {n} audit entry of {company} (`{id}`):",
        "The last {n} audit entries of {company} (`{id}`):",
        len(last),
    ).format(n=len(last), company=quote(partner.company), id=partner.id)
    ctx.reply("\n".join([title, *(line(entry, zone) for entry in last)]))


SPEC = Command(
    name="audit",
    # The numbers are AUDIT_DEFAULT and AUDIT_MAX (a test checks), written out for the
    # catalogs, which take no f-string.
    summary=N_("a partner's last audit entries: who changed what, when (default 10, at most 100)"),
    usage="<partner-id> [n]",
    example="/audit acme-hosting 20",
    roles=frozenset({Role.MANAGER}),
    handler=audit,
)

"""/attest: the open-source values checked at each quarterly review."""

from __future__ import annotations

from commands import program
from commands.framework import Command, Context, Role, UsageError
from workflows.onboarding import Attest, RuleError, parse_attest_kind, parse_switch
from workflows.text import quote

KINDS = {
    "statistics": '"share the statistics" is on in all your projects',
    "reference": "the vendor is referenced on all your projects",
}


async def attest(ctx: Context) -> None:
    """Records that statistics sharing or the vendor reference is on (or off)."""
    if len(ctx.args.words) > 2:
        raise UsageError(f"unexpected {quote(ctx.args.words[2], as_code=True)}")
    try:
        kind = parse_attest_kind(ctx.word(0, "statistics or reference"))
        on = parse_switch(ctx.word(1, "on or off"))
    except RuleError as err:
        raise UsageError(str(err)) from None
    partner = await program.own(ctx)
    await program.act(ctx, partner, Attest(kind, on), f"attested {kind} {'on' if on else 'off'}")
    ctx.reply(f"Noted: {KINDS[kind]}." if on else f"Noted: {kind} is off.")


SPEC = Command(
    name="attest",
    summary="attest the open-source values: statistics sharing and the vendor reference",
    usage="statistics|reference on|off",
    example="/attest statistics on",
    roles=frozenset({Role.PARTNER}),
    handler=attest,
)

"""/attest: the open-source values checked at each quarterly review."""

from __future__ import annotations

from commands import program
from engine.framework import Command, Context, Role, UsageError
from i18n import N_, _
from workflows.onboarding import Attest, RuleError, parse_attest_kind, parse_switch
from workflows.text import quote

NOTED_ON = {  # shown with _()
    "statistics": N_('Noted: "share the statistics" is on in all your projects.'),
    "reference": N_("Noted: the vendor is referenced on all your projects."),
}
NOTED_OFF = {
    "statistics": N_("Noted: statistics is off."),
    "reference": N_("Noted: reference is off."),
}


async def attest(ctx: Context) -> None:
    """Records that statistics sharing or the vendor reference is on (or off)."""
    if len(ctx.args.words) > 2:
        raise UsageError(_("unexpected {word}").format(word=quote(ctx.args.words[2], as_code=True)))
    try:
        kind = parse_attest_kind(ctx.word(0, _("statistics or reference")))
        on = parse_switch(ctx.word(1, _("on or off")))
    except RuleError as err:
        raise UsageError(str(err)) from None
    partner = await program.own(ctx)
    await program.act(ctx, partner, Attest(kind, on), f"attested {kind} {'on' if on else 'off'}")
    ctx.reply(_(NOTED_ON[kind]) if on else _(NOTED_OFF[kind]))


SPEC = Command(
    name="attest",
    summary=N_("attest the open-source values: statistics sharing and the vendor reference"),
    usage="statistics|reference on|off",
    example="/attest statistics on",
    roles=frozenset({Role.PARTNER}),
    handler=attest,
)

"""/reject: an account manager rejects a submitted step, with the reason."""

from __future__ import annotations

from commands import program
from commands.approve import parse_step
from engine.framework import Command, Context, Refused, Role, UsageError, refusal
from i18n import N_, _
from workflows.onboarding import Partner, Reject, RuleError, Step, decide, step_name
from workflows.text import quote

WHY = N_("Why? (the partner will read it; `cancel` stops)")  # shown with _()


async def reject(ctx: Context) -> None:
    """Rejects a step; the partner is told the reason and can submit again. Without a
    reason (the Reject button) it asks for one."""
    partner = await program.managed(ctx, ctx.word(0, _("the partner id")))
    step = parse_step(ctx.word(1, _("the step")))
    reason = ctx.args.rest(2).strip()
    if not reason:  # what the rules refuse is said now, not after the reason is typed
        try:
            decide(
                partner, Reject(step, "?"), ctx.caller.user.username, ctx.now, ctx.settings.timezone
            )
        except RuleError as err:
            raise refusal(err) from None
        ctx.converse({"partner": partner.id, "step": step.value})
        ctx.reply(_(WHY))
        return
    await _reject(ctx, partner, step, reason)


async def answer(ctx: Context) -> None:
    """Takes the reason the conversation asked for, and rejects the step with it."""
    assert ctx.conversation is not None
    ctx.end_conversation()
    try:
        partner = await program.find(ctx, ctx.conversation["partner"])
        await _reject(ctx, partner, Step(ctx.conversation["step"]), ctx.message.text.strip())
    except (Refused, UsageError) as err:  # changed meanwhile: said, and the question ends
        ctx.reply(_("Not rejected: {problem}").format(problem=err))


async def _reject(ctx: Context, partner: Partner, step: Step, reason: str) -> None:
    after = await program.act(ctx, partner, Reject(step, reason), f"rejected {step}")
    ctx.reply(
        _("{company} (`{id}`): {step} rejected; the partner is told why.").format(
            company=quote(after.company), id=after.id, step=step_name(step)
        )
    )


SPEC = Command(
    name="reject",
    summary=N_("reject a submitted step; the reason is shown to the partner"),
    usage="<partner-id> <step> <reason ...>",
    example="/reject acme-hosting listing the page does not show our logo",
    roles=frozenset({Role.MANAGER}),
    handler=reject,
    answer=answer,
    cancelled=lambda _state: _("Not rejected; nothing changed."),
)

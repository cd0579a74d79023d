"""/approve: an account manager approves a step of a partner's onboarding."""

from __future__ import annotations

from commands import program
from engine.framework import Command, Context, Role, UsageError
from i18n import N_, _
from workflows.onboarding import STEPS, Approve, State, Step, state_name, status_name, step_name
from workflows.text import quote


def parse_step(text: str) -> Step:
    try:
        return Step(text.lower())
    except ValueError:
        raise UsageError(
            _("{word} is not a step; the steps are {steps}").format(
                word=quote(text, as_code=True), steps=", ".join(STEPS)
            )
        ) from None


async def approve(ctx: Context) -> None:
    """Approves a step; the partner is told, and the next steps follow."""
    partner = await program.managed(ctx, ctx.word(0, _("the partner id")))
    step = parse_step(ctx.word(1, _("the step")))
    if len(ctx.args.words) > 2:
        raise UsageError(_("unexpected {word}").format(word=quote(ctx.args.words[2], as_code=True)))
    after = await program.act(
        ctx, partner, Approve(step, dict(ctx.args.options)), f"approved {step}"
    )
    record = after.steps[step]
    values = {
        "company": quote(after.company),
        "id": after.id,
        "step": step_name(step),
        "status": status_name(after.status),
    }
    if record.state is State.DONE:
        ctx.reply(_("{company} (`{id}`): {step} approved. Status: {status}.").format(**values))
    else:
        ctx.reply(
            _("{company} (`{id}`): {step} {state}. Status: {status}.").format(
                **values, state=state_name(record.state)
            )
        )


SPEC = Command(
    name="approve",
    summary=N_(
        "approve a step (meeting: on=; contract: signed= term= support=yes fee=paid|unpaid)"
    ),
    usage="<partner-id> <step> [key=value ...]",
    example=lambda today: (  # signed today: a signing day is never in the future
        f"/approve acme-hosting contract signed={today} term=12 support=yes fee=paid"
    ),
    roles=frozenset({Role.MANAGER}),
    handler=approve,
    options=frozenset({"on", "signed", "term", "support", "fee"}),
)

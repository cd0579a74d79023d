"""/approve: an account manager approves a step of a partner's onboarding."""

from __future__ import annotations

from commands import program
from commands.framework import Command, Context, Role, UsageError
from workflows.onboarding import STEPS, Approve, State, Step
from workflows.text import quote


def parse_step(text: str) -> Step:
    try:
        return Step(text.lower())
    except ValueError:
        raise UsageError(
            f"{quote(text, as_code=True)} is not a step; the steps are " + ", ".join(STEPS)
        ) from None


async def approve(ctx: Context) -> None:
    """Approves a step; the partner is told, and the next steps follow."""
    partner = await program.managed(ctx, ctx.word(0, "the partner id"))
    step = parse_step(ctx.word(1, "the step"))
    if len(ctx.args.words) > 2:
        raise UsageError(f"unexpected {quote(ctx.args.words[2], as_code=True)}")
    after = await program.act(
        ctx, partner, Approve(step, dict(ctx.args.options)), f"approved {step}"
    )
    record = after.steps[step]
    verdict = "approved" if record.state is State.DONE else record.state
    ctx.reply(f"{quote(after.company)} (`{after.id}`): {step} {verdict}. Status: {after.status}.")


SPEC = Command(
    name="approve",
    summary="approve a step (meeting: on=; contract: signed= term= support=yes fee=paid|unpaid)",
    usage="<partner-id> <step> [key=value ...]",
    example=lambda today: (  # signed today: a signing day is never in the future
        f"/approve acme-hosting contract signed={today} term=12 support=yes fee=paid"
    ),
    roles=frozenset({Role.MANAGER}),
    handler=approve,
    options=frozenset({"on", "signed", "term", "support", "fee"}),
)

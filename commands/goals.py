"""/goals: step 3, the partner's goals for the next 3 months and the next year."""

from __future__ import annotations

from commands import program
from commands.framework import Command, Context, Role, UsageError
from workflows.onboarding import RuleError, SubmitGoals, parse_horizon

HORIZONS = {"3m": "3 months", "1y": "1 year"}


async def goals(ctx: Context) -> None:
    """Records the goals for 3 months or 1 year; submitted once both are there."""
    try:
        horizon = parse_horizon(ctx.word(0, "3m or 1y"))
    except RuleError as err:
        raise UsageError(str(err)) from None
    text = ctx.args.rest(1).strip()
    if not text:
        raise UsageError(f"the goals for {HORIZONS[horizon]} are missing")
    partner = await program.own(ctx)
    after = await program.act(ctx, partner, SubmitGoals(horizon, text), f"goals {horizon}")
    if after.goals_3m and after.goals_1y:
        ctx.reply("Goals recorded; both are there, so they went to the account managers.")
    else:
        other = "1y" if horizon == "3m" else "3m"
        ctx.reply(f"Goals for {HORIZONS[horizon]} recorded. Now `/goals {other} <text>`.")


SPEC = Command(
    name="goals",
    summary="your goals for the next 3 months (3m) and the next year (1y)",
    usage="3m|1y <text>",
    example="/goals 3m Host 5 customer workspaces and train two admins",
    roles=frozenset({Role.PARTNER}),
    handler=goals,
)

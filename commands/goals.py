"""/goals: step 3, the partner's goals for the next 3 months and the next year; later an
account manager revises them at a quarterly review, or approves the new goals a partner
proposes, and their history is kept."""

from __future__ import annotations

from commands import program
from commands.framework import Command, Context, Refused, Role, UsageError, refusal
from workflows.compliance import (
    GoalProposal,
    GoalRevision,
    check_not_contact,
    propose_goals,
    revise_goals,
)
from workflows.onboarding import Partner, RuleError, Step, SubmitGoals, parse_horizon
from workflows.text import quote

HORIZONS = {"3m": "3 months", "1y": "1 year"}
GOALS = "goals"  # the revisions: the goals' history
PROPOSALS = "goal_proposals"  # goals a partner proposed, waiting for a manager
DECISIONS = ("approve", "reject")
HISTORY_SHOWN = 10


async def goals(ctx: Context) -> None:
    """Records the goals for 3 months or 1 year; submitted once both are there. An account
    manager names the partner: revises one of its goals, or sees them and their history."""
    words = ctx.args.words
    if program.is_manager(ctx) and words and words[0].lower() not in HORIZONS:
        await _manager(ctx)
        return
    if program.is_manager(ctx) and ctx.caller.partner is None:
        raise UsageError("name the partner: `/goals <partner-id> 3m|1y <text>`")
    try:
        horizon = parse_horizon(ctx.word(0, "3m or 1y"))
    except RuleError as err:
        raise UsageError(str(err)) from None
    text = ctx.args.rest(1).strip()
    if not text:
        raise UsageError(f"the goals for {HORIZONS[horizon]} are missing")
    partner = await program.own(ctx)
    if partner.done(Step.GOALS):
        await _propose(ctx, partner, horizon, text)
        return
    after = await program.act(ctx, partner, SubmitGoals(horizon, text), f"goals {horizon}")
    if after.goals_3m and after.goals_1y:
        ctx.reply("Goals recorded; both are there, so they went to the account managers.")
    else:
        other = "1y" if horizon == "3m" else "3m"
        ctx.reply(f"Goals for {HORIZONS[horizon]} recorded. Now `/goals {other} <text>`.")


async def _manager(ctx: Context) -> None:
    partner = await program.managed(ctx, ctx.args.words[0])
    if len(ctx.args.words) == 1:
        await _show(ctx, partner)
        return
    if ctx.args.words[1].lower() in DECISIONS:
        await _decide(ctx, partner, ctx.args.words[1].lower())
        return
    try:
        horizon = parse_horizon(ctx.args.words[1])
    except RuleError as err:
        raise UsageError(str(err)) from None
    text = ctx.args.rest(2).strip()
    if not text:
        raise UsageError(f"the goals for {HORIZONS[horizon]} are missing")
    try:
        after, revision = revise_goals(partner, horizon, text, ctx.caller.user.username, ctx.now)
    except RuleError as err:
        raise refusal(err) from None
    program.store(ctx, partner, after, f"goals {horizon} revised")
    ctx.tx.put(GOALS, revision.to_doc(), what=f"goals {horizon} revised")
    ctx.reply(
        f"Goals of {quote(partner.company)} (`{partner.id}`) for {HORIZONS[horizon]} revised; "
        f"the earlier ones are kept (`/goals {partner.id}` shows the history)."
    )
    await program.tell_partner(
        ctx,
        partner,
        f"@{ctx.caller.user.username} revised your goals for the next {HORIZONS[horizon]}: "
        f"{revision.after}\n(before: {revision.before or 'none'})",
    )


async def _propose(ctx: Context, partner: Partner, horizon: str, text: str) -> None:
    """After step 3 a contact proposes new goals; a manager approves or rejects them."""
    try:
        proposal = propose_goals(
            partner, parse_horizon(horizon), text, ctx.caller.user.username, ctx.now
        )
    except RuleError as err:
        raise refusal(err) from None
    ctx.tx.put(PROPOSALS, proposal.to_doc(), what=f"goals {horizon} proposed")
    ctx.reply(
        f"New goals for {HORIZONS[horizon]} proposed; your account manager approves them "
        "(the current ones stay until then)."
    )
    await program.tell_managers(
        ctx,
        partner,
        f"@{proposal.by} proposes new goals of {quote(partner.company)} (`{partner.id}`) for the "
        f"next {HORIZONS[horizon]}: {proposal.text}\n"
        f"(now: {(partner.goals_3m if horizon == '3m' else partner.goals_1y) or 'none'})\n"
        f"Approve with `/goals {partner.id} approve`, or `/goals {partner.id} reject <reason>`.",
    )


async def _decide(ctx: Context, partner: Partner, decision: str) -> None:
    """A manager approves the proposed goals (they become the goals, kept in the history)
    or rejects them with a reason the partner is told."""
    proposals = sorted(
        [GoalProposal.from_doc(doc) async for doc in ctx.tx.scan(PROPOSALS, owner=partner.id)],
        key=lambda proposal: proposal.horizon,
    )
    if not proposals:
        raise Refused(f"{quote(partner.company)} has not proposed new goals.")
    by = ctx.caller.user.username
    if decision == "reject":
        reason = ctx.args.rest(2).strip()
        if not reason:
            raise UsageError("the reason is missing (the partner is told it)")
        try:
            check_not_contact(partner, by)
        except RuleError as err:
            raise refusal(err) from None
        for proposal in proposals:
            ctx.tx.delete(
                PROPOSALS, partner.id, proposal.horizon, what=f"goals {proposal.horizon} rejected"
            )
        ctx.reply(
            f"The goals {quote(partner.company)} proposed are rejected; the partner is told why."
        )
        await program.tell_partner(
            ctx, partner, f"@{by} did not approve the goals you proposed: {reason}"
        )
        return
    if len(ctx.args.words) > 2:
        raise UsageError(f"unexpected {ctx.args.words[2]!r}")
    after = partner
    for proposal in proposals:
        try:
            after, revision = revise_goals(
                after, proposal.horizon, proposal.text, by, ctx.now, proposal.by
            )
        except RuleError as err:
            raise refusal(err) from None
        ctx.tx.put(GOALS, revision.to_doc(), what=f"goals {proposal.horizon} revised")
        ctx.tx.delete(PROPOSALS, partner.id, proposal.horizon)
    program.store(ctx, partner, after, "goals approved")
    which = " and ".join(HORIZONS[proposal.horizon] for proposal in proposals)
    ctx.reply(f"The goals {quote(partner.company)} proposed for {which} are approved.")
    await program.tell_partner(
        ctx, partner, f"@{by} approved the goals you proposed for the next {which}."
    )


async def _show(ctx: Context, partner: Partner) -> None:
    revisions = sorted(
        [GoalRevision.from_doc(doc) async for doc in ctx.tx.scan(GOALS, owner=partner.id)],
        key=lambda revision: revision.at,
    )
    zone = ctx.settings.timezone
    lines = [
        f"Goals of {quote(partner.company)} (`{partner.id}`):",
        f"3 months: {partner.goals_3m or 'none yet'}",
        f"1 year: {partner.goals_1y or 'none yet'}",
    ]
    async for doc in ctx.tx.scan(PROPOSALS, owner=partner.id):
        proposal = GoalProposal.from_doc(doc)
        lines.append(
            f"Proposed by @{proposal.by} for {HORIZONS[proposal.horizon]}, waiting for "
            f"approval: {proposal.text}"
        )
    if revisions:
        lines.append("Revised:")
        lines += [revision.line(zone) for revision in revisions[-HISTORY_SHOWN:]]
    else:
        lines.append(f"Not revised since step 3. Revise with `/goals {partner.id} 3m <text>`.")
    ctx.reply("\n".join(lines))


SPEC = Command(
    name="goals",
    summary=(
        "your goals for the next 3 months (3m) and the next year (1y), new ones proposed "
        "later; account managers revise a partner's at a review, approve what it proposed"
    ),
    usage="3m|1y <text>",
    example="/goals 3m Host 5 customer workspaces and train two admins",
    manager_usage="<partner-id> [3m|1y <text> | approve | reject <reason>]",
    manager_example="/goals acme-hosting approve",
    roles=frozenset({Role.PARTNER, Role.MANAGER}),
    handler=goals,
)

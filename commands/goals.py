"""/goals: step 3, the partner's goals for the next 3 months and the next year; later an
account manager revises them at a quarterly review, or approves the new goals a partner
proposes, and their history is kept."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from commands import program
from engine.framework import Command, Context, Refused, Role, UsageError, refusal
from i18n import N_, _
from workflows.compliance import (
    GoalProposal,
    GoalRevision,
    check_not_contact,
    propose_goals,
    revise_goals,
)
from workflows.onboarding import Partner, RuleError, Step, SubmitGoals, parse_horizon
from workflows.text import quote

HORIZONS = {"3m": N_("3 months"), "1y": N_("1 year")}  # shown as `_(HORIZONS[horizon])`
NEXT = {"3m": N_("the next 3 months"), "1y": N_("the next year")}
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
        raise UsageError(_("name the partner: `/goals <partner-id> 3m|1y <text>`"))
    try:
        horizon = parse_horizon(ctx.word(0, _("3m or 1y")))
    except RuleError as err:
        raise UsageError(str(err)) from None
    text = ctx.args.rest(1).strip()
    if not text:
        raise UsageError(_missing(horizon))
    partner = await program.own(ctx)
    if partner.done(Step.GOALS):
        await _propose(ctx, partner, horizon, text)
        return
    after = await program.act(ctx, partner, SubmitGoals(horizon, text), f"goals {horizon}")
    if after.goals_3m and after.goals_1y:
        ctx.reply(_("Goals recorded; both are there, so they went to the account managers."))
    else:
        other = "1y" if horizon == "3m" else "3m"
        ctx.reply(
            _("Goals for {horizon} recorded. Now `/goals {other} <text>`.").format(
                horizon=_(HORIZONS[horizon]), other=other
            )
        )


def _missing(horizon: str) -> str:
    return _("the goals for {horizon} are missing").format(horizon=_(HORIZONS[horizon]))


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
        raise UsageError(_missing(horizon))
    try:
        after, revision = revise_goals(partner, horizon, text, ctx.caller.user.username, ctx.now)
    except RuleError as err:
        raise refusal(err) from None
    program.store(ctx, partner, after, f"goals {horizon} revised")
    ctx.tx.put(GOALS, revision.to_doc(), what=f"goals {horizon} revised")
    ctx.reply(
        _(
            "Goals of {company} (`{id}`) for {horizon} revised; the earlier ones are kept "
            "(`/goals {id}` shows the history)."
        ).format(company=quote(partner.company), id=partner.id, horizon=_(HORIZONS[horizon]))
    )
    by = f"@{ctx.caller.user.username}"

    def revised() -> str:
        values = {"who": by, "next": _(NEXT[horizon]), "goals": revision.after}
        if revision.before:
            return _("{who} revised your goals for {next}: {goals}\n(before: {before})").format(
                before=revision.before, **values
            )
        return _("{who} revised your goals for {next}: {goals}\n(before: none)").format(**values)

    await program.tell_partner(ctx, partner, revised)


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
        _(
            "New goals for {horizon} proposed; your account manager approves them "
            "(the current ones stay until then)."
        ).format(horizon=_(HORIZONS[horizon]))
    )
    now = partner.goals_3m if horizon == "3m" else partner.goals_1y

    def proposed() -> str:
        values = {
            "who": f"@{proposal.by}",
            "company": quote(partner.company),
            "id": partner.id,
            "next": _(NEXT[horizon]),
            "goals": proposal.text,
        }
        if now:
            return _(
                "{who} proposes new goals of {company} (`{id}`) for {next}: {goals}\n"
                "(now: {now})\n"
                "Approve with `/goals {id} approve`, or `/goals {id} reject <reason>`."
            ).format(now=now, **values)
        return _(
            "{who} proposes new goals of {company} (`{id}`) for {next}: {goals}\n"
            "(now: none)\n"
            "Approve with `/goals {id} approve`, or `/goals {id} reject <reason>`."
        ).format(**values)

    await program.tell_managers(ctx, partner, proposed)


async def _decide(ctx: Context, partner: Partner, decision: str) -> None:
    """A manager approves the proposed goals (they become the goals, kept in the history)
    or rejects them with a reason the partner is told."""
    proposals = sorted(
        [GoalProposal.from_doc(doc) async for doc in ctx.tx.scan(PROPOSALS, owner=partner.id)],
        key=lambda proposal: proposal.horizon,
    )
    if not proposals:
        raise Refused(
            _("{company} has not proposed new goals.").format(company=quote(partner.company))
        )
    by = ctx.caller.user.username
    if decision == "reject":
        reason = ctx.args.rest(2).strip()
        if not reason:
            raise UsageError(_("the reason is missing (the partner is told it)"))
        try:
            check_not_contact(partner, by)
        except RuleError as err:
            raise refusal(err) from None
        for proposal in proposals:
            ctx.tx.delete(
                PROPOSALS, partner.id, proposal.horizon, what=f"goals {proposal.horizon} rejected"
            )
        ctx.reply(
            _("The goals {company} proposed are rejected; the partner is told why.").format(
                company=quote(partner.company)
            )
        )
        await program.tell_partner(
            ctx,
            partner,
            lambda: _("{who} did not approve the goals you proposed: {reason}").format(
                who=f"@{by}", reason=reason
            ),
        )
        return
    if len(ctx.args.words) > 2:
        raise UsageError(_("unexpected {word}").format(word=quote(ctx.args.words[2], as_code=True)))
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
    horizons = [proposal.horizon for proposal in proposals]
    ctx.reply(
        _("The goals {company} proposed for {horizons} are approved.").format(
            company=quote(partner.company), horizons=_joined(horizons, HORIZONS)
        )
    )
    await program.tell_partner(
        ctx,
        partner,
        lambda: _("{who} approved the goals you proposed for {next}.").format(
            who=f"@{by}", next=_joined(horizons, NEXT)
        ),
    )


def _joined(horizons: Sequence[str], names: Mapping[str, str]) -> str:
    """ "1 year", or "1 year and 3 months", in the language in force."""
    shown = [_(names[horizon]) for horizon in horizons]
    if len(shown) == 1:
        return shown[0]
    return _("{first} and {second}").format(first=shown[0], second=shown[1])


async def _show(ctx: Context, partner: Partner) -> None:
    revisions = sorted(
        [GoalRevision.from_doc(doc) async for doc in ctx.tx.scan(GOALS, owner=partner.id)],
        key=lambda revision: revision.at,
    )
    zone = ctx.settings.timezone
    none = _("none yet")
    lines = [
        _("Goals of {company} (`{id}`):").format(company=quote(partner.company), id=partner.id),
        _("3 months: {goals}").format(goals=partner.goals_3m or none),
        _("1 year: {goals}").format(goals=partner.goals_1y or none),
    ]
    async for doc in ctx.tx.scan(PROPOSALS, owner=partner.id):
        proposal = GoalProposal.from_doc(doc)
        lines.append(
            _("Proposed by {who} for {horizon}, waiting for approval: {goals}").format(
                who=f"@{proposal.by}", horizon=_(HORIZONS[proposal.horizon]), goals=proposal.text
            )
        )
    if revisions:
        lines.append(_("Revised:"))
        lines += [revision.line(zone) for revision in revisions[-HISTORY_SHOWN:]]
    else:
        lines.append(
            _("Not revised since step 3. Revise with `/goals {id} 3m <text>`.").format(
                id=partner.id
            )
        )
    ctx.reply("\n".join(lines))


SPEC = Command(
    name="goals",
    summary=N_(
        "your goals for the next 3 months (3m) and the next year (1y), new ones proposed "
        "later; account managers revise a partner's at a review, approve what it proposed"
    ),
    usage="3m|1y <text>",
    example=lambda _today: "/goals 3m " + _("Host 5 customer workspaces and train two admins"),
    manager_usage="<partner-id> [3m|1y <text> | approve | reject <reason>]",
    manager_example="/goals acme-hosting approve",
    roles=frozenset({Role.PARTNER, Role.MANAGER}),
    handler=goals,
)

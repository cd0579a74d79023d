"""/report: the monthly sales report, by commands or by answering one question at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from datetime import date
from typing import Any, ParamSpec, Protocol, TypeVar

from commands import program, registration
from commands.examples import last_month, month_ahead
from commands.figures import keep_report
from engine.framework import Command, Context, Refused, Role, UsageError, refusal
from engine.parsing import ArgumentError, split_arguments
from i18n import N_, _, ngettext
from workflows.compliance import Filed, ReportMonths, report_months
from workflows.onboarding import Partner
from workflows.referrals import Referral, check_citable, parse_referral_id
from workflows.referrals import ReferralState as ReferralState
from workflows.referrals import win as win_referral
from workflows.reporting import (
    DealKind,
    Entry,
    Month,
    Report,
    ReportState,
    RuleError,
    add,
    check_month,
    deal_from_options,
    effective_rates,
    entry_changed,
    local_day,
    loose_month,
    new_draft,
    open_month,
    parse_month,
    prospect_from_options,
    rates_from_doc,
    remove_entry,
    render,
    reopen,
    submit,
    submit_none,
    summary,
    with_rates,
)
from workflows.reporting.history import history
from workflows.text import quote

P = ParamSpec("P")
T = TypeVar("T")


class Reader(Protocol):
    """What reads stored documents: the store or a transaction."""

    async def get(self, collection: str, *key: str) -> dict[str, Any] | None: ...

    def scan(self, collection: str, owner: str | None = None) -> AsyncIterator[dict[str, Any]]: ...


REPORTS = "reports"
FILINGS = "filings"  # {"partner", "months": every month filed, "complete": true}
LEGACY_KEPT = 12  # an index without "complete" kept only the last 12 months filed
TERMS = "terms"
REFERRALS = "referrals"
VERBS = frozenset({"deal", "prospect", "remove", "submit", "none", "reopen", "history"})
MANAGER_VERBS = frozenset({"reopen", "history"})
DEAL_EXAMPLE = 'client="Foo Corp" amount=12000 kind=hosting'
# What confirms filing at the end of the conversation: `yes` in any of the three languages.
YES = frozenset({"yes", "y", "submit", "sim", "sí", "si"})


async def report(ctx: Context) -> None:
    """Shows a month's draft, adds or removes entries, files it; managers reopen it."""
    words = list(ctx.args.words)
    partner = await _partner(ctx, words)
    typed = _month(ctx, words)
    month = open_month(ctx.now, ctx.settings.timezone) if typed is None else typed
    verb = words.pop(0).lower() if words else None
    if verb is not None and verb not in VERBS:
        raise UsageError(
            _("{word} is not one of {verbs}").format(
                word=quote(verb, as_code=True), verbs=", ".join(sorted(_verbs(ctx, partner)))
            )
        )
    if verb == "reopen":
        await _reopen(ctx, partner, typed)
        return
    if verb == "history":
        await _history(ctx, partner, typed, words)
        return
    if program.is_manager(ctx) and not partner.is_contact(ctx.caller.user.username):
        if verb is not None:
            raise Refused(_("Only the partner's contacts change its report; you may reopen it."))
        ctx.reply(render(await _load(ctx, partner, month), ctx.settings.timezone, hints=False))
        return
    draft = await _load(ctx, partner, month)
    if verb is None:
        ctx.reply(render(draft, ctx.settings.timezone))
        if draft.state is ReportState.DRAFT and not draft.entries:
            _ask(
                ctx,
                month,
                "deals",
                _(
                    "The first closed deal of {month}, like `{example}` (or `done` if there "
                    "were none, `cancel` to stop)?"
                ).format(month=month, example=DEAL_EXAMPLE),
            )
        return
    options = dict(ctx.args.options)
    if verb != "remove" and words:
        raise UsageError(
            _(
                "unexpected {word}; put a value with spaces in double quotes, "
                'e.g. amount="USD 12,000"'
            ).format(word=quote(words[0], as_code=True))
        )
    if verb in ("deal", "prospect"):
        changed = await _with_entry(ctx, draft, verb, options)
        ctx.reply(entry_changed(draft, changed))
    elif verb == "remove":
        number = _number(words)
        changed = _rule(remove_entry, draft, number)
        ctx.reply(entry_changed(draft, changed, removed=number))
    else:
        changed = await _file(ctx, partner, draft, none=verb == "none")
    await _save(ctx, changed, f"report {month}: {verb}")


async def answer(ctx: Context) -> None:
    """Takes one deal, one prospect, `done`, or the confirmation, as the conversation asks."""
    assert ctx.conversation is not None
    month = parse_month(ctx.conversation["month"])
    asking = ctx.conversation["asking"]
    added = _added(ctx.conversation)
    text = ctx.message.text.strip()
    partner = await program.own(ctx)
    draft = await _load(ctx, partner, month)
    if asking == "confirm":
        if text.lower() in YES:
            ctx.end_conversation()
            await _save(
                ctx,
                await _file(ctx, partner, draft, none=not draft.entries),
                f"report {month}: submit",
            )
        else:
            ctx.end_conversation()
            ctx.reply(
                _("Not filed; the draft is kept. File it with `/report {month} submit`.").format(
                    month=month
                )
            )
        return
    if text.lower() == "done":
        if asking == "deals":
            _ask(
                ctx,
                month,
                "prospects",
                _("Any prospective sale, like `{example}` (or `done`)?").format(
                    example=prospect_example(ctx.today)
                ),
                added,
            )
        else:
            ctx.reply(render(draft, ctx.settings.timezone))
            _ask(
                ctx,
                month,
                "confirm",
                _("File the report for {month} now? (yes/no)").format(month=month),
                added,
            )
        return
    try:
        args = split_arguments(text)
    except ArgumentError as err:
        raise Refused(str(err)) from None
    changed = await _with_entry(
        ctx, draft, "deal" if asking == "deals" else "prospect", dict(args.options)
    )
    await _save(ctx, changed, f"report {month}: {asking[:-1]}")
    if asking == "deals":
        count = len(changed.deals)
        so_far = ngettext(
            "{n} deal so far. The next one, or `done`?",
            "{n} deals so far. The next one, or `done`?",
            count,
        )
    else:
        count = len(changed.prospects)
        so_far = ngettext(
            "{n} prospect so far. The next one, or `done`?",
            "{n} prospects so far. The next one, or `done`?",
            count,
        )
    _ask(ctx, month, asking, so_far.format(n=count), {**added, asking: added[asking] + 1})


def prospect_example(today: date) -> str:
    """The options of a prospect, as an example: its close month is still ahead."""
    return f'client="Bar" amount=5000 close={month_ahead(today)}'


ADDED_NOTHING: Mapping[str, int] = {"deals": 0, "prospects": 0}


def _ask(
    ctx: Context,
    month: Month,
    asking: str,
    question: str,
    added: Mapping[str, int] = ADDED_NOTHING,
) -> None:
    """Carry on the conversation; `added` counts the entries its answers stored."""
    ctx.converse({"month": str(month), "asking": asking, "added": dict(added)})
    ctx.reply(question)


def _added(state: Mapping[str, Any]) -> dict[str, int]:
    """The entries the conversation stored, by kind (none in a state from before they
    were counted)."""
    stored = state.get("added", ADDED_NOTHING)
    return {kind: int(stored.get(kind, 0)) for kind in ADDED_NOTHING}


def cancelled(state: Mapping[str, Any]) -> str:
    """What `cancel` says in the conversation: the entries its answers added were stored
    as they came, and stay in the draft."""
    month = state["month"]
    if "added" not in state:  # a conversation from before the entries were counted
        return _(
            "Stopped, not filed: the draft of {month} keeps what you added; `/report {month}` "
            "shows it and `/report {month} submit` files it."
        ).format(month=month)
    added = _added(state)
    deals = ngettext("{n} deal", "{n} deals", added["deals"]).format(n=added["deals"])
    prospects = ngettext("{n} prospect", "{n} prospects", added["prospects"]).format(
        n=added["prospects"]
    )
    if added["deals"] and added["prospects"]:
        kept = _("{deals} and {prospects}").format(deals=deals, prospects=prospects)
    elif added["deals"] or added["prospects"]:
        kept = deals if added["deals"] else prospects
    else:
        return _("Stopped; nothing was added to the draft of {month}.").format(month=month)
    return _(
        "Stopped, not filed: the draft of {month} keeps the {kept} you added; `/report {month}` "
        "shows it and `/report {month} submit` files it."
    ).format(month=month, kept=kept)


async def _partner(ctx: Context, words: list[str]) -> Partner:
    """A manager names the partner first; a contact's report is their own partner's."""
    if (
        words
        and program.is_manager(ctx)
        and not _is_month(words[0])
        and words[0].lower() not in VERBS
    ):
        return await program.find(ctx, words.pop(0))
    if program.is_manager(ctx) and ctx.caller.partner is None:
        return await program.target(ctx, len(ctx.args.words))  # the workgroup's partner
    return await program.own(ctx)


def _month(ctx: Context, words: list[str]) -> Month | None:
    """The month typed next, if one is."""
    if words and _is_month(words[0]):
        return _rule(parse_month, words.pop(0), example=last_month(ctx.today))
    return None


def _is_month(word: str) -> bool:
    """A month, or a month written another way (refused with how to write it)."""
    return (len(word) == 7 and word[4] == "-" and word[:4].isdigit()) or (
        loose_month(word) is not None
    )


def _verbs(ctx: Context, partner: Partner) -> set[str]:
    """The sub-commands the caller may run on `partner`'s report."""
    verbs: set[str] = set()
    if not program.is_manager(ctx) or partner.is_contact(ctx.caller.user.username):
        verbs |= VERBS - MANAGER_VERBS
    if program.is_manager(ctx):
        verbs |= MANAGER_VERBS
    return verbs


def _number(words: list[str]) -> int:
    if len(words) != 1 or not words[0].isdigit():
        raise UsageError(_("give the number of the entry to remove, as the draft shows it"))
    return int(words[0])


async def _load(ctx: Context, partner: Partner, month: Month) -> Report:
    """The month's report, or a new draft with the partner's rates; the month is checked."""
    doc = await ctx.tx.get(REPORTS, partner.id, str(month))
    if doc is not None:
        found = Report.from_doc(doc)
        if found.state is ReportState.DRAFT:
            return with_rates(found, await rates(ctx, partner.id))
        return found
    _rule(check_month, month, partner.signed, ctx.now, ctx.settings.timezone)
    return new_draft(partner.id, month, await rates(ctx, partner.id))


async def shown_months(ctx: Context, partner: Partner) -> ReportMonths:
    """The report months /status and /review show (`report_months`): the last three since
    signing, and every older one never filed, however old."""
    if partner.signed is None:
        return ReportMonths((), ())
    stored = {
        parse_month(doc["month"]): _where(doc) async for doc in ctx.tx.scan(REPORTS, partner.id)
    }
    today = local_day(ctx.now, ctx.settings.timezone)
    return report_months(partner.signed, stored, today, ctx.settings.report_due_day)


def _where(doc: Mapping[str, Any]) -> Filed:
    """Where a stored report stands, from its document's state alone (no figures read)."""
    if doc.get("state") == ReportState.SUBMITTED.value:
        return Filed.ON_TIME if doc.get("on_time") else Filed.LATE
    return Filed.REOPENED if doc.get("filed") else Filed.DRAFT


async def rates(ctx: Context, partner_id: str) -> dict[DealKind, Any]:
    """The partner's revenue-share rates: the program's, with its `/terms` overrides."""
    doc = await ctx.tx.get(TERMS, partner_id)
    overrides = rates_from_doc(doc["rates"], f"terms of {partner_id}") if doc else {}
    return effective_rates(overrides)


async def _with_entry(ctx: Context, draft: Report, verb: str, options: dict[str, str]) -> Report:
    zone = ctx.settings.timezone
    entry: Entry
    if verb == "deal":
        entry = _rule(deal_from_options, options)
        if entry.ref is not None:
            await _cited(ctx, draft, entry.ref)
    else:
        entry = _rule(prospect_from_options, options, ctx.now, zone)
    return _rule(add, draft, entry, ctx.now, zone)


async def _cited(ctx: Context, report: Report, ref: str) -> Referral:
    """The referral a referred deal of `report` cites: accepted by its partner."""
    try:
        ident = parse_referral_id(ref)
    except RuleError as err:
        raise refusal(err) from None
    doc = await ctx.tx.get(REFERRALS, ident)
    found = None if doc is None else Referral.from_doc(doc)
    return _rule(check_citable, found, ident, report.partner, str(report.month))


async def _close_referrals(ctx: Context, report: Report) -> None:
    """Filing a report closes each referral its referred deals cite as won."""
    for deal in report.deals:
        if deal.ref is not None:
            cited = await _cited(ctx, report, deal.ref)
            if cited.state is not ReferralState.WON:
                won = win_referral(cited, str(report.month))
                ctx.tx.put(
                    REFERRALS,
                    won.to_doc(),
                    what=f"referral {won.id}: won ({report.partner} {report.month})",
                )


async def _file(ctx: Context, partner: Partner, draft: Report, *, none: bool) -> Report:
    await _close_referrals(ctx, draft)
    filing = submit_none if none else submit
    filed = _rule(
        filing,
        draft,
        ctx.caller.user.username,
        ctx.now,
        ctx.settings.timezone,
        ctx.settings.report_due_day,
        await rates(ctx, partner.id),
    )
    zone = ctx.settings.timezone
    ctx.reply(_("Filed. {summary}").format(summary=summary(filed, zone)))
    # says who filed it, in the managers' language
    await program.tell_managers(ctx, partner, lambda: summary(filed, zone, partner.company))
    return filed


async def _reopen(ctx: Context, partner: Partner, month: Month | None) -> None:
    if not program.is_manager(ctx):
        raise Refused(_("Only an account manager can reopen a filed report."))
    program.check_manages(ctx, partner)
    if month is None:  # never a default: which report to unlock is the manager's to say
        raise UsageError(
            _("say which month to reopen: `/report {id} YYYY-MM reopen`").format(id=partner.id)
        )
    doc = await ctx.tx.get(REPORTS, partner.id, str(month))
    if doc is None:
        raise Refused(
            _("{company} has no report for {month}.").format(
                company=quote(partner.company), month=month
            )
        )
    opened = _rule(reopen, Report.from_doc(doc), ctx.caller.user.username, ctx.now)
    await _save(ctx, opened, f"report {month}: reopen")
    ctx.reply(
        _("The report for {month} of {company} is open again; the filed version is kept.").format(
            month=month, company=quote(partner.company)
        )
    )
    by = f"@{ctx.caller.user.username}"
    await program.tell_partner(
        ctx,
        partner,
        lambda: _(
            "{who} reopened your report for {month}: correct it and file it again with "
            "`/report {month} submit`."
        ).format(who=by, month=month),
    )


async def _history(ctx: Context, partner: Partner, month: Month | None, rest: list[str]) -> None:
    """A manager sees each filing of the month's report and what changed after a reopen."""
    if not program.is_manager(ctx):
        raise Refused(_("Only an account manager can see the filings of a report."))
    if month is None:
        raise UsageError(_("say which month: `/report {id} YYYY-MM history`").format(id=partner.id))
    if rest:
        raise UsageError(_("unexpected {word}").format(word=quote(rest[0], as_code=True)))
    doc = await ctx.tx.get(REPORTS, partner.id, str(month))
    if doc is None:
        raise Refused(
            _("{company} has no report for {month}.").format(
                company=quote(partner.company), month=month
            )
        )
    ctx.reply(history(Report.from_doc(doc), partner.company, ctx.settings.timezone))


async def _save(ctx: Context, changed: Report, what: str) -> None:
    ctx.tx.put(REPORTS, changed.to_doc(), what=what)
    if changed.state is ReportState.SUBMITTED:
        await _index_filing(ctx, changed)
        await registration.on_filing(ctx, changed)  # deal registration, same commit


async def _index_filing(ctx: Context, report: Report) -> None:
    """Keep every month the partner filed in `FILINGS`, in the same commit as the report:
    the reminders and /partners read them there instead of every partner's reports. Data
    from before the index, or from when it kept only the last 12 months, gets it from its
    reports."""
    months = {str(month) for month in await filed_months(ctx.tx, report.partner)}
    months.add(str(report.month))
    ctx.tx.put(FILINGS, {"partner": report.partner, "months": sorted(months), "complete": True})
    await keep_report(ctx.tx, report)  # the /stats aggregates, in the same commit


async def filed_months(reader: Reader, partner_id: str) -> set[Month]:
    """Every month the partner filed (a reopened report included): from the `FILINGS`
    index, or from its reports when the index may not have them all."""
    doc = await reader.get(FILINGS, partner_id)
    if doc is not None and (doc.get("complete") is True or len(doc["months"]) < LEGACY_KEPT):
        return {parse_month(month) for month in doc["months"]}
    return await _filed_in_reports(reader, partner_id)


async def _filed_in_reports(reader: Reader, partner_id: str) -> set[Month]:
    """The months the partner filed, read from its reports (a reopened report was filed,
    and its filed version is kept)."""
    return {
        parse_month(doc["month"])
        async for doc in reader.scan(REPORTS, partner_id)
        if doc.get("state") == ReportState.SUBMITTED.value or doc.get("filed")
    }


def _rule(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Call a reporting rule; its `RuleError` is a refusal for the user."""
    try:
        return function(*args, **kwargs)
    except RuleError as err:
        raise refusal(err) from None


SPEC = Command(
    name="report",
    summary=N_("your monthly sales report: show it, add a deal or a prospect, remove one, file it"),
    usage="[YYYY-MM] [deal client= amount= kind=hosting|referred|premium|services [ref=R-<n>] "
    "[note=] "
    "| prospect client= amount= close=YYYY-MM [note=] | remove <n> | submit | none]",
    example=lambda today: f"/report {last_month(today)} deal {DEAL_EXAMPLE}",
    manager_usage="<partner-id> YYYY-MM [reopen | history]",
    manager_example=lambda today: f"/report acme-hosting {last_month(today)} reopen",
    roles=frozenset({Role.PARTNER, Role.MANAGER}),
    handler=report,
    options=frozenset({"client", "amount", "kind", "close", "note", "ref"}),
    answer=answer,
    cancelled=cancelled,
)

"""/stats: a quarter's numbers and a chart. An account manager sees the program (or names
a partner); a partner's contact sees their own partner, by month (`workflows.stats`).

The numbers come from the aggregates kept as reports are filed (`commands.figures`), never
from the reports themselves; the chart is drawn in a worker thread (`workflows.charts`)
and uploaded to the room the way /export uploads its files, and the reply has every
number the chart shows.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from datetime import date, datetime

from chat.base import ChatActions, ChatError
from commands import figures, program
from commands.examples import last_quarter
from config import Settings
from engine.framework import Command, Context, Refused, Role, UsageError
from i18n import N_, _
from storage import Store, Transaction
from workflows.charts import Chart, partner_chart, png, program_chart
from workflows.onboarding import Partner, RuleError
from workflows.reporting import local_day
from workflows.stats import (
    Quarter,
    check_quarter,
    first_signing,
    last_closed,
    parse_quarter,
    partner_stats,
    program_stats,
    render_partner,
    render_program,
)
from workflows.text import quote

log = logging.getLogger(__name__)

_QUARTERISH = re.compile(r"[0-9]{4}-.*|[Qq][0-9].*")  # a quarter, maybe written wrong


async def stats(ctx: Context) -> None:
    """Shows a quarter's numbers with a chart: the program's for a manager, the partner's
    own for its contacts (default: the last closed quarter)."""
    words = list(ctx.args.words)
    typed = None
    named = None
    for word in words:
        if _QUARTERISH.fullmatch(word) and typed is None:
            try:
                typed = parse_quarter(word)
            except RuleError as err:
                raise UsageError(str(err)) from None
        elif named is None:
            named = word
        else:
            raise UsageError(_("unexpected {word}").format(word=quote(word, as_code=True)))
    quarter = last_closed(ctx.today) if typed is None else typed
    if named is not None:
        partner = await program.find(ctx, named)  # another partner's: refused as elsewhere
    elif program.is_manager(ctx) and ctx.caller.partner is None:
        await _program(ctx, quarter)
        return
    else:
        partner = await program.own(ctx)
    await _partner(ctx, partner, quarter)


async def _program(ctx: Context, quarter: Quarter) -> None:
    text, chart = await program_summary(ctx.tx, quarter, ctx.now, ctx.settings)
    ctx.reply(text)
    _chart_after(ctx, f"stats-{quarter}.png", chart)


def _chart_after(ctx: Context, filename: str, chart: Chart) -> None:
    """The chart follows the reply (which has every number it shows): drawn and uploaded
    once the reply is on its way, so that the reply does not wait for the drawing."""
    room = ctx.reply_room

    async def upload() -> None:
        try:
            await upload_chart(ctx.chat, room, filename, chart)
        except Refused as err:
            log.warning("/stats: the chart %s was not uploaded: %s", filename, err)

    ctx.after(upload)


async def program_summary(
    reader: Store | Transaction, quarter: Quarter, now: datetime, settings: Settings
) -> tuple[str, Chart]:
    """The program's quarter: its message and its chart (in the language in force)."""
    today = local_day(now, settings.timezone)
    partners = await figures.facts(reader)
    _check(quarter, today, first_signing(partners))
    before = {
        period: await figures.figures_of(reader, period)
        for period in (quarter.year_before(), quarter.previous())
    }
    found = program_stats(
        quarter,
        partners,
        await figures.rows_of(reader, quarter),
        before,
        await figures.standings(reader),
        today,
        settings.timezone,
        settings.report_due_day,
    )
    text = render_program(found)
    if quarter == Quarter.containing(today):
        text += "\n" + _("{quarter} is not over yet: these are the numbers so far.").format(
            quarter=quarter
        )
    return text, program_chart(found)


async def _partner(ctx: Context, partner: Partner, quarter: Quarter) -> None:
    text, chart = await partner_summary(ctx.tx, partner, quarter, ctx.today)
    ctx.reply(text)
    _chart_after(ctx, f"stats-{partner.id}-{quarter}.png", chart)


async def partner_summary(
    reader: Store | Transaction, partner: Partner, quarter: Quarter, today: date
) -> tuple[str, Chart]:
    """One partner's quarter: its message and its chart (in the language in force)."""
    if partner.signed is None:
        raise Refused(
            _("{company} has not signed its contract yet, so there are no numbers to show.").format(
                company=quote(partner.company)
            )
        )
    _check(quarter, today, partner.signed)
    found = partner_stats(partner, quarter, await figures.months_of(reader, partner.id))
    text = render_partner(found)
    if quarter == Quarter.containing(today):
        text += "\n" + _("{quarter} is not over yet: these are the numbers so far.").format(
            quarter=quarter
        )
    return text, partner_chart(found)


async def upload_chart(chat: ChatActions, room_id: str, filename: str, chart: Chart) -> None:
    """Draw the chart in a worker thread and upload it to the room."""
    image = await asyncio.to_thread(png, chart)
    try:
        await chat.upload(room_id, filename, _one(image), description=chart.title)
    except ChatError as err:
        raise Refused(str(err)) from err


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _check(quarter: Quarter, today: date, signed: date | None) -> None:
    try:
        check_quarter(quarter, today, signed)
    except RuleError as err:
        raise Refused(str(err)) from None


SPEC = Command(
    name="stats",
    summary=N_(
        "a quarter's numbers with a chart: the program's for managers, your own for partners"
    ),
    usage="[YYYY-Qn]",
    example=lambda today: f"/stats {last_quarter(today)[0]}",
    manager_usage="[<partner-id>] [YYYY-Qn]",
    manager_example=lambda today: f"/stats {last_quarter(today)[0]}",
    roles=frozenset({Role.PARTNER, Role.MANAGER}),
    handler=stats,
)

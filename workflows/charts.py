"""The `/stats` charts as PNG images, drawn by matplotlib's Agg backend (no display).

Two steps, so that the event loop never draws: `program_chart` and `partner_chart` make a
`Chart` (every label already written in the reader's language, amounts as numbers) where
the message is made; `png(chart)` draws it and is run in a worker thread
(`asyncio.to_thread`). Only the object-oriented API is used (a `Figure` of its own, never
pyplot's global state), so drawings in two threads do not meet.

At chat size: 1200 x 500 pixels, labelled axes, money as `USD 12k` (`compact_money`), the
Okabe-Ito colour-blind-safe palette, each partner type always in its own colour
(`TYPE_COLOURS`), a title that says the period.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from babel.numbers import format_compact_currency

from i18n import _, language, locale, speaking
from workflows.onboarding import PartnerType
from workflows.stats import TYPE_NAMES, PartnerStats, ProgramStats

if TYPE_CHECKING:
    from matplotlib.axes import Axes

# matplotlib is imported by the first drawing (about a second, in the worker thread, after
# the reply went out), not when the bot starts: most starts never draw.

WIDTH, HEIGHT, DPI = 12.0, 5.0, 100  # inches at DPI: 1200 x 500 pixels
# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
TYPE_COLOURS = {
    PartnerType.HOSTING: "#0072B2",  # blue
    PartnerType.TECHNOLOGY: "#E69F00",  # orange
    PartnerType.VALUE_ADDED: "#009E73",  # bluish green
}
OWED_COLOUR = "#D55E00"  # vermillion
PIPELINE_COLOUR = "#CC79A7"  # reddish purple
PAST_COLOUR = "#999999"  # grey


@dataclass(frozen=True)
class Series:
    label: str
    colour: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class Panel:
    """One plot: bars for each of `groups`, stacked or side by side."""

    title: str
    groups: tuple[str, ...]
    series: tuple[Series, ...]
    stacked: bool
    y_label: str
    x_label: str


@dataclass(frozen=True)
class Chart:
    title: str
    panels: tuple[Panel, ...]
    language: str  # the reader's: the axes' amounts are written in it (`compact_money`)


def compact_money(amount: float) -> str:
    """A short amount for an axis: `USD 12k`, `USD 1.5M` in English; the CLDR short form
    elsewhere (`US$ 12 mil`, `12 mil US$`)."""
    if language() == "en":
        for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
            if abs(amount) >= size:
                return f"USD {amount / size:.3g}{suffix}"
        return f"USD {amount:.0f}"
    return str(format_compact_currency(amount, "USD", locale=locale(), fraction_digits=1))


def _float(amount: Decimal) -> float:
    return float(amount)  # for drawing only: every figure shown as text stays a Decimal


def program_chart(stats: ProgramStats) -> Chart:
    """Closed sales, owed and pipeline by partner type, stacked, for the quarter, the one
    before and the one a year before."""
    groups = tuple(str(period) for period in stats.periods)
    panels = []
    for title, pick in (
        (_("Closed sales"), "closed"),
        (_("Owed to the vendor"), "owed"),
        (_("Pipeline"), "pipeline"),
    ):
        series = tuple(
            Series(
                _(TYPE_NAMES[kind]),
                TYPE_COLOURS[kind],
                tuple(_float(getattr(figures, pick)) for figures in stats.by_type[kind]),
            )
            for kind in PartnerType
        )
        panels.append(Panel(title, groups, series, True, _("USD"), _("Quarter")))
    return Chart(
        _("The partner program in {quarter}, by partner type").format(quarter=stats.quarter),
        tuple(panels),
        language(),
    )


def partner_chart(stats: PartnerStats) -> Chart:
    """The partner's quarter by month (closed, owed, pipeline), and its closed sales and
    owed in the quarters before."""
    colour = TYPE_COLOURS[stats.partner.type]
    months = tuple(str(month) for month, _mine in stats.months)

    def values(pick: str) -> tuple[float, ...]:
        return tuple(
            0.0 if mine is None else _float(getattr(mine.figures, pick))
            for _month, mine in stats.months
        )

    panels = [
        Panel(
            _("By month"),
            months,
            (
                Series(_("Closed sales"), colour, values("closed")),
                Series(_("Owed to the vendor"), OWED_COLOUR, values("owed")),
                Series(_("Pipeline"), PIPELINE_COLOUR, values("pipeline")),
            ),
            False,
            _("USD"),
            _("Month"),
        )
    ]
    quarters = (*stats.history, (stats.quarter, stats.figures))
    panels.append(
        Panel(
            _("By quarter"),
            tuple(str(quarter) for quarter, _figures in quarters),
            (
                Series(_("Closed sales"), colour, tuple(_float(f.closed) for _q, f in quarters)),
                Series(
                    _("Owed to the vendor"),
                    OWED_COLOUR,
                    tuple(_float(f.owed) for _q, f in quarters),
                ),
            ),
            False,
            _("USD"),
            _("Quarter"),
        )
    )
    return Chart(
        _("{company} in {quarter}").format(company=stats.partner.company, quarter=stats.quarter),
        tuple(panels),
        language(),
    )


def png(chart: Chart) -> bytes:
    """The chart drawn as a PNG (slow: run it in a worker thread)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # Agg: no display
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    with speaking(chart.language):
        figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
        figure.subplots_adjust(left=0.07, right=0.99, bottom=0.11, top=0.86, wspace=0.25)
        FigureCanvasAgg(figure)
        figure.suptitle(chart.title, fontsize=14, fontweight="bold")
        formatter = FuncFormatter(_money_tick)
        for index, panel in enumerate(chart.panels, start=1):
            axes = figure.add_subplot(1, len(chart.panels), index)
            _draw(axes, panel)
            axes.yaxis.set_major_formatter(formatter)
        out = io.BytesIO()
        figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def _money_tick(value: float, _position: int | None) -> str:
    return compact_money(value)


def _draw(axes: Axes, panel: Panel) -> None:
    positions = [float(x) for x in range(len(panel.groups))]
    width = 0.7 if panel.stacked else 0.8 / len(panel.series)
    bottoms = [0.0] * len(positions)
    for index, series in enumerate(panel.series):
        if panel.stacked:
            axes.bar(
                positions,
                series.values,
                width,
                bottom=bottoms,
                label=series.label,
                color=series.colour,
            )
            bottoms = [low + value for low, value in zip(bottoms, series.values, strict=True)]
        else:
            shifted = [x - 0.4 + width * (index + 0.5) for x in positions]
            axes.bar(shifted, series.values, width, label=series.label, color=series.colour)
    axes.set_title(panel.title)
    axes.set_xticks(positions, panel.groups)
    axes.set_xlabel(panel.x_label)
    axes.set_ylabel(panel.y_label)
    axes.margins(y=0.08)
    axes.set_ylim(bottom=0)
    axes.grid(axis="y", alpha=0.3)
    axes.legend(fontsize="small", loc="upper left")  # "best" costs a search per draw

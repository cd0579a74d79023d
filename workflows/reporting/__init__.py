"""Monthly sales reports (SPEC §1, §3, §5): months, drafts, entries, filing, the revenue share.

Pure: no I/O, the clock comes in as `now` (aware) and local dates are taken in `zone`. Each
function takes a `Report` and returns a new one, or raises `RuleError` with a sentence for
the user. Money is USD as exact `Decimal`s with two decimals, never floats.

The months (`months`): the report for month M opens on day 1 of M+1 (local) and `/report`
defaults to that month (`open_month`); a partner may file any month from the contract's
signing month to the last closed one (`check_month`). It is due on day
`PARTNERBOT_REPORT_DUE_DAY` (1-28, default 10) of M+1 (`due_date`) and on time when filed
by the end of that day, local time. Lateness is the first filing's: a report filed again
after a reopen keeps that verdict, and says when it was first filed (`first_submitted_at`
in its document).

The share (`money`): for each deal, the vendor is owed the amount times the rate of its kind
(hosting 30 %, referred 30 %, premium 80 %, services 0 %, or the partner's `/terms`
overrides), rounded half-up to the cent; `owed` is the sum of those rounded shares, so the
rows of an export add up to the report's total. A draft's deals owe the partner's current
rates; filing fixes each deal's rate (`Deal.rate`), and a deal keeps it through a reopen and
every re-filing: a later `/terms` changes neither a filed report nor the deals it had, and
only deals added after the change owe the new rate.

A report's states (`TRANSITIONS` in `rules`):

```mermaid
stateDiagram-v2
    [*] --> draft: new_draft
    draft --> draft: add_deal / add_prospect / remove_entry / with_rates
    draft --> submitted: submit (some entries) / submit_none (no entries)
    submitted --> draft: reopen (manager; the filed version is kept in `filed`)
```

Worked example: Acme Hosting (`acme-hosting`), default rates, report for 2026-09, filed on
2026-10-05 in America/Sao_Paulo with the due day 10 (due 2026-10-10: on time).

| # | entry | amount | kind / close | owed to the vendor |
|---|---|---|---|---|
| 1 | Foo Hosting | 12,000.05 | hosting, 30 % | 3,600.015 -> 3,600.02 |
| 2 | Bar Corp | 1,234.55 | referred, 30 % | 370.365 -> 370.37 |
| 3 | Baz Ltd | 2,500.00 | premium, 80 % | 2,000.00 |
| 4 | Qux | 4,000.00 | services, 0 % | 0.00 |
| 5 | Northwind (prospect) | 5,000.00 | closes 2026-12 | |
| 6 | Contoso (prospect) | 20,000.50 | closes 2027-03 | |

Closed total USD 19,734.60; owed USD 5,970.39 (the sum of the rounded shares: rounding the
exact total 5,970.38 once would lose the cent the rows show); pipeline total USD 25,000.50.
With `/terms acme-hosting hosting=25` before filing, deal 1 would owe 3,000.0125 -> 3,000.01.
With it after filing, a reopen and a re-filing, deal 1 still owes 3,600.02 at 30 %; a hosting
deal added after the reopen owes 25 %.
"""

from workflows.onboarding import RuleError
from workflows.reporting.model import (
    CLIENT_MAX,
    NOTE_MAX,
    Deal,
    Entry,
    Filing,
    Prospect,
    Report,
    ReportState,
    check_client,
    check_note,
    make_deal,
    make_prospect,
)
from workflows.reporting.money import (
    DEAL_KINDS,
    DEFAULT_RATES,
    MAX_AMOUNT,
    DealKind,
    check_amount,
    check_rate,
    check_rates,
    effective_rates,
    format_percent,
    format_usd,
    money_doc,
    money_from_doc,
    parse_amount,
    parse_kind,
    parse_percent,
    parse_rates,
    rate_doc,
    rate_from_doc,
    rates_doc,
    rates_from_doc,
    share,
    show_percent,
    total,
)
from workflows.reporting.months import (
    DEFAULT_DUE_DAY,
    MAX_CLOSE_YEARS,
    Month,
    check_close,
    check_due_day,
    check_month,
    due_date,
    is_on_time,
    local_day,
    loose_month,
    open_month,
    parse_month,
)
from workflows.reporting.rules import (
    DEAL_OPTIONS,
    MAX_ENTRIES,
    PROSPECT_OPTIONS,
    TRANSITIONS,
    add,
    add_deal,
    add_prospect,
    deal_from_options,
    entry,
    entry_changed,
    new_draft,
    prospect_from_options,
    rates_used,
    remove_entry,
    render,
    reopen,
    submit,
    submit_none,
    summary,
    with_rates,
)

__all__ = [
    "CLIENT_MAX",
    "DEAL_KINDS",
    "DEAL_OPTIONS",
    "DEFAULT_DUE_DAY",
    "DEFAULT_RATES",
    "MAX_AMOUNT",
    "MAX_CLOSE_YEARS",
    "MAX_ENTRIES",
    "NOTE_MAX",
    "PROSPECT_OPTIONS",
    "TRANSITIONS",
    "Deal",
    "DealKind",
    "Entry",
    "Filing",
    "Month",
    "Prospect",
    "Report",
    "ReportState",
    "RuleError",
    "add",
    "add_deal",
    "add_prospect",
    "check_amount",
    "check_client",
    "check_close",
    "check_due_day",
    "check_month",
    "check_note",
    "check_rate",
    "check_rates",
    "deal_from_options",
    "due_date",
    "effective_rates",
    "entry",
    "entry_changed",
    "format_percent",
    "format_usd",
    "is_on_time",
    "local_day",
    "loose_month",
    "make_deal",
    "make_prospect",
    "money_doc",
    "money_from_doc",
    "new_draft",
    "open_month",
    "parse_amount",
    "parse_kind",
    "parse_month",
    "parse_percent",
    "parse_rates",
    "prospect_from_options",
    "rate_doc",
    "rate_from_doc",
    "rates_doc",
    "rates_from_doc",
    "rates_used",
    "remove_entry",
    "render",
    "reopen",
    "share",
    "show_percent",
    "submit",
    "submit_none",
    "summary",
    "total",
    "with_rates",
]

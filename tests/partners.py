"""Partners for tests: built field by field (`acme`), or as the onboarding rules leave them
(`onboarded`, for tests that load them with `bot.py import`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from workflows.onboarding import (
    Apply,
    Approve,
    Event,
    Partner,
    PartnerType,
    Status,
    Step,
    SubmitGoals,
    WorkgroupCreated,
    apply,
    decide,
    fresh_steps,
)


def acme(**fields: Any) -> Partner:
    """Acme Hosting, active, with `fields` in place of the defaults (every step to do,
    manager bob, contact alice, workgroup ROOM1, applied on 2026-08-01, not signed)."""
    defaults: dict[str, Any] = {
        "id": "acme-hosting",
        "company": "Acme Hosting",
        "type": PartnerType.HOSTING,
        "website": "https://acme.example",
        "email": "partners@acme.example",
        "country": None,
        "status": Status.ACTIVE,
        "manager": "bob",
        "contacts": ("alice",),
        "workgroup": "ROOM1",
        "steps": fresh_steps(),
        "applied_at": datetime(2026, 8, 1, tzinfo=UTC),
    }
    return Partner(**(defaults | fields))


def onboarded(
    partner_id: str,
    company: str,
    contact: str,
    day: date,
    workgroup: str | None,
    *,
    sign: bool = True,
) -> Partner:
    """Applied, met, goals approved and (with `sign`) the contract signed on `day` with
    support and the fee paid, all by maria; with its workgroup if one is given."""
    utc = ZoneInfo("UTC")
    moment = datetime.combine(day, time(9, 0), tzinfo=UTC)
    website = f"https://{partner_id}.example"
    partner, _ = apply(
        partner_id,
        Apply(company, "hosting", website, f"partners@{partner_id}.example"),
        contact,
        moment,
    )
    steps: list[tuple[Event, str]] = [
        (Approve(Step.APPLICATION), "maria"),
        (Approve(Step.MEETING, {"on": day.isoformat()}), "maria"),
        (SubmitGoals("3m", "five workspaces"), contact),
        (SubmitGoals("1y", "fifty workspaces"), contact),
        (Approve(Step.GOALS), "maria"),
    ]
    if sign:
        contract = {"signed": day.isoformat(), "support": "yes", "fee": "paid"}
        steps.append((Approve(Step.CONTRACT, contract), "maria"))
    for event, by in steps:
        partner, _ = decide(partner, event, by, moment, utc)
    if workgroup is not None:
        partner, _ = decide(partner, WorkgroupCreated(workgroup), "partnerbot", moment, utc)
    return partner

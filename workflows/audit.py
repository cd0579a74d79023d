"""The audit trail as a partner's account manager reads it (`/audit`): which entries are
the partner's, and one line for each. Pure: the caller reads the entries from storage.

An entry (written by `storage` for each change made with a `what`) has `seq`, `at` (ISO
time with its zone), `who`, `what`, `collection`, `key` (the key fields joined by `/`),
`before` and `after` (the documents, None when absent).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from i18n import _, day

AUDIT_DEFAULT = 10
AUDIT_MAX = 100
# collections keyed by the partner id first: partners (id), reports, reviews, fees and
# goals (partner/...), terms and filings (partner)
_KEYED_BY_PARTNER = frozenset(
    {"partners", "reports", "reviews", "fees", "terms", "filings", "goals", "goal_proposals"}
)
# the partner is in the document: members (username -> partner) and registrations
# (client -> partner: a move is the old holder's in `before`, the new one's in `after`)
_BY_MEMBERSHIP = frozenset({"members", "registrations"})


class AuditError(ValueError):
    """The number of entries asked for is not one that can be shown."""


def parse_count(text: str | None) -> int:
    """How many entries to show: `text` as a whole number from 1 to `AUDIT_MAX`, or
    `AUDIT_DEFAULT` when None."""
    if text is None:
        return AUDIT_DEFAULT
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= AUDIT_MAX:
        raise AuditError(
            _("the number of entries must be 1 to {max}, not {text}").format(
                max=AUDIT_MAX, text=repr(text)
            )
        )
    return int(text)


def concerns(entry: Mapping[str, Any], partner_id: str) -> bool:
    """Whether the audit entry is about `partner_id`: its record, reports, reviews, fees,
    terms, or a member joining or leaving it."""
    collection = entry.get("collection")
    key = str(entry.get("key", ""))
    if collection in _KEYED_BY_PARTNER:
        return key.split("/", 1)[0] == partner_id
    if collection in _BY_MEMBERSHIP:
        return any(
            isinstance(doc, Mapping) and doc.get("partner") == partner_id
            for doc in (entry.get("before"), entry.get("after"))
        )
    return False


def line(entry: Mapping[str, Any], zone: tzinfo) -> str:
    """ "2026-11-26 12:00 @maria: fee 2026 paid" (the time local in `zone`)."""
    at = datetime.fromisoformat(str(entry["at"])).astimezone(zone)
    # `what` is stored as it was written (language-neutral); the date is the reader's
    return f"{day(at.date())} {at:%H:%M} @{entry.get('who', '?')}: {entry.get('what', '')}"

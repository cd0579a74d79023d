"""The outbox: messages stored for delivery in the same commit as the change that caused
them, in the order they were committed. The runner delivers them and deletes each one once
the server has it; after a crash it delivers what is left, with the same ids.

Not a command module (it has no SPEC): the dispatcher and the reminders use it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chat.base import Outgoing
from storage import Transaction

OUTBOX = "outbox"


class Outbox:
    """Numbers the stored messages so that they are delivered in the order committed."""

    def __init__(self, first_order: int = 1) -> None:
        """`first_order`: where the numbering goes on (after what is pending there)."""
        self._order = first_order

    def put(self, tx: Transaction, out: Outgoing, now: datetime) -> None:
        tx.put(OUTBOX, outbox_doc(out, self._order, now))
        self._order += 1


def outbox_doc(out: Outgoing, order: int, now: datetime) -> dict[str, Any]:
    return {
        "id": out.id,
        "order": order,
        "room": out.room_id,
        "text": out.text,
        "thread": out.thread,
        "attachments": [dict(a) for a in out.attachments],
        "at": now.isoformat(),
    }


def outgoing_from(doc: dict[str, Any]) -> Outgoing:
    return Outgoing(doc["id"], doc["room"], doc["text"], doc["thread"], tuple(doc["attachments"]))

"""/suspend: an account manager suspends a partner, with the reason."""

from __future__ import annotations

from commands import program
from engine.framework import Command, Context, Role
from i18n import N_
from workflows.onboarding import Suspend


async def suspend(ctx: Context) -> None:
    """Suspends the partner; it is told, with the reason."""
    await program.change_status(ctx, Suspend, "suspend")


SPEC = Command(
    name="suspend",
    summary=N_("suspend an active partner for non-compliance; the reason is shown to it"),
    usage="<partner-id> <reason ...>",
    example="/suspend acme-hosting no sales report since August",
    roles=frozenset({Role.MANAGER}),
    handler=suspend,
)

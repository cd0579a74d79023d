"""/remove: an account manager removes a partner, with the reason."""

from __future__ import annotations

from commands import program
from engine.framework import Command, Context, Role
from i18n import N_
from workflows.onboarding import Remove


async def remove(ctx: Context) -> None:
    """Removes the partner; it is told, with the reason."""
    await program.change_status(ctx, Remove, "remove")


SPEC = Command(
    name="remove",
    summary=N_("remove a partner from the program; the reason is shown to it"),
    usage="<partner-id> <reason ...>",
    example="/remove acme-hosting the agreement was not renewed",
    roles=frozenset({Role.MANAGER}),
    handler=remove,
)

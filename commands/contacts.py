"""/contacts: the partner's chat users (the applicant is the first)."""

from __future__ import annotations

from commands import program
from commands.framework import Command, Context, Refused, Role, UsageError
from workflows.onboarding import AddContact, RemoveContact
from workflows.text import mention, quote


async def contacts(ctx: Context) -> None:
    """Lists, adds or removes the users who act for the partner."""
    partner = await program.own(ctx)
    if not ctx.args.words:
        ctx.reply(
            f"Contacts of {quote(partner.company)}: "
            + ", ".join(mention(name) for name in partner.contacts)
        )
        return
    verb = ctx.args.words[0].lower()
    if verb not in ("add", "remove") or len(ctx.args.words) != 2:
        raise UsageError("it is /contacts add|remove @user")
    username = ctx.args.words[1].lstrip("@").lower()
    if verb == "add":
        member = await ctx.tx.get(program.MEMBERS, username)
        if member is not None and member["partner"] != partner.id:
            # The same words whoever the user is with: nothing of another partner is told.
            raise Refused(f"{mention(username)} cannot be added as a contact.")
        await program.act(ctx, partner, AddContact(username), f"contact @{username} added")
        ctx.reply(f"{mention(username)} is now a contact of {quote(partner.company)}.")
    else:
        await program.act(ctx, partner, RemoveContact(username), f"contact @{username} removed")
        ctx.reply(f"{mention(username)} is no longer a contact of {quote(partner.company)}.")


SPEC = Command(
    name="contacts",
    summary="list your partner's chat users, or add or remove one",
    usage="[add|remove @user]",
    example="/contacts add @joana",
    roles=frozenset({Role.PARTNER}),
    handler=contacts,
)

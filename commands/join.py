"""/join: an invited user accepts the invitation to be a partner's contact."""

from __future__ import annotations

from commands import program
from commands.framework import Command, Context, Refused, Role, UsageError
from workflows.onboarding import AcceptInvitation, Partner
from workflows.text import quote


async def join(ctx: Context) -> None:
    """Accepts an invitation (`/contacts add`): the caller becomes a contact of the partner
    and joins its private group."""
    partner_id = ctx.word(0, "the partner id").lower()
    if len(ctx.args.words) > 1:
        raise UsageError(f"unexpected {ctx.args.words[1]!r}")
    username = ctx.caller.user.username
    doc = await ctx.tx.get(program.PARTNERS, partner_id)
    partner = None if doc is None else Partner.from_doc(doc)
    if partner is None or not partner.is_invited(username):
        # the same for a partner that does not exist: nothing of it is revealed
        raise Refused(
            f"You have no invitation to join {partner_id}: a partner's contacts invite you "
            f"with `/contacts add @{username}`."
        )
    program.check_may_be_contact(ctx, username)
    if await ctx.tx.get(program.MEMBERS, username.lower()) is not None:
        raise Refused(
            "You are already a contact of a partner, and a user acts for one partner only: "
            f"to change, you leave it first (`/contacts remove @{username}`)."
        )
    after = await program.act(ctx, partner, AcceptInvitation(), f"@{username} joined")
    text = f"Welcome: you are a contact of {quote(after.company)} (`{after.id}`) now."
    if after.workgroup is not None:
        text += " I added you to its private group."
    ctx.reply(text + " `/status` shows where it stands; `/help` what you can do.")


SPEC = Command(
    name="join",
    summary="accept an invitation to be a partner's contact",
    usage="<partner-id>",
    example="/join acme-hosting",
    roles=frozenset({Role.ANYONE}),
    handler=join,
)

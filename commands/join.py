"""/join: an invited user accepts the invitation to be a partner's contact."""

from __future__ import annotations

from commands import program
from engine.framework import Command, Context, Refused, Role, UsageError
from i18n import N_, _
from workflows.onboarding import AcceptInvitation, Partner
from workflows.text import quote


async def join(ctx: Context) -> None:
    """Accepts an invitation (`/contacts add`): the caller becomes a contact of the partner
    and joins its private group."""
    partner_id = ctx.word(0, _("the partner id")).lower()
    if len(ctx.args.words) > 1:
        raise UsageError(_("unexpected {word}").format(word=repr(ctx.args.words[1])))
    username = ctx.caller.user.username
    doc = await ctx.tx.get(program.PARTNERS, partner_id)
    partner = None if doc is None else Partner.from_doc(doc)
    if partner is None or not partner.is_invited(username):
        # the same for a partner that does not exist: nothing of it is revealed
        raise Refused(
            _(
                "You have no invitation to join {id}: a partner's contacts invite you with "
                "`/contacts add @{user}`."
            ).format(id=partner_id, user=username)
        )
    program.check_may_be_contact(ctx, username)
    if await ctx.tx.get(program.MEMBERS, username.lower()) is not None:
        raise Refused(
            _(
                "You are already a contact of a partner, and a user acts for one partner only: "
                "to change, you leave it first (`/contacts remove @{user}`)."
            ).format(user=username)
        )
    after = await program.act(ctx, partner, AcceptInvitation(), f"@{username} joined")
    values = {"company": quote(after.company), "id": after.id}
    if after.workgroup is not None:
        text = _(
            "Welcome: you are a contact of {company} (`{id}`) now. I added you to its private "
            "group. `/status` shows where it stands; `/help` what you can do."
        )
    else:
        text = _(
            "Welcome: you are a contact of {company} (`{id}`) now. `/status` shows where it "
            "stands; `/help` what you can do."
        )
    ctx.reply(text.format(**values))


SPEC = Command(
    name="join",
    summary=N_("accept an invitation to be a partner's contact"),
    usage="<partner-id>",
    example="/join acme-hosting",
    roles=frozenset({Role.ANYONE}),
    handler=join,
)

"""/contacts: the partner's chat users (the applicant is the first), and the invitations.

A user becomes a contact by consent: `/contacts add @user` sends them an invitation in
their direct messages with the bot, which they accept with `/join <partner-id>` (or its
button). Account managers manage any partner's contacts with `/contacts <partner-id>
add|remove @user`; their `add` is an invitation too, so nobody is made a contact of a
partner without saying yes.
"""

from __future__ import annotations

from commands import program
from engine.framework import Command, Context, Role, UsageError
from i18n import N_, _
from workflows.onboarding import InviteContact, Partner, RemoveContact
from workflows.text import mention, quote

VERBS = ("add", "remove")


async def contacts(ctx: Context) -> None:
    """Lists the partner's contacts and invitations, invites a user, or removes one."""
    partner, words = await _partner(ctx)
    if not words:
        ctx.reply(_listing(partner))
        return
    verb = words[0].lower()
    if verb not in VERBS or len(words) != 2:
        raise UsageError(_("it is /contacts add|remove @user"))
    username = words[1].strip().removeprefix("@").lower()
    if verb == "add":
        program.check_may_be_contact(ctx, username)
        await program.act(ctx, partner, InviteContact(username), f"invited @{username}")
        ctx.reply(
            _(
                "I sent {user} an invitation to be a contact of {company}; they become one "
                "when they accept it (`/join {id}`)."
            ).format(user=mention(username), company=quote(partner.company), id=partner.id)
        )
        return
    invited = partner.is_invited(username) and not partner.is_contact(username)
    what = f"invitation of @{username} withdrawn" if invited else f"contact @{username} removed"
    await program.act(ctx, partner, RemoveContact(username), what)
    values = {"user": mention(username), "company": quote(partner.company)}
    if invited:
        ctx.reply(_("The invitation of {user} to {company} is withdrawn.").format(**values))
    else:
        ctx.reply(_("{user} is no longer a contact of {company}.").format(**values))


async def _partner(ctx: Context) -> tuple[Partner, tuple[str, ...]]:
    """The partner and the words after it: an account manager names it first (checked
    as every manager command checks it); a contact's is their own."""
    words = ctx.args.words
    naming = ctx.caller.partner is None or len(words) in (1, 3)  # a contact's: 0 or 2 words
    if program.is_manager(ctx) and naming:
        if not words or (len(words) == 2 and words[0].lower() in VERBS):
            raise UsageError(_("name the partner first: see /partners for the ids"))
        return await program.managed(ctx, words[0]), words[1:]
    return await program.own(ctx), words


def _listing(partner: Partner) -> str:
    text = _("Contacts of {company}: {users}").format(
        company=quote(partner.company), users=", ".join(map(mention, partner.contacts))
    )
    if partner.invited:
        text += "\n" + _("Invited, not accepted yet: {users}").format(
            users=", ".join(map(mention, partner.invited))
        )
    return text


SPEC = Command(
    name="contacts",
    summary=N_(
        "list your partner's chat users, invite one (they accept with /join), or remove one"
    ),
    usage="[add|remove @user]; account managers: <partner-id> [add|remove @user]",
    example="/contacts add @joana",
    roles=frozenset({Role.PARTNER, Role.MANAGER}),
    handler=contacts,
)

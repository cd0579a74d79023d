"""/listing: step 5, the page of the partner's website that lists the vendor."""

from __future__ import annotations

from commands import program
from engine.framework import Command, Context, Role, UsageError
from i18n import N_, _
from workflows.onboarding import SubmitListing


async def listing(ctx: Context) -> None:
    """Checks the page and sends it to the account managers for approval."""
    if len(ctx.args.words) != 1:
        raise UsageError(_("give the page's URL, and only that"))
    partner = await program.own(ctx)
    check = await ctx.web.check(ctx.args.words[0])
    event = SubmitListing(ctx.args.words[0], check.mentions_vendor if check.ok else None)
    await program.act(ctx, partner, event, "listing submitted")
    ctx.reply(_("{check} The account managers will look at it.").format(check=check.summary()))


SPEC = Command(
    name="listing",
    summary=N_("submit the page of your website that lists the vendor"),
    usage="<url>",
    example="/listing https://acme.example/partners",
    roles=frozenset({Role.PARTNER}),
    handler=listing,
)

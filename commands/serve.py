"""/serve: the countries (ISO 3166 alpha-2) and languages (ISO 639-1) a partner serves, which
referrals are matched on and the directory shows. A partner's contacts declare them; an
account manager may correct them with `/serve <partner-id> ...`."""

from __future__ import annotations

from dataclasses import replace

from commands import program
from commands.referring import EXPERTISE, expertise_of
from engine.framework import Command, Context, Role, UsageError, refusal
from i18n import N_, _, locale
from workflows.onboarding import RuleError
from workflows.referrals import expertise_lines, parse_country, parse_language, parse_list
from workflows.text import quote

OPTIONS = frozenset({"countries", "languages"})


async def serve(ctx: Context) -> None:
    """Shows or declares the countries and languages the partner serves."""
    words = ctx.args.words
    if program.is_manager(ctx) and ctx.caller.partner is None:
        partner = await program.managed(ctx, ctx.word(0, program.PARTNER_ID))
        words = words[1:]
    else:
        partner = await program.own(ctx)
    if words:
        raise UsageError(_("unexpected {word}").format(word=quote(words[0], as_code=True)))
    unknown = set(ctx.args.options) - OPTIONS
    if unknown:
        raise UsageError(
            _("unexpected {word}").format(word=quote(f"{sorted(unknown)[0]}=", as_code=True))
        )
    before = await expertise_of(ctx.tx, partner.id)
    if not ctx.args.options:
        lines = expertise_lines(before, locale())
        ctx.reply("\n".join(lines) if lines else _("No countries or languages declared yet."))
        return
    try:
        after = before
        if "countries" in ctx.args.options:
            after = replace(
                after, countries=parse_list(ctx.args.options["countries"], parse_country)
            )
        if "languages" in ctx.args.options:
            after = replace(
                after, languages=parse_list(ctx.args.options["languages"], parse_language)
            )
    except RuleError as err:
        raise refusal(err) from None
    ctx.tx.put(
        EXPERTISE,
        after.to_doc(),
        what=f"{partner.id} serves {','.join(after.countries)} in {','.join(after.languages)}",
    )
    ctx.reply(
        _("Recorded for {company}:").format(company=quote(partner.company))
        + "\n"
        + "\n".join(expertise_lines(after, locale()))
    )


SPEC = Command(
    name="serve",
    summary=N_("the countries and languages your partner serves (for referrals and the directory)"),
    usage="[countries=BR,PT] [languages=pt,en]",
    example="/serve countries=BR,PT languages=pt,en",
    manager_usage="<partner-id> [countries=BR,PT] [languages=pt,en]",
    manager_example="/serve acme-hosting countries=BR languages=pt",
    roles=frozenset({Role.PARTNER, Role.MANAGER}),
    handler=serve,
    options=OPTIONS,
)

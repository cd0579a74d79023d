"""/onboard: apply to the partner program, in one message or field by field."""

from __future__ import annotations

from commands import program
from engine.framework import Command, Context, Refused, Role
from i18n import N_, _
from workflows.onboarding import (
    APPLICATION_FIELDS,
    Apply,
    Partner,
    Reapply,
    RuleError,
    Status,
    apply,
    check_field,
    missing_fields,
    partner_ids,
    slug,
)
from workflows.text import quote

QUESTIONS = {  # shown with _()
    "company": N_("What is your company's name?"),
    "type": N_("What kind of partner are you: hosting, technology or value-added?"),
    "website": N_("What is your company's website (https://...)?"),
    "email": N_("Which e-mail address should the program write to?"),
}
FIELDS = frozenset({*APPLICATION_FIELDS, "country"})


async def onboard(ctx: Context) -> None:
    """Applies with the fields given and asks for the missing ones; a partner's contact
    sees the checklist instead."""
    if program.is_manager(ctx):
        raise Refused(_("Account managers run the program; they do not apply to it."))
    if ctx.caller.partner is not None and not ctx.args.options:
        partner = await program.own(ctx)
        if partner.status is not Status.REJECTED:
            ctx.reply(program.checklist(partner, ctx.now, ctx.settings.timezone))
            return
    if ctx.args.words:
        raise Refused(_('Give the fields as key=value, e.g. company="Acme Hosting".'))
    fields = {name: _checked(name, value) for name, value in ctx.args.options.items()}
    _confirm_website(ctx, ctx.args.options.get("website"), fields.get("website"))
    await _next(ctx, fields)


async def answer(ctx: Context) -> None:
    """Takes the answer to the field the conversation asked for."""
    assert ctx.conversation is not None
    fields: dict[str, str] = dict(ctx.conversation["fields"])
    asking = ctx.conversation["asking"]
    typed = ctx.message.text.strip()
    try:
        fields[asking] = _checked(asking, typed)
    except Refused as err:  # the same question again, so the next answer is not misread
        raise Refused(
            _("{problem}. Once more (or `cancel`): {question}").format(
                problem=err, question=_(QUESTIONS[asking])
            )
        ) from None
    if asking == "website":
        _confirm_website(ctx, typed, fields[asking])
    await _next(ctx, fields)


def _confirm_website(ctx: Context, typed: str | None, url: str | None) -> None:
    """Says how a bare domain was read (https:// added)."""
    if typed is not None and url is not None and typed.strip() != url:
        ctx.reply(_("I read the website as {url}.").format(url=url))


async def _next(ctx: Context, fields: dict[str, str]) -> None:
    missing = missing_fields(fields)
    if missing:
        ctx.converse({"fields": fields, "asking": missing[0]})
        ctx.reply(_("{question} (or `cancel`)").format(question=_(QUESTIONS[missing[0]])))
        return
    ctx.end_conversation()
    await _submit(ctx, fields)


async def _submit(ctx: Context, fields: dict[str, str]) -> None:
    company, kind, website, email = (fields[name] for name in APPLICATION_FIELDS)
    country = fields.get("country")
    username = ctx.caller.user.username
    if ctx.caller.partner is not None:
        partner = await program.own(ctx)
        again = Reapply(company, kind, website, email, country)
        partner = await program.act(ctx, partner, again, "application resubmitted")
    else:
        partner_id, namesakes = await _free_id(ctx, company)
        try:
            event = Apply(company, kind, website, email, country)
            partner, effects = apply(partner_id, event, username, ctx.now, namesakes)
        except RuleError as err:
            raise Refused(str(err)) from None
        program.store(ctx, None, partner, "applied")
        partner = await program.carry_out(ctx, partner, effects)
    ctx.reply(  # not the id: a `-2` would tell that another partner has the name
        _(
            "Thank you! The application of {company} is with the account managers; I will "
            "tell you here when they decide. /status shows where it stands."
        ).format(company=quote(partner.company))
    )


async def _free_id(ctx: Context, company: str) -> tuple[str, list[Partner]]:
    """The new partner's id, and the partners whose name gives the same slug (the same or
    a similar name). It reads only the ids it tries, one by one (`partner_ids`), so that
    applications of other companies at the same moment do not conflict with this one."""
    stem = slug(company)
    namesakes: list[Partner] = []
    for candidate in partner_ids(company):
        doc = await ctx.tx.get(program.PARTNERS, candidate)
        if doc is None:
            return candidate, namesakes
        other = Partner.from_doc(doc)
        if slug(other.company) == stem:
            namesakes.append(other)
    raise AssertionError("partner_ids never ends")  # pragma: no cover


def _checked(name: str, value: str) -> str:
    if name not in FIELDS:
        raise Refused(_("{name}= is not a field of the application.").format(name=name))
    try:
        return check_field(name, value)
    except RuleError as err:
        raise Refused(str(err)) from None


SPEC = Command(
    name="onboard",
    summary=N_("apply to the partner program (asks for what is missing), or see your checklist"),
    usage="[company=...] [type=hosting|technology|value-added] [website=...] [email=...] "
    "[country=...]",
    example='/onboard company="Acme Hosting" type=hosting website=https://acme.example '
    "email=partners@acme.example",
    roles=frozenset({Role.ANYONE}),
    handler=onboard,
    options=FIELDS,
    answer=answer,
    unlisted_for=frozenset({Role.MANAGER}),
)

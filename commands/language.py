"""/language: anyone chooses the language the bot writes to them in; a partner's contact
chooses it for the partner's rooms too (`engine.languages` keeps the choices)."""

from __future__ import annotations

from engine.framework import Command, Context, Role, UsageError
from engine.languages import LANGUAGES, PARTNER, USER, choice
from i18n import LANGUAGES as OFFERED
from i18n import N_, _, language, language_tag, speaking
from workflows.text import quote

# Each language by its own name, as its readers look for it in a list (not translated).
NAMES = {"en": "English", "pt-BR": "Português (Brasil)", "es": "Español"}


def offered() -> str:
    """The offered languages as a list to choose from: `pt-BR` (Português (Brasil)), ..."""
    return ", ".join(f"`{tag}` ({NAMES[tag]})" for tag in OFFERED)


def another(tag: str) -> str:
    """An offered language other than `tag`, for an example."""
    return next(other for other in OFFERED if other != tag)


async def choose_language(ctx: Context) -> None:
    """Without a word: the caller's language and the offered ones. With one: the caller's
    new language, and a contact's partner's rooms' too; the reply is in the new one."""
    if len(ctx.args.words) > 1:
        raise UsageError(_("give one language: {languages}").format(languages=offered()))
    if not ctx.args.words:
        _show(ctx)
        return
    typed = ctx.args.words[0]
    tag = language_tag(typed)
    if tag is None:
        raise UsageError(
            _("I do not speak {language}; choose one of {languages}").format(
                language=quote(typed, as_code=True), languages=offered()
            )
        )
    username = ctx.caller.user.username
    ctx.tx.put(LANGUAGES, choice(USER, username, tag, ctx.now), what=f"language {tag}")
    partner = ctx.caller.partner
    if partner is not None:
        ctx.tx.put(
            LANGUAGES, choice(PARTNER, partner, tag, ctx.now), what=f"partner language {tag}"
        )
    with speaking(tag):
        if partner is None:
            text = _("Done: from now on I write to you in {name}.").format(name=NAMES[tag])
        else:
            # Not the partner's name: the reply may be read in a channel (not private).
            text = _(
                "Done: from now on I write to you, and in your company's workgroup, in {name}."
            ).format(name=NAMES[tag])
        ctx.reply(text)


def _show(ctx: Context) -> None:
    tag = language()
    ctx.reply(
        _(
            "I write to you in {name} (`{tag}`). Languages offered: {languages}.\n"
            "Change it with `/language <language>`, e.g. `/language {example}`."
        ).format(name=NAMES[tag], tag=tag, languages=offered(), example=another(tag))
    )


SPEC = Command(
    name="language",
    summary=N_("shows or changes your language; a contact's choice is their workgroup's too"),
    usage="[en|pt-BR|es]",
    example="/language pt-BR",
    roles=frozenset({Role.ANYONE}),
    handler=choose_language,
    private=False,  # it shows nothing of anyone
)

"""/help: the commands this user may use, generated from the command specs."""

from __future__ import annotations

import difflib
from datetime import date

from engine.framework import Command, Context, Refused, Role, UsageError
from i18n import N_, _
from workflows.text import quote


async def show_help(ctx: Context) -> None:
    """Lists the commands the caller may use, or explains one of them."""
    if len(ctx.args.tokens) > 1:
        raise UsageError(_("give at most one command name"))
    if ctx.args.words:
        name = ctx.args.words[0].lower().removeprefix("/")
        ctx.reply(describe(_lookup(ctx, name), ctx.today, ctx.caller.roles))
        return
    usable = ctx.registry.usable_by(ctx.caller.roles)
    lines = [_("Commands you can use:")]
    lines += [f"• {forms(command, ctx.caller.roles)}: {_(command.summary)}" for command in usable]
    lines.append(_("Type `/help <command>` or `/<command> help` for an example."))
    ctx.reply("\n".join(lines))


def describe(command: Command, today: date, roles: frozenset[Role] | None = None) -> str:
    """The help text of one command: usage, summary, and the example as of `today`, with
    the forms the holder of `roles` may use."""
    example = _("Example: `{example}`").format(example=command.example_on(today, roles))
    return f"{forms(command, roles)}\n{_(command.summary)}\n{example}"


def forms(command: Command, roles: frozenset[Role] | None) -> str:
    """The usage lines the holder of `roles` may use, in code: `/x a` or `/x b`."""
    shown = [f"`{form}`" for form in command.usage_lines(roles)]
    if len(shown) == 1:
        return shown[0]
    return _("{some} or {other}").format(some=", ".join(shown[:-1]), other=shown[-1])


def unknown(name: str, known: list[Command]) -> str:
    """The reply to an unknown command, with the closest one the caller may use."""
    names = [command.name for command in known]
    close = difflib.get_close_matches(name.lower(), names, n=1, cutoff=0.6)
    typed = quote("/" + name, as_code=True)
    if close:
        return _(
            "I don't know {command}. Did you mean /{close}? Type /help to see the commands."
        ).format(command=typed, close=close[0])
    return _("I don't know {command}. Type /help to see the commands.").format(command=typed)


def _lookup(ctx: Context, name: str) -> Command:
    command = ctx.registry.get(name)
    if command is None:
        raise Refused(unknown(name, ctx.registry.usable_by(ctx.caller.roles)))
    if not command.allows(ctx.caller.roles):
        raise Refused(command.only_for())
    return command


SPEC = Command(
    name="help",
    summary=N_("lists the commands you can use here, or explains one"),
    usage="[command]",
    example="/help help",
    roles=frozenset({Role.ANYONE}),
    handler=show_help,
    private=False,  # it shows only what the caller may use
)

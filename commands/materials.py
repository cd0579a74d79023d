"""/materials: the program's documents (brand guide, badge, slides, brochure, quarterly
analytical reports), listed to partners and account managers and kept by the managers; a new
quarterly report is told to every active partner's workgroup, once each."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from commands import bulletin, program
from commands.announce import next_id
from engine.framework import Command, Context, Refused, Role, UsageError
from i18n import N_, _, day, ngettext
from workflows.text import quote

MATERIALS = "materials"
QUARTERLY, DOCUMENT = "quarterly", "document"
KINDS = (QUARTERLY, DOCUMENT)
MAX_TITLE, MAX_URL, MAX_MATERIALS = 120, 500, 100


def url_problem(url: str) -> str | None:
    """Why `url` is not a web address the bot lists, or None."""
    if len(url) > MAX_URL:
        return _("the address is longer than {most} characters").format(most=MAX_URL)
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in url)
    ):
        return _("{url} is not a web address: write it as https://...").format(
            url=quote(url, as_code=True)
        )
    return None


async def listed(ctx: Context) -> list[dict[str, Any]]:
    """The materials in the order they are listed (and numbered): oldest first."""
    docs = [doc async for doc in ctx.tx.scan(MATERIALS)]
    return sorted(docs, key=lambda doc: int(str(doc["id"]).removeprefix("M-")))


async def materials(ctx: Context) -> None:
    """Lists the program's documents; managers add and remove them."""
    words = ctx.args.words
    if not words:
        await _list(ctx)
        return
    action = words[0].lower()
    if action not in ("add", "remove"):
        raise UsageError(
            _("{word} is not understood; say add or remove, or nothing").format(
                word=quote(words[0], as_code=True)
            )
        )
    if not program.is_manager(ctx):
        raise Refused(_("Only account managers can do that."))
    if action == "add":
        await _add(ctx, list(words[1:]))
    else:
        await _remove(ctx, list(words[1:]))


async def _list(ctx: Context) -> None:
    found = await listed(ctx)
    if not found:
        ctx.reply(_("No materials yet."))
        return
    lines = [_("The partner program's materials:")]
    for number, doc in enumerate(found, start=1):
        title, url = quote(doc["title"]), quote(doc["url"])
        if doc["kind"] == QUARTERLY:
            line = _("{n}. {title} (quarterly report): {url}")
        else:
            line = _("{n}. {title}: {url}")
        lines.append(line.format(n=number, title=title, url=url))
    ctx.reply("\n".join(lines))


async def _add(ctx: Context, words: list[str]) -> None:
    kind = DOCUMENT
    if words and words[0].lower() == QUARTERLY:
        kind, words = QUARTERLY, words[1:]
    if len(words) < 2:
        raise UsageError(_("the title and the address are required"))
    title, url = " ".join(words[:-1]).strip(), words[-1].strip()
    if not title:
        raise UsageError(_("the title is missing"))
    if len(title) > MAX_TITLE:
        raise UsageError(_("the title is longer than {most} characters").format(most=MAX_TITLE))
    problem = url_problem(url)
    if problem is not None:
        raise UsageError(problem)
    if len(await listed(ctx)) >= MAX_MATERIALS:
        raise Refused(
            _("There are {n} materials already; remove one first.").format(n=MAX_MATERIALS)
        )
    material_id = await next_id(ctx, MATERIALS, "M-")
    doc = {
        "id": material_id,
        "kind": kind,
        "title": title,
        "url": url,
        "by": ctx.caller.user.username,
        "at": ctx.now.isoformat(),
    }
    ctx.tx.put(MATERIALS, doc, what=f"material {material_id} added")
    shown_title, shown_url = quote(title), quote(url)
    if kind != QUARTERLY:
        ctx.reply(_("Added to the materials: {title}.").format(title=shown_title))
        return
    on = ctx.today

    def notice() -> str:
        return _("A new quarterly report is in the materials ({day}): {title}, {url}").format(
            day=day(on), title=shown_title, url=shown_url
        )

    count = await bulletin.to_workgroups(ctx, bulletin.MATERIAL, material_id, notice)
    ctx.reply(
        ngettext(
            "Added to the materials: {title}; {n} workgroup is told.",
            "Added to the materials: {title}; {n} workgroups are told.",
            count,
        ).format(title=shown_title, n=count)
    )


async def _remove(ctx: Context, words: list[str]) -> None:
    if len(words) != 1 or not words[0].isdigit():
        raise UsageError(_("say which one by its number in /materials"))
    found = await listed(ctx)
    number = int(words[0])
    if not 1 <= number <= len(found):
        raise UsageError(
            ngettext(
                "there is {n} material: say its number",
                "there are {n} materials: say a number from 1 to {n}",
                len(found),
            ).format(n=len(found))
            if found
            else _("there are no materials to remove")
        )
    doc = found[number - 1]
    ctx.tx.delete(MATERIALS, doc["id"], what=f"material {doc['id']} removed")
    ctx.reply(_("Removed from the materials: {title}.").format(title=quote(doc["title"])))


SPEC = Command(
    name="materials",
    summary=N_("the program's documents: brand guide, badge, slides, brochure, reports"),
    usage="",
    example="/materials",
    roles=frozenset({Role.PARTNER, Role.MANAGER}),
    handler=materials,
    manager_usage="[add [quarterly] <title> <url> | remove <n>]",
    manager_example='/materials add quarterly "Q3 2027 report" https://vendor.example/q3.pdf',
)

"""The catalogs' tooling, with Babel: `python -m i18n.catalog compile|update|check`.

- `update` extracts every message from the code (`_`, `ngettext`, `N_`) and brings each
  locale's `messages.po` in step: new messages are added untranslated, gone ones dropped.
- `check` reports what a catalog lacks or gets wrong: an untranslated or fuzzy message, a
  message the code no longer has, one the code has that the catalog lacks, placeholders
  that differ from the English ones, the wrong number of plural forms.
- `fragment NAME FILE...` writes `i18n/fragments/NAME.<locale>.po` for the messages of
  those files, so that several people translate parts at once; `update` takes the
  translations from there; `fragment-check NAME FILE...` is `check` for a fragment.
- `compile` checks, then writes the `.mo` files the bot reads; a bad catalog fails the
  set-up (`.ci/venv.sh`), never a user's reply.
"""

from __future__ import annotations

import io
import re
import string
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from i18n import _LOCALE_NAMES, DOMAIN, LOCALES, SOURCE

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("bot.py", "config.py", "chat", "commands", "engine", "workflows")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
LOCALE_DIRS = tuple(_LOCALE_NAMES[tag] for tag in _LOCALE_NAMES if tag != SOURCE)


def extract(root: Path = ROOT, sources: Iterable[str] = SOURCES) -> Catalog:
    """Every message the code marks (in `sources`), as a template catalog."""
    template = Catalog(project="partnerbot", charset="utf-8")
    options = {"encoding": "utf-8"}
    for source in sources:
        path = root / source
        found: Iterable[tuple[str, int, str | tuple[str, ...], list[str], str | None]]
        if path.is_dir():
            found = extract_from_dir(
                path,
                [("**/__pycache__/**", "ignore"), ("**.py", "python")],
                {"**.py": options},
                KEYWORDS,
                comment_tags=("TRANSLATORS:",),
                strip_comment_tags=True,
            )
        else:
            found = (
                (path.name, *entry)
                for entry in extract_from_file(
                    "python", path, KEYWORDS, ("TRANSLATORS:",), options, True
                )
            )
        for filename, lineno, message, comments, context in found:
            where = f"{source}/{filename}" if path.is_dir() else source
            template.add(
                message,
                None,
                [(where, lineno)],
                auto_comments=comments,
                context=context,
                flags=_flags(message),
            )
    return template


def _flags(message: str | tuple[str, ...]) -> tuple[str, ...]:
    texts = (message,) if isinstance(message, str) else message
    return ("python-brace-format",) if any(fields(text) for text in texts) else ()


def fields(text: str) -> frozenset[str]:
    """The `{name}` placeholders of a message (`ValueError` when it is malformed)."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def po_path(locale_dir: str) -> Path:
    return LOCALES / locale_dir / "LC_MESSAGES" / f"{DOMAIN}.po"


_PO_LINE = re.compile(
    r'(?:(?:msgctxt|msgid|msgid_plural|msgstr(?:\[[0-9]+\])?)\s+)?"(?:[^"\\]|\\.)*"\s*'
)


def read(locale_dir: str) -> Catalog:
    """A locale's catalog; `ValueError` naming the line when the file is not a `.po` file
    Babel reads as written (it skips some broken lines silently)."""
    path = po_path(locale_dir)
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip() and not line.startswith("#") and not _PO_LINE.fullmatch(line):
            raise ValueError(f"line {number} is malformed: {line!r}")
    with path.open("rb") as file:
        return read_po(file, locale=locale_dir, domain=DOMAIN, abort_invalid=True)


def _key(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def problems(catalog: Catalog, template: Catalog) -> list[str]:
    """What is wrong with `catalog` against the code's messages in `template`."""
    found: list[str] = []
    wanted = {_key(message) for message in template if message.id}
    have = {_key(message) for message in catalog if message.id}
    for missing in sorted(wanted - have):
        found.append(f"not in the catalog: {missing!r}")
    for gone in sorted(have - wanted):
        found.append(f"no longer in the code: {gone!r}")
    forms = catalog.num_plurals
    for message in catalog:
        if not message.id:
            continue
        name = _key(message)
        if message.fuzzy:
            found.append(f"fuzzy: {name!r}")
        ids = (message.id,) if isinstance(message.id, str) else tuple(message.id)
        strings = (
            (message.string,) if isinstance(message.string, str) else tuple(message.string or ())
        )
        if isinstance(message.id, tuple) and len(strings) != forms:
            found.append(f"{len(strings)} plural forms, not {forms}: {name!r}")
        if not all(strings):
            found.append(f"untranslated: {name!r}")
            continue
        try:
            expected = fields(ids[-1]) | fields(ids[0])
            for text in strings:
                got = fields(text)
                if not got <= expected or (len(strings) == 1 and got != fields(ids[0])):
                    found.append(
                        f"placeholders {sorted(got)} instead of {sorted(expected)}: {name!r}"
                    )
                text.format(**{field: "x" for field in got})
        except (ValueError, IndexError, KeyError) as err:
            found.append(f"malformed ({err}): {name!r}")
    return found


FRAGMENTS = Path(__file__).parent / "fragments"


def _updated(path: Path, locale_dir: str, template: Catalog) -> Catalog:
    """The catalog at `path` (a new one if none) brought in step with `template`."""
    if path.exists():
        with path.open("rb") as file:
            catalog = read_po(file, locale=locale_dir, domain=DOMAIN)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
    else:
        catalog = Catalog(locale=locale_dir, domain=DOMAIN, project="partnerbot")
        catalog.update(template, no_fuzzy_matching=True)
    catalog.fuzzy = False  # the header: its Plural-Forms must reach the .mo
    return catalog


def _write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        write_po(file, catalog, width=100, omit_header=False, sort_output=False)


def update(template: Catalog) -> None:
    """Each locale's catalog in step with the code; a message still untranslated takes its
    translation from a fragment (`i18n/fragments/<name>.<locale>.po`) that has one."""
    for locale_dir in LOCALE_DIRS:
        _write(po_path(locale_dir), _updated(po_path(locale_dir), locale_dir, template))
        catalog = read(locale_dir)  # as written: messages Babel just added take no string
        for fragment_path in sorted(FRAGMENTS.glob(f"*.{locale_dir}.po")):
            with fragment_path.open("rb") as file:
                fragment = read_po(file, locale=locale_dir, domain=DOMAIN)
            for message in fragment:
                target = catalog.get(message.id, message.context) if message.id else None
                if target is None or message.fuzzy:
                    continue
                have = (target.string,) if isinstance(target.string, str) else target.string
                if not all(have or ()):
                    target.string = message.string
        _write(po_path(locale_dir), catalog)


def fragment(name: str, sources: list[str]) -> None:
    """`i18n/fragments/<name>.<locale>.po` for the messages of `sources`: a part of the
    catalogs that one person translates while others translate other parts."""
    template = extract(ROOT, sources)
    for locale_dir in LOCALE_DIRS:
        path = FRAGMENTS / f"{name}.{locale_dir}.po"
        _write(path, _updated(path, locale_dir, template))


def errors(catalog: Catalog) -> list[str]:
    """What would make a reply fail or read wrong: placeholders other than the English
    ones, malformed braces, the wrong number of plural forms (untranslated messages are
    not errors here: they show in English until translated, and `check` reports them)."""
    template = Catalog()
    for message in catalog:
        if message.id:
            template.add(message.id, context=message.context)
    return [
        problem
        for problem in problems(catalog, template)
        if not problem.startswith(("untranslated", "fuzzy"))
    ]


def compile_all() -> list[str]:
    """Writes each locale's `.mo`, unless a catalog cannot be read or has `errors`."""
    found: list[str] = []
    catalogs = []
    for locale_dir in LOCALE_DIRS:
        try:
            catalog = read(locale_dir)
        except Exception as err:  # Babel's parser raises several kinds
            found.append(f"{po_path(locale_dir)}: cannot be read: {err}")
            continue
        found += [f"{po_path(locale_dir)}: {problem}" for problem in errors(catalog)]
        catalogs.append((locale_dir, catalog))
    if found:
        return found
    for locale_dir, catalog in catalogs:
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        target = po_path(locale_dir).with_suffix(".mo")
        tmp = target.with_suffix(".mo.tmp")
        tmp.write_bytes(buffer.getvalue())
        tmp.replace(target)
    return found


def main(argv: list[str]) -> int:
    action = argv[0] if argv else "compile"
    if action == "update":
        update(extract())
        return 0
    if action == "fragment" and len(argv) >= 3:
        fragment(argv[1], argv[2:])
        return 0
    if action == "fragment-check" and len(argv) >= 3:
        template = extract(ROOT, argv[2:])
        found = []
        for locale_dir in LOCALE_DIRS:
            with (FRAGMENTS / f"{argv[1]}.{locale_dir}.po").open("rb") as file:
                catalog = read_po(file, locale=locale_dir, domain=DOMAIN)
            found += [f"{locale_dir}: {problem}" for problem in problems(catalog, template)]
        for problem in found:
            print(problem, file=sys.stderr)
        return 1 if found else 0
    if action == "check":
        template = extract()
        found = [
            f"{locale_dir}: {problem}"
            for locale_dir in LOCALE_DIRS
            for problem in problems(read(locale_dir), template)
        ]
    elif action == "compile":
        found = compile_all()
    else:
        print(
            "usage: python -m i18n.catalog compile | update | check | "
            "fragment NAME FILE... | fragment-check NAME FILE...",
            file=sys.stderr,
        )
        return 2
    for problem in found:
        print(problem, file=sys.stderr)
    if found:
        print(f"{len(found)} problem(s) in the catalogs", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

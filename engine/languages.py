"""The book of languages: whose language each message is written in (`Languages`).

A user's language is, first found: the one they chose with `/language` (stored), the one
they chose in Rocket.Chat, the server's default language, `PARTNERBOT_LANGUAGE`. A
partner's rooms are in the language a contact chose for them with `/language`, else in
the applicant's. What the chat says is remembered for an hour (`REFRESH`), not asked on
every message; a look-up that fails or takes too long (`TIMEOUT`) falls back to the next
source and is tried again a few minutes later (`RETRY`). A slow look-up is not lost: it
goes on in the background and its answer serves the next message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from chat.base import ChatActions
from i18n import language_tag

if TYPE_CHECKING:
    from storage import Store
    from workflows.onboarding import Partner

log = logging.getLogger(__name__)

LANGUAGES = "languages"  # the stored choices: {"kind", "name", "language", "at"}
USER = "user"  # a user's own choice; "name" is the username, lower case
PARTNER = "partner"  # a partner's rooms' language, set by a contact; "name" is the partner id
KINDS = (USER, PARTNER)

REFRESH = timedelta(hours=1)
RETRY = timedelta(minutes=5)
TIMEOUT = 2.0  # seconds a message waits for a look-up before it falls back

_SERVER = "\0server"  # the cache key of the server's default (no username has a NUL)


def choice(kind: str, name: str, language: str, at: datetime) -> dict[str, Any]:
    """The stored document of a `/language` choice."""
    return {"kind": kind, "name": name.lower(), "language": language, "at": at.isoformat()}


@dataclass(frozen=True, slots=True)
class _Known:
    language: str | None  # an offered language, or None: the chat names none we offer
    until: datetime  # asked again from then on


class LanguageBook:
    """`Languages` for the running bot, over the store and the chat."""

    def __init__(
        self,
        store: Store,
        chat: ChatActions,
        default: str,
        clock: Callable[[], datetime],
        *,
        refresh: timedelta = REFRESH,
        retry: timedelta = RETRY,
        timeout: float = TIMEOUT,
    ) -> None:
        self._store = store
        self._chat = chat
        self._default = default
        self._clock = clock
        self._refresh = refresh
        self._retry = retry
        self._timeout = timeout
        self._known: dict[str, _Known] = {}
        self._asking: dict[str, asyncio.Task[str | None]] = {}

    @property
    def default(self) -> str:
        return self._default

    async def of_user(self, username: str) -> str:
        name = username.lower()
        chosen = await self._store.get(LANGUAGES, USER, name)
        if chosen is not None:
            return str(chosen["language"])
        mine = await self._cached(name, lambda: self._chat.user_language(username))
        if mine is not None:
            return mine
        server = await self._cached(_SERVER, self._chat.server_language)
        return server if server is not None else self._default

    async def of_partner(self, partner: Partner) -> str:
        chosen = await self._store.get(LANGUAGES, PARTNER, partner.id)
        if chosen is not None:
            return str(chosen["language"])
        if not partner.contacts:
            return self._default
        return await self.of_user(partner.contacts[0])  # the applicant, while a contact

    def forget(self) -> None:
        """Ask the chat afresh next time (the console's `:lang` changed its answers)."""
        self._known.clear()

    async def _cached(self, key: str, ask: Callable[[], Awaitable[str | None]]) -> str | None:
        known = self._known.get(key)
        if known is not None and self._clock() < known.until:
            return known.language
        asking = self._asking.get(key)
        if asking is None:
            asking = self._asking[key] = asyncio.ensure_future(self._ask(key, ask, known))
        try:
            return await asyncio.wait_for(asyncio.shield(asking), self._timeout)
        except TimeoutError:
            log.info("language look-up %r is slow; falling back meanwhile", key)
            return known.language if known is not None else None

    async def _ask(
        self, key: str, ask: Callable[[], Awaitable[str | None]], known: _Known | None
    ) -> str | None:
        try:
            raw = await ask()
        except Exception as err:  # any failure: fall back, and try again later
            log.warning("language look-up %r failed (%r); trying again later", key, err)
            language = known.language if known is not None else None
            self._known[key] = _Known(language, self._clock() + self._retry)
        else:
            language = language_tag(raw) if raw else None
            self._known[key] = _Known(language, self._clock() + self._refresh)
        finally:
            del self._asking[key]
        return language

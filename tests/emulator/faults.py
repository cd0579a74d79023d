"""Rate limits the tests switch on: REST 429s and DDP `too-many-requests` errors.

REST rate limiting (`apps/meteor/app/api/server/ApiClass.ts`, `enforceRateLimit`): per route,
Meteor's `RateLimiter` counts calls in a window that starts with the first call and lasts
`intervalTimeInMS`; defaults are 10 calls per 60 s (`apps/meteor/server/settings/rate.ts`),
and users holding `api-bypass-rate-limit` (roles admin, bot, app) are exempt.  Every limited
response carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`
(epoch ms); a refused call answers 429 with `api.tooManyRequests(error.message)`.

DDP methods are limited by Meteor's `DDPRateLimiter` (`packages/ddp-rate-limiter`), which
answers `Meteor.Error('too-many-requests', message, { timeToReset })`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from .model import JsonDict, seconds_up

REST_LIMIT_DEFAULT = 10
REST_INTERVAL_DEFAULT_MS = 60_000
BYPASS_ROLES = ("admin", "bot", "app")


def rest_limit_message(wait_ms: float) -> str:
    return (
        "Error, too many requests. Please slow down. You must wait "
        f"{seconds_up(wait_ms)} seconds before trying this endpoint again. "
        "[error-too-many-requests]"
    )


def ddp_limit_error(time_to_reset_ms: int) -> JsonDict:
    reason = (
        "Error, too many requests. Please slow down. You must wait "
        f"{seconds_up(time_to_reset_ms)} seconds before trying again."
    )
    return {
        "isClientSafe": True,
        "error": "too-many-requests",
        "reason": reason,
        "details": {"timeToReset": time_to_reset_ms},
        "message": f"{reason} [too-many-requests]",
        "errorType": "Meteor.Error",
    }


@dataclass
class Verdict:
    """The limiter's answer for one call: headers to add, and whether to refuse it."""

    headers: dict[str, str]
    refused: bool = False
    wait_ms: int = 0


@dataclass
class _Scripted:
    remaining: int
    reset_at_ms: int
    limit: int


@dataclass
class _Ratio:
    ratio: float
    rng: random.Random
    reset_ms: int
    limit: int


@dataclass
class _Window:
    started_ms: int
    count: int = 0


@dataclass
class RestLimits:
    """Scripted 429s (`rate_limit`, `rate_limit_ratio`) and the faithful per-route limiter."""

    now_ms: Callable[[], int]
    scripted: dict[str, list[_Scripted]] = field(default_factory=dict)
    ratios: dict[str, _Ratio] = field(default_factory=dict)
    real_limit: int | None = None
    real_interval_ms: int = REST_INTERVAL_DEFAULT_MS
    windows: dict[str, _Window] = field(default_factory=dict)
    announced_reset: dict[str, int] = field(default_factory=dict)
    early_calls: dict[str, int] = field(default_factory=dict)

    def script(self, route: str, calls: int, reset_ms: int, limit: int) -> None:
        entry = _Scripted(calls, self.now_ms() + reset_ms, limit)
        self.scripted.setdefault(route, []).append(entry)

    def ratio(self, route: str, ratio: float, seed: int, reset_ms: int, limit: int) -> None:
        self.ratios[route] = _Ratio(ratio, random.Random(seed), reset_ms, limit)

    def check(self, route: str, roles: list[str]) -> Verdict:
        now = self.now_ms()
        self._note_early(route, now)
        verdict = self._scripted(route, now) or self._ratio(route, now)
        if verdict is None:
            verdict = self._real(route, now, roles)
        if verdict.refused:
            self.announced_reset[route] = now + verdict.wait_ms
        return verdict

    def reset(self) -> None:
        """A restart forgets the in-memory limiter (scripted faults stay)."""
        self.windows.clear()

    def _note_early(self, route: str, now: int) -> None:
        if now < self.announced_reset.get(route, 0):
            self.early_calls[route] = self.early_calls.get(route, 0) + 1

    def _scripted(self, route: str, now: int) -> Verdict | None:
        queue = self.scripted.get(route, [])
        while queue and queue[0].remaining <= 0:
            queue.pop(0)
        if not queue:
            return None
        entry = queue[0]
        entry.remaining -= 1
        wait = max(entry.reset_at_ms - now, 0)
        return Verdict(_headers(entry.limit, 0, now + wait), refused=True, wait_ms=wait)

    def _ratio(self, route: str, now: int) -> Verdict | None:
        entry = self.ratios.get(route)
        if entry is None or entry.rng.random() >= entry.ratio:
            return None
        headers = _headers(entry.limit, 0, now + entry.reset_ms)
        return Verdict(headers, refused=True, wait_ms=entry.reset_ms)

    def _real(self, route: str, now: int, roles: list[str]) -> Verdict:
        if self.real_limit is None or any(role in BYPASS_ROLES for role in roles):
            return Verdict({})
        window = self.windows.get(route)
        if window is None or now - window.started_ms >= self.real_interval_ms:
            window = self.windows[route] = _Window(now)
        window.count += 1
        wait = window.started_ms + self.real_interval_ms - now
        remaining = max(self.real_limit - window.count, 0)
        refused = window.count > self.real_limit
        headers = _headers(self.real_limit, remaining, now + wait)
        return Verdict(headers, refused=refused, wait_ms=wait)


def _headers(limit: int, remaining: int, reset_at_ms: int) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(reset_at_ms),
    }


@dataclass
class DdpLimits:
    """Scripted `too-many-requests` answers for DDP methods and subscriptions, by name."""

    pending: dict[str, list[int]] = field(default_factory=dict)

    def script(self, name: str, calls: int, time_to_reset_ms: int) -> None:
        self.pending.setdefault(name, []).extend([time_to_reset_ms] * calls)

    def take(self, name: str) -> JsonDict | None:
        queue = self.pending.get(name)
        if not queue:
            return None
        return ddp_limit_error(queue.pop(0))

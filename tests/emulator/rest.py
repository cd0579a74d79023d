"""The REST API pipeline under `/api/v1/`, in the order `ApiClass.ts` and `router.ts` run it.

1. Typed routes (`API.v1.get/post(..., { query | body })`) validate before anything else and
   answer `{"success": false, "errorType": "error-invalid-params", "error": ...}`.
2. `authRequired` routes check `X-User-Id` + `X-Auth-Token` (only that the token exists, as
   `authenticatedRoute` does) and answer 401 with the "You must be logged in" body.
3. The rate limiter runs (`enforceRateLimit`); its headers go on the response, 429 if refused.
4. Legacy routes (`addRoute(..., { validateParams })`) validate and answer
   `{"success": false, "error": "<messages> [invalid-params]", "errorType": "invalid-params"}`.
5. The endpoint runs.  A thrown `Meteor.Error` becomes 400 with `error: "<reason> [<error>]"`,
   `errorType` and `details`; a plain `Error` becomes 400 with only `error: <message>`.
   From 8.0 an `unauthorized`/`error-unauthorized` one becomes 401 with only `error` (before,
   403 through `forbidden`): a 401 that is not about the token. `refuse_as_unauthorized`
   answers a route that way (`ApiClass.ts`, the `applyBreakingChanges` branch of the catch).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from aiohttp import web
from aiohttp.web_request import FileField

from .faults import RestLimits, rest_limit_message
from .model import JsonDict, User
from .schema import Schema, validate
from .store import Store

LOGGED_OUT_MESSAGE = "You must be logged in to do this."
# `Meteor.Error('error-unauthorized', ...)` of a permission check, as its message reads.
PERMISSION_REFUSED = (
    "User does not have the permissions required for this action [error-unauthorized]"
)


class ApiError(Exception):
    """An error answer: HTTP status and JSON body."""

    def __init__(self, status: int, body: JsonDict) -> None:
        super().__init__(body.get("error"))
        self.status = status
        self.body = body


def failure(error: Any, error_type: str | None = None, details: Any = None) -> ApiError:
    """`API.v1.failure(result, errorType, stack, error)`."""
    body: JsonDict = {"success": False, "error": error}
    if error_type is not None:
        body["errorType"] = error_type
    if details:
        body["details"] = details
    return ApiError(400, body)


def thrown(error: str, reason: str | None = None, details: Any = None) -> ApiError:
    """A `Meteor.Error(error, reason, details)` thrown inside an endpoint."""
    message = f"{reason} [{error}]" if reason else f"[{error}]"
    return failure(message, error, details)


def forbidden() -> ApiError:
    """`API.v1.forbidden()` before 8.0 keeps the word "unauthorized"."""
    return ApiError(403, {"success": False, "error": "unauthorized"})


def unauthorized(message: str = "unauthorized") -> ApiError:
    return ApiError(401, {"success": False, "error": message})


def logged_out() -> ApiError:
    body = {
        "success": False,
        "error": LOGGED_OUT_MESSAGE,
        "status": "error",
        "message": LOGGED_OUT_MESSAGE,
    }
    return ApiError(401, body)


@dataclass
class Call:
    """One request as an endpoint sees it."""

    api: RestApi
    request: web.Request
    route: str
    query: dict[str, str]
    body: Any
    files: dict[str, FileField] = field(default_factory=dict)
    user: User | None = None
    token: str | None = None

    @property
    def store(self) -> Store:
        return self.api.store

    @property
    def me(self) -> User:
        if self.user is None:
            raise logged_out()
        return self.user

    def url_param(self, name: str) -> str:
        return self.request.match_info[name]

    def field(self, name: str) -> Any:
        return self.body.get(name) if isinstance(self.body, dict) else None


Handler = Callable[[Call], Awaitable[JsonDict]]
Publish = Callable[[list[JsonDict]], Awaitable[None]]


@dataclass(frozen=True)
class Route:
    name: str
    method: Literal["GET", "POST"]
    handler: Handler
    path: str = ""
    auth: bool = True
    body: Literal["json", "multipart"] = "json"
    typed_schema: Schema | None = None
    legacy_schema: Schema | None = None

    @property
    def url(self) -> str:
        return f"/api/v1/{self.path or self.name}"

    @property
    def pattern(self) -> str:
        """The route as the server and `@rocket.chat/rest-typings` write it: `rooms.media/:rid`."""
        return re.sub(r"\{(\w+)\}", r":\1", self.path or self.name)


@dataclass(frozen=True)
class RestCall:
    method: str
    route: str
    status: int
    user: str | None


class RestApi:
    def __init__(self, store: Store, limits: RestLimits, publish: Publish) -> None:
        self.store = store
        self.limits = limits
        self.publish = publish
        self.login_error: tuple[int | str, str] | None = None
        self.delays: dict[str, float] = {}
        self.unauthorized_calls: dict[str, int] = {}  # route: calls still to refuse with 401
        self.calls: dict[str, int] = {}
        self.log: list[RestCall] = []
        self.record: Path | None = None  # a JSON Lines file: every request, as it came

    def add_routes(self, app: web.Application, routes: list[Route]) -> None:
        for route in routes:
            app.router.add_route(route.method, route.url, self._bind(route))

    def _bind(self, route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            return await self.dispatch(route, request)

        return handle

    async def dispatch(self, route: Route, request: web.Request) -> web.StreamResponse:
        self.calls[route.name] = self.calls.get(route.name, 0) + 1
        delay = self.delays.get(route.name, 0.0)
        if delay > 0:
            await asyncio.sleep(delay)
        headers: dict[str, str] = {}
        call: Call | None = None
        try:
            call = await self._parse(route, request)
            body = await self._run(route, call, headers)
            status = 200
        except ApiError as error:
            status, body = error.status, error.body
        user = call.user.username if call is not None and call.user is not None else None
        self.log.append(RestCall(route.method, route.name, status, user))
        if self.record is not None and call is not None:
            self._record(self.record, route, call, status)
        self.store.touch()
        return web.json_response(body, status=status, headers=headers)

    @staticmethod
    def _record(path: Path, route: Route, call: Call, status: int) -> None:
        """One line for the conformance test (tests/test_conformance.py), which checks each
        recorded query and body with the server's own validators."""
        entry = {
            "method": route.method,
            "route": route.pattern,
            "query": call.query,
            "body": call.body,
            "files": sorted(call.files),
            "status": status,
            "user": call.user.username if call.user is not None else None,
        }
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(entry, default=str) + "\n")

    async def _run(self, route: Route, call: Call, headers: dict[str, str]) -> JsonDict:
        if route.typed_schema is not None:
            self._validate(route.typed_schema, call, typed=True)
        if route.auth:
            self._authenticate(call)
        verdict = self.limits.check(route.name, call.user.roles if call.user else [])
        headers.update(verdict.headers)
        if verdict.refused:
            body = {"success": False, "error": rest_limit_message(verdict.wait_ms)}
            raise ApiError(429, body)
        if route.legacy_schema is not None:
            self._validate(route.legacy_schema, call, typed=False)
        if self.unauthorized_calls.get(route.name, 0) > 0:
            self.unauthorized_calls[route.name] -= 1
            raise unauthorized(PERMISSION_REFUSED)
        result = await route.handler(call)
        result["success"] = True
        return result

    async def _parse(self, route: Route, request: web.Request) -> Call:
        query = dict(request.query)
        call = Call(self, request, route.name, query, {})
        if route.method == "GET" or not request.body_exists:
            return call
        if route.body == "multipart" or request.content_type in (
            "multipart/form-data",
            "application/x-www-form-urlencoded",
        ):
            form = await request.post()
            call.body = {k: v for k, v in form.items() if not isinstance(v, FileField)}
            call.files = {k: v for k, v in form.items() if isinstance(v, FileField)}
            return call
        try:
            call.body = json.loads(await request.text() or "{}")
        except ValueError as error:
            raise failure(str(error)) from error
        return call

    def _authenticate(self, call: Call) -> None:
        user_id = call.request.headers.get("X-User-Id", "")
        token = call.request.headers.get("X-Auth-Token", "")
        user = self.store.user_by_token(user_id, token) if user_id and token else None
        if user is None:
            raise logged_out()
        call.user, call.token = user, token

    @staticmethod
    def _validate(schema: Schema, call: Call, typed: bool) -> None:
        data = call.query if call.request.method == "GET" else call.body
        errors = validate(schema, data)
        if not errors:
            return
        joined = "\n ".join(errors)
        if typed:
            body = {"success": False, "errorType": "error-invalid-params", "error": joined}
            raise ApiError(400, body)
        raise failure(f"{joined} [invalid-params]", "invalid-params")

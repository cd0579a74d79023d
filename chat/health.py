"""`/healthz` and `/metrics` on `PARTNERBOT_HEALTH_PORT`, served by aiohttp.

`/healthz` answers 200 while `problem()` is None, else 503 with the problem: a supervisor
or a load balancer polls it. `/directory.json`, when the wiring gives a `directory`, is
what that function returns, as JSON (read-only: GET and HEAD); the transport knows nothing
of what is in it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web


async def serve_health(
    port: int,
    problem: Callable[[], str | None],
    metrics: Callable[[], Awaitable[str]],
    host: str = "127.0.0.1",
    directory: Callable[[], Awaitable[Any]] | None = None,
) -> web.AppRunner:
    """Start the endpoints; the caller cleans up the returned runner."""

    async def healthz(_request: web.Request) -> web.Response:
        found = problem()
        if found is None:
            return web.Response(text="ok\n")
        return web.Response(status=503, text=f"{found}\n")

    async def show_metrics(_request: web.Request) -> web.Response:
        return web.Response(
            text=await metrics(),
            content_type="text/plain",
            charset="utf-8",
            headers={"X-Content-Type-Options": "nosniff"},
        )

    async def show_directory(_request: web.Request) -> web.Response:
        assert directory is not None
        return web.json_response(await directory(), headers={"X-Content-Type-Options": "nosniff"})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", show_metrics)
    if directory is not None:
        app.router.add_get("/directory.json", show_directory)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner

"""The store's own worker threads for file I/O."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from storage.errors import StorageError

P = ParamSpec("P")
T = TypeVar("T")


class IOThreads:
    """Worker threads for blocking file I/O, apart from asyncio's default executor.

    The bot's other blocking work (rocketchat_API calls, say) goes to the default
    executor; with threads of its own, a commit never queues behind a slow HTTP call.
    """

    def __init__(self, workers: int = 4) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="storage")

    async def run(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Call `function` in one of the threads and wait for its result.

        An OSError (a missing folder, a permission, a full disk) comes out as a
        StorageError with the same message, which names the file.
        """
        call = functools.partial(function, *args, **kwargs)
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, call)
        except OSError as error:
            raise StorageError(str(error)) from error

    def shutdown(self) -> None:
        """Let the threads end once the calls under way are done."""
        self._pool.shutdown(wait=False)

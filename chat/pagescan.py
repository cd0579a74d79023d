"""The listing check's page reader as a program of its own, for `chat.web.PageFetcher`.

`python -S -m chat.pagescan SECONDS` reads a page's text (UTF-8) on stdin and writes "1"
if it mentions the vendor, else "0". The fetcher runs it in a child process and kills it
at its deadline, so that no page, however it is built, takes the bot's CPU or its threads
for longer than that; the child also limits its own CPU time to SECONDS, in case its
parent cannot kill it.
"""

from __future__ import annotations

import resource
import sys

from workflows.listing import mentions_vendor


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit() or int(argv[0]) < 1:
        print("usage: python -S -m chat.pagescan SECONDS < page", file=sys.stderr)
        return 2
    seconds = int(argv[0])
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    page = sys.stdin.buffer.read().decode("utf-8", errors="replace")
    sys.stdout.write("1" if mentions_vendor(page) else "0")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Fetching a partner's listing page (step 5) without giving anyone a way into our network.

`PageFetcher.check(url)` reads at most `max_bytes` of an http or https page within `timeout`
seconds in all and says whether it mentions the vendor. Every host is resolved here, before
any connection, and refused when any of its addresses is not on the public internet
(loopback, private, link-local, CGNAT, multicast, reserved, unspecified; an IPv4 address
inside an IPv6 one is judged as IPv4; every range of IANA's special-purpose registries is
listed in `chat.addresses`). The connection then goes to exactly the addresses
that were checked: the session's resolver knows only those, so a DNS answer that changes
between the check and the connection (rebinding) is never used. The URL, the Host header
and TLS's server name stay the partner's. Redirects are followed by hand, each one checked
the same way. Whatever goes wrong comes back as a `ListingCheck` with a problem, never as
an exception.

The page is read (`workflows.listing.mentions_vendor`) in a child process of its own
(`chat.pagescan`), at most `max_readers` at a time, which is killed when `read_timeout`
runs out: however a page is built, a check takes at most `timeout` to fetch and
`read_timeout` to read, and never holds the event loop, the default thread pool (the REST
client's; host names are looked up in threads of their own too) or more than one core a
reader.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import functools
import ipaddress
import logging
import math
import socket
import sys
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from chat.addresses import is_public
from workflows.listing import ListingCheck

log = logging.getLogger(__name__)

USER_AGENT = "partnerbot (listing check)"
SCHEMES = frozenset({"http", "https"})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
CHUNK = 64 * 1024
# Besides text/*, the content types read as text.
TEXT_TYPES = frozenset({"application/xml", "application/json", "application/javascript"})
TEXT_SUFFIXES = ("+xml", "+json")  # application/xhtml+xml, image/svg+xml, ...
# Sent as application/octet-stream (or with no type, which aiohttp reports so): read it and
# call it text unless a NUL byte shows up in this many first bytes.
SNIFF_BYTES = 1024
ROOT = Path(__file__).resolve().parent.parent  # where `python -m chat.pagescan` runs
# The page reader: `chat.pagescan`, without site-packages (it needs only the standard
# library and this project's `workflows`), which starts in a few hundredths of a second.
READER: tuple[str, ...] = (sys.executable, "-S", "-E", "-m", "chat.pagescan")

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""(host, port) -> the host's IP addresses as strings; raises OSError when it has none."""

SessionFactory = Callable[[aiohttp.BaseConnector], aiohttp.ClientSession]
"""Makes the session for one check around the connector that pins its addresses."""


# The system resolver's threads: a partner's slow name server holds one of these (a
# lookup cannot be cancelled), never a thread of the default pool, which the REST client
# needs; checks beyond two wait here, within their own timeout.
_RESOLVER_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="listing-dns")


async def resolve_host(host: str, port: int) -> list[str]:
    """The system resolver, off the event loop and off the default thread pool."""
    lookup = functools.partial(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    infos = await asyncio.get_running_loop().run_in_executor(_RESOLVER_THREADS, lookup)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def open_session(connector: aiohttp.BaseConnector) -> aiohttp.ClientSession:
    # trust_env stays off: a proxy from the environment would resolve hosts itself.
    return aiohttp.ClientSession(connector=connector, trust_env=False)


def _host_port(url: URL) -> str:
    """The `allow` key of a URL: "host:port", an IPv6 host in brackets, the port always."""
    host = url.raw_host or ""
    return f"[{host}]:{url.port}" if ":" in host else f"{host}:{url.port}"


class _Failed(Exception):
    """Ends a check; `problem` finishes the sentence "I could not check <url>: ..."."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class _PinnedResolver(AbstractResolver):
    """aiohttp's resolver for one check: answers only with addresses already vetted."""

    def __init__(self) -> None:
        self._vetted: dict[str, list[str]] = {}

    def pin(self, host: str, addresses: Sequence[str]) -> None:
        self._vetted[host.rstrip(".")] = list(addresses)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = self._vetted.get(host.rstrip("."))
        if addresses is None:  # cannot happen: every host is pinned before its request
            raise OSError(f"{host} was not checked before connecting")
        results: list[ResolveResult] = []
        for address in addresses:
            found = socket.AF_INET6 if ":" in address else socket.AF_INET
            if family in (socket.AF_UNSPEC, found):
                results.append(
                    ResolveResult(
                        hostname=host, host=address, port=port, family=found, proto=0, flags=0
                    )
                )
        if not results:
            raise OSError(f"{host} has no checked address of family {family!r}")
        return results

    async def close(self) -> None:
        pass


class PageFetcher:
    """Checks listing pages; one short-lived session per check, nothing kept between them.

    `allow` holds "host:port" entries let through whatever their addresses (tests serve
    pages on loopback this way); production leaves it empty.
    """

    def __init__(
        self,
        session_factory: SessionFactory = open_session,
        resolver: Resolver = resolve_host,
        allow: frozenset[str] = frozenset(),
        timeout: float = 5.0,
        max_bytes: int = 1_000_000,
        max_redirects: int = 3,
        read_timeout: float = 3.0,
        reader: Sequence[str] = READER,
        max_readers: int = 2,
    ) -> None:
        """`timeout` bounds the fetch (redirects included), `read_timeout` the reading of
        the page (waiting for a free reader included); `reader` is the command line of the
        page reader, which gets the page on stdin and the CPU seconds it may use."""
        if timeout <= 0 or max_bytes <= 0 or max_redirects < 0 or read_timeout <= 0:
            raise ValueError(
                "timeout, read_timeout and max_bytes must be positive, max_redirects not negative"
            )
        if max_readers < 1:
            raise ValueError("max_readers must be at least 1")
        self._session_factory = session_factory
        self._resolve = resolver
        self._allow = frozenset(entry.lower() for entry in allow)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.read_timeout = read_timeout
        self._reader = tuple(reader)
        self._readers = asyncio.Semaphore(max_readers)

    async def check(self, url: str) -> ListingCheck:
        """Fetch `url` and say whether the page mentions the vendor; never raises."""
        url = url.strip()
        trail = [url]  # each address the check went to; the last one is `final_url`
        try:
            async with asyncio.timeout(self.timeout):
                page = await self._fetch(url, trail)
            mentions = await self._mentions_vendor(page)
            return ListingCheck.read(url, trail[-1], mentions=mentions)
        except _Failed as failure:
            problem = failure.problem
        except TimeoutError:
            seconds = "second" if self.timeout == 1 else "seconds"
            problem = f"it did not answer within {self.timeout:g} {seconds}"
        except aiohttp.ClientConnectorCertificateError:
            problem = "its certificate is not valid"
        except aiohttp.ClientSSLError:
            problem = "a secure connection could not be made"
        except aiohttp.ClientConnectorError:
            problem = "it could not be reached"
        except aiohttp.InvalidURL:
            problem = "it is not a valid web address"
        except (aiohttp.ClientError, OSError):
            problem = "the connection failed"
        except Exception:  # a bug here must not take the command down, but must be seen
            log.exception("listing check of %r failed", url)
            problem = "something went wrong while fetching it"
        log.info("listing check of %r (last at %r): %s", url, trail[-1], problem)
        return ListingCheck.failed(url, trail[-1], problem)

    async def _mentions_vendor(self, page: str) -> bool:
        """Whether the page mentions the vendor, read by a child process within `read_timeout`."""
        try:
            async with asyncio.timeout(self.read_timeout), self._readers:
                answer = await self._read_in_child(page)
        except TimeoutError:
            seconds = "second" if self.read_timeout == 1 else "seconds"
            problem = f"reading its page took longer than {self.read_timeout:g} {seconds}"
            raise _Failed(problem) from None
        if answer not in (b"0", b"1"):
            raise _Failed("its page could not be read")
        return answer == b"1"

    async def _read_in_child(self, page: str) -> bytes:
        """The reader's answer; the child is killed if this is cancelled (the deadline)."""
        cpu_seconds = str(math.ceil(self.read_timeout) + 1)
        child = await asyncio.create_subprocess_exec(
            *self._reader,
            cpu_seconds,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=ROOT,
        )
        try:
            out, err = await child.communicate(page.encode("utf-8", errors="replace"))
        finally:
            if child.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    child.kill()
                await child.wait()
        if child.returncode != 0:
            log.warning("the page reader ended with status %s: %r", child.returncode, err[-500:])
        return out.strip()

    async def _fetch(self, start: str, trail: list[str]) -> str:
        """The text of the page at `start`, redirects followed; `trail` gets each hop."""
        target = _parse(start, None)
        pinned = _PinnedResolver()
        pinned.pin(target.raw_host or "", await self._vet(target, None))
        connector = aiohttp.TCPConnector(resolver=pinned, use_dns_cache=False)
        async with self._session_factory(connector) as session:
            for hop in range(self.max_redirects + 1):
                async with session.get(
                    target, allow_redirects=False, headers={"User-Agent": USER_AGENT}
                ) as response:
                    if 200 <= response.status < 300:
                        return await self._read(response)
                    location = response.headers.get("Location")
                    if response.status not in REDIRECTS or location is None:
                        raise _Failed(f"it answered {response.status}")
                if hop == self.max_redirects:
                    raise _Failed(f"it redirected more than {self.max_redirects} times")
                target = _parse(location, target)
                trail.append(str(target))
                pinned.pin(target.raw_host or "", await self._vet(target, str(target)))
        raise AssertionError("the loop returns or raises")

    async def _vet(self, url: URL, redirect: str | None) -> list[str]:
        """The addresses to connect to for `url`, all public unless its host:port is allowed."""
        whose = "its" if redirect is None else f"it redirects to {redirect}, whose"
        host, port = url.raw_host or "", url.port or 0
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            try:
                addresses = list(await self._resolve(host, port))
            except OSError as error:
                log.info("%r does not resolve: %s", host, error)
                addresses = []
        if not addresses:
            raise _Failed(f"{whose} host could not be found")
        if _host_port(url) in self._allow:
            return addresses
        refused = [address for address in addresses if not is_public(address)]
        if refused:
            # The addresses go to the log only: chat is no place to map our network.
            log.warning("refused %r: %r resolves to %s", str(url), host, ", ".join(refused))
            raise _Failed(f"{whose} address is not on the public internet")
        return addresses

    async def _read(self, response: aiohttp.ClientResponse) -> str:
        """At most `max_bytes` of the body, as text; `_Failed` when it is not text."""
        kind = response.content_type
        textual = kind.startswith("text/") or kind in TEXT_TYPES or kind.endswith(TEXT_SUFFIXES)
        if not textual and kind != "application/octet-stream":
            raise _Failed(f"it is not a web page (it sent {kind})")
        body = bytearray()
        while len(body) < self.max_bytes:
            chunk = await response.content.read(min(CHUNK, self.max_bytes - len(body)))
            if not chunk:
                break
            body += chunk
        if len(body) >= self.max_bytes:
            response.close()  # the rest is never read: drop the connection
        if not textual and b"\0" in body[:SNIFF_BYTES]:
            raise _Failed("it is not a web page")
        return bytes(body).decode(_codec(response.charset), errors="replace")


def _parse(address: str, base: URL | None) -> URL:
    """An absolute http(s) URL with a host, or `_Failed`; `base` resolves a redirect's Location."""
    try:
        url = URL(address) if base is None else base.join(URL(address))
        has_host = bool(url.raw_host)
    except (ValueError, UnicodeError):
        url, has_host = None, False
    if base is None:
        if url is not None and url.scheme and url.scheme not in SCHEMES:
            raise _Failed("only http:// and https:// addresses can be checked")
        if url is None or not url.scheme or not has_host:
            raise _Failed("it is not a full web address (one starts with https://)")
        return url
    if url is not None and url.scheme not in SCHEMES:
        raise _Failed(f"it redirects to {url}, which is not an http:// or https:// address")
    if url is None or not has_host:
        raise _Failed("it redirects to an address that is not valid")
    return url


def _codec(charset: str | None) -> str:
    if charset:
        try:
            return codecs.lookup(charset).name
        except LookupError:
            pass
    return "utf-8"

"""Step 5's listing check: `workflows.listing` on its own, then `chat.web.PageFetcher`
against pages served on loopback and let through its test-only allowlist.

No DNS and no network beyond loopback: hosts resolve through a fake table, and the
`offline` guard fails any test that connects elsewhere or asks the system resolver for a name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st
from yarl import URL

from chat.addresses import SPECIAL_IPV4, SPECIAL_IPV6, TRANSLATED_IPV6, SpecialRange, is_public
from chat.web import USER_AGENT, PageFetcher, open_session
from commands.help import SPEC as HELP
from config import Settings
from engine.dispatch import Dispatcher
from engine.registry import Registry
from storage import SCHEMA, Store
from tests.fakes import BOT, Clock, FakeChat, message
from workflows.listing import ListingCheck, mentions_vendor

LOOPBACK = ("127.0.0.1", "::1")
REFUSED = "address is not on the public internet"


# --- mentions_vendor -------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        "<p>We are a Rocket.Chat partner.</p>",
        "<p>ROCKET.CHAT hosting</p>",
        "<li>RocketChat</li>",
        "<p>rocket chat, rocket-chat, rocket_chat</p>",
        "<p>Rocket&nbsp;Chat</p>",
        "<p>Rocket\n  Chat</p>",
        "<p><b>Rocket</b>.Chat</p>",
        '<img src="/logos/partners.png" alt="Rocket.Chat logo">',
        '<img src="/logos/rocketchat-logo.svg" alt="">',
        '<a href="https://rocket.chat/">our chat vendor</a>',
        '<a href="https://example.com" title="Rocket.Chat">x</a>',
        '<img alt="Rocket.Chat"/>',
        "We list Rocket.Chat in plain text.",
        '<html><body><p>Partners</p><img alt="Rocket.Chat',  # cut off inside a tag
        "<script>var x = 1;</script><p>Rocket.Chat</p><style>p {}</style>",
    ],
)
def test_mentions_vendor_finds_the_name(html: str) -> None:
    assert mentions_vendor(html)


@pytest.mark.parametrize(
    "html",
    [
        "",
        "<p>We host Mattermost and Matrix.</p>",
        "<p>A rocket launch. Chat with us!</p>",
        "<!-- Rocket.Chat partner badge goes here --><p>Partners</p>",
        "<script>window.RocketChat = function () {}</script><p>Partners</p>",
        "<style>.rocket-chat { color: red }</style><p>Partners</p>",
        '<meta name="keywords" content="Rocket.Chat"><p>Partners</p>',
        '<div class="rocketchat-widget"></div>',
        '<script src="https://example.com/rocketchat-livechat.min.js"/><p>Partners</p>',
    ],
)
def test_mentions_vendor_ignores_what_is_not_a_mention(html: str) -> None:
    assert not mentions_vendor(html)


@given(st.text())
def test_mentions_vendor_takes_any_text(text: str) -> None:
    mentions_vendor(text)  # never raises, whatever the page is


@given(st.text(alphabet=st.characters(blacklist_characters="<&")))
def test_a_mention_after_any_plain_text_is_found(text: str) -> None:
    assert mentions_vendor(f"{text} Rocket.Chat")


# --- pathological pages ----------------------------------------------------------------

MB = 1_000_000
# Pages that make html.parser (or a careless pattern) quadratic, a megabyte each: the first
# took html.parser 507 s.
PATHOLOGICAL = {
    "open-comments": "<!--" * (MB // 4),
    "nested-tags": "<div><span>" * (MB // 11),
    "huge-attribute": '<img alt="' + "x" * MB + '">',
    "lt-flood": "<" * MB,
    "open-tag-flood": "<a" * (MB // 2),
    "attribute-flood": "<a " + "b " * (MB // 2),
    "open-quotes": '<a x="' * (MB // 6),
    "bang-flood": "<!" * (MB // 2),
    "spaces-after-rocket": "rocket" + " " * MB + "x",
    "character-references": "&amp;" * (MB // 5),
    "open-scripts": "<script>" * (MB // 8),
}
CPU_BUDGET = 10.0  # seconds of this process's CPU for one megabyte (it takes about 1)


class _OverBudget(Exception):
    pass


@contextmanager
def cpu_budget(seconds: float) -> Iterator[None]:
    """Fail the test once the block has used `seconds` of CPU (SIGPROF interrupts even a
    regular expression): a quadratic reader fails here instead of running for minutes."""

    def over(_signum: int, _frame: FrameType | None) -> None:
        raise _OverBudget

    previous = signal.signal(signal.SIGPROF, over)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    except _OverBudget:
        pytest.fail(f"more than {seconds} s of CPU")
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_a_pathological_page_is_read_in_linear_time(name: str) -> None:
    with cpu_budget(CPU_BUDGET):
        assert not mentions_vendor(PATHOLOGICAL[name])


@pytest.mark.parametrize(
    "html",
    [
        "<!-- Rocket.Chat",  # a comment left open hides the rest, as in a browser
        "<script>Rocket.Chat",
        "<style>.rocket-chat {}",
        "</a Rocket.Chat",
        "<!DOCTYPE Rocket.Chat",
    ],
)
def test_what_a_page_cut_off_in_markup_hides(html: str) -> None:
    assert not mentions_vendor(html)


@pytest.mark.parametrize(
    "html",
    [
        "<p>rocket" + " " * 10_000 + "chat</p>",
        "<<<p>Rocket.Chat</p>",
        "a < b, Rocket.Chat",
        '<a x="Rocket.Chat">',  # x is not a naming attribute: no
        '<A HREF="https://ROCKET.CHAT/">x</A>',
        "<img alt=Rocket.Chat>",
        "<script>x</script >Rocket.Chat",
        "<SCRIPT>x</SCRIPT>Rocket.Chat",
        "<!---->Rocket.Chat",
        "<!-->Rocket.Chat",
        '<img alt="Rocket.Chat',  # cut off inside the value
    ],
)
def test_markup_read_as_a_browser_would(html: str) -> None:
    assert mentions_vendor(html) == ("x=" not in html)


def test_summaries() -> None:
    url = "https://acme.example/partners"
    assert (
        ListingCheck.read(url, url, mentions=True).summary()
        == "The page `https://acme.example/partners` mentions Rocket.Chat."
    )
    assert (
        ListingCheck.read(url, url, mentions=False).summary()
        == "The page `https://acme.example/partners` does not mention Rocket.Chat."
    )
    assert (
        ListingCheck.read(url, "https://www.acme.example/partners/", mentions=True).summary()
        == "The page `https://acme.example/partners` (redirected to"
        " `https://www.acme.example/partners/`) mentions Rocket.Chat."
    )
    assert (
        ListingCheck.failed(url, url, "it answered 404").summary()
        == "I could not check `https://acme.example/partners`: it answered 404."
    )


def test_a_check_is_either_read_or_failed() -> None:
    with pytest.raises(ValueError):
        ListingCheck("u", "u", ok=True, mentions_vendor=None, problem=None)
    with pytest.raises(ValueError):
        ListingCheck("u", "u", ok=False, mentions_vendor=False, problem="x")
    with pytest.raises(ValueError):
        ListingCheck("u", "u", ok=True, mentions_vendor=True, problem="x")


# --- is_public -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.10",
        "169.254.169.254",
        "100.64.0.1",  # CGNAT
        "0.0.0.0",
        "0.1.2.3",
        "224.0.0.1",
        "239.255.255.250",
        "255.255.255.255",
        "240.0.0.1",
        "192.0.2.1",
        "198.18.0.1",
        "::1",
        "::",
        "fe80::1",
        "fe80::1%eth0",
        "fc00::1",
        "fd12:3456::1",
        "fec0::1",
        "ff02::1",
        "2001:db8::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",
        "2002:7f00:1::",  # 6to4 around 127.0.0.1
        "2002:a00:1::1",  # 6to4 around 10.0.0.1
        "64:ff9b::a00:1",  # NAT64 around 10.0.0.1
        "not an address",
        "",
    ],
)
def test_non_public_addresses(address: str) -> None:
    assert not is_public(address)


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"],
)
def test_public_addresses(address: str) -> None:
    assert is_public(address)


def _some_addresses(entry: SpecialRange) -> list[str]:
    """The first, a middle and the last address of a range."""
    network = entry.network
    middle = network.network_address + network.num_addresses // 2
    return [str(network.network_address), str(middle), str(network.broadcast_address)]


@pytest.mark.parametrize(
    "entry", [*SPECIAL_IPV4, *SPECIAL_IPV6], ids=lambda entry: f"{entry.network} {entry.rfc}"
)
def test_every_special_purpose_range_is_refused(entry: SpecialRange) -> None:
    assert [address for address in _some_addresses(entry) if is_public(address)] == []


@pytest.mark.parametrize("entry", SPECIAL_IPV4, ids=lambda entry: f"{entry.network} {entry.rfc}")
def test_a_special_purpose_ipv4_address_inside_an_ipv6_one_is_refused(entry: SpecialRange) -> None:
    ipv4 = entry.network.network_address + entry.network.num_addresses // 2
    packed = int(ipv4)
    forms = [
        f"::ffff:{ipv4}",  # IPv4-mapped
        str(ipaddress.IPv6Address((0x0064FF9B << 96) | packed)),  # NAT64
        str(ipaddress.IPv6Address((0x2002 << 112) | (packed << 80))),  # 6to4
    ]
    assert [form for form in forms if is_public(form)] == []


def test_the_translated_ranges_are_judged_by_their_ipv4_address() -> None:
    assert [str(entry.network) for entry in TRANSLATED_IPV6] == [
        "::ffff:0:0/96",
        "64:ff9b::/96",
        "2002::/16",
    ]
    assert is_public("::ffff:8.8.8.8") and is_public("2002:808:808::1")
    assert not is_public("::ffff:192.0.0.8") and not is_public("2002:c000:8::")


# --- the guard: no network beyond loopback, no DNS ------------------------------------


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Records (and stops) any connection off loopback and any real name lookup."""
    violations: list[str] = []
    connect = socket.socket.connect
    getaddrinfo = socket.getaddrinfo

    def guarded_connect(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in LOOPBACK:
            violations.append(f"connect {address}")
            raise ConnectionRefusedError("no network in tests")
        connect(sock, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None:
            try:
                getaddrinfo(host, None, flags=socket.AI_NUMERICHOST)
            except socket.gaierror:
                violations.append(f"lookup {host}")
                raise socket.gaierror(socket.EAI_NONAME, "no DNS in tests") from None
        return getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    yield violations
    assert violations == []


# --- a site on loopback ---------------------------------------------------------------

MENTIONS = (
    "<html><head><title>Partners</title></head><body><h1>Our partners</h1>"
    '<img src="/img/vendor.svg" alt="Rocket.Chat"><p>Team chat, hosted by us.</p></body></html>'
)
SILENT = "<html><body><h1>Our partners</h1><p>Mattermost, Matrix.</p></body></html>"
FILLER = "<p>" + "lorem ipsum " * 1000 + "</p>\n"  # 12,008 bytes


@dataclass
class Site:
    port: int
    other_port: int  # the same site on a second port, never allowed
    seen: list[tuple[str, str, str]] = field(default_factory=list)  # path, Host, User-Agent
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def allow(self) -> frozenset[str]:
        return frozenset({f"127.0.0.1:{self.port}"})


def site_app(site: Site) -> web.Application:
    @web.middleware
    async def record(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        site.seen.append((request.path, request.host, request.headers.get("User-Agent", "")))
        return await handler(request)

    Handler = Callable[[web.Request], Awaitable[web.Response]]

    def html(text: str, kind: str = "text/html") -> Handler:
        async def page(_request: web.Request) -> web.Response:
            return web.Response(text=text, content_type=kind)

        return page

    async def chain(request: web.Request) -> web.Response:
        # /r/3 -> /r/2 -> /r/1 -> /r/0 -> /mentions, by every redirect status and both
        # relative forms of Location
        n = int(request.match_info["n"])
        location = str(n - 1) if n > 0 else "../mentions"
        if n == 2:
            location = f"http://127.0.0.1:{site.port}/r/1"
        status = (301, 302, 303, 307, 308)[n % 5]
        return web.Response(status=status, headers={"Location": location})

    async def to(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": request.query["location"]})

    async def no_location(_request: web.Request) -> web.Response:
        return web.Response(status=302)

    async def slow(_request: web.Request) -> web.Response:
        await site.release.wait()
        return web.Response(text=MENTIONS, content_type="text/html")

    async def endless(request: web.Request) -> web.StreamResponse:
        # the first 1,000,000 bytes do not mention the vendor, then the mention comes forever
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        await response.write(b"<p>" + b"x" * (1_000_000 - 3))
        try:
            while not site.release.is_set():
                await response.write(b"<p>Rocket.Chat</p>" * 1000)
                await asyncio.sleep(0)  # let the client run
        except ConnectionError:
            pass  # the client hung up, as it should
        return response

    async def binary(_request: web.Request) -> web.Response:
        return web.Response(body=b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", content_type="image/png")

    async def octets(request: web.Request) -> web.Response:
        body = b"\0\0\0\0Rocket.Chat" if request.query.get("nul") else MENTIONS.encode()
        return web.Response(body=body, content_type="application/octet-stream")

    app = web.Application(middlewares=[record])
    app.router.add_get("/mentions", html(MENTIONS))
    app.router.add_get("/silent", html(SILENT))
    app.router.add_get("/within", html(FILLER * 83 + "<p>Rocket.Chat</p>"))  # 996,682 bytes
    app.router.add_get("/text", html("We resell rocket chat.", "text/plain"))
    app.router.add_get("/r/{n}", chain)
    app.router.add_get("/to", to)
    app.router.add_get("/no-location", no_location)
    app.router.add_get("/slow", slow)
    app.router.add_get("/endless", endless)
    app.router.add_get("/logo.png", binary)
    app.router.add_get("/octets", octets)
    for name, text in PATHOLOGICAL.items():
        app.router.add_get(f"/pathological/{name}", html(text))
    return app


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    site = Site(port=0, other_port=0)
    runner = web.AppRunner(site_app(site), access_log=None, shutdown_timeout=1)
    await runner.setup()
    for _ in range(2):
        await web.TCPSite(runner, "127.0.0.1", 0).start()
    site.port, site.other_port = (address[1] for address in runner.addresses)
    yield site
    site.release.set()
    await runner.cleanup()


class FakeDns:
    """The resolver the fetcher is given: a fixed table, each lookup recorded."""

    def __init__(self, table: dict[str, list[str]] | None = None) -> None:
        self.table = table or {}
        self.lookups: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append((host, port))
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.table[host]


class Sessions:
    """The session factory the fetcher is given, counting the sessions it makes."""

    def __init__(self) -> None:
        self.made = 0

    def __call__(self, connector: aiohttp.BaseConnector) -> aiohttp.ClientSession:
        self.made += 1
        return open_session(connector)


def fetcher(
    allow: frozenset[str] = frozenset(),
    dns: FakeDns | None = None,
    sessions: Sessions | None = None,
    **limits: Any,
) -> PageFetcher:
    return PageFetcher(
        session_factory=sessions or Sessions(),
        resolver=dns or FakeDns(),
        allow=allow,
        **limits,
    )


# --- reading pages ---------------------------------------------------------------------


async def test_a_page_that_mentions_the_vendor(site: Site) -> None:
    url = site.url("/mentions")
    check = await fetcher(site.allow).check(url)
    assert check == ListingCheck.read(url, url, mentions=True)
    assert check.summary() == f"The page `{url}` mentions Rocket.Chat."
    assert site.seen == [("/mentions", f"127.0.0.1:{site.port}", USER_AGENT)]


async def test_a_page_that_does_not(site: Site) -> None:
    url = site.url("/silent")
    check = await fetcher(site.allow).check(f"  {url}\n")
    assert check == ListingCheck.read(url, url, mentions=False)
    assert check.summary() == f"The page `{url}` does not mention Rocket.Chat."


async def test_a_text_page_is_read_as_well(site: Site) -> None:
    check = await fetcher(site.allow).check(site.url("/text"))
    assert check.ok and check.mentions_vendor


async def test_octet_stream_is_read_when_it_is_text(site: Site) -> None:
    check = await fetcher(site.allow).check(site.url("/octets"))
    assert check.ok and check.mentions_vendor


@pytest.mark.parametrize("path", ["/logo.png", "/octets?nul=1"])
async def test_a_binary_file_is_not_a_web_page(site: Site, path: str) -> None:
    check = await fetcher(site.allow).check(site.url(path))
    assert not check.ok and check.mentions_vendor is None
    assert check.problem is not None and check.problem.startswith("it is not a web page")


async def test_an_error_status_is_reported(site: Site) -> None:
    url = site.url("/gone")
    check = await fetcher(site.allow).check(url)
    assert check == ListingCheck.failed(url, url, "it answered 404")
    assert check.summary() == f"I could not check `{url}`: it answered 404."


async def test_a_redirect_without_location_is_an_answer(site: Site) -> None:
    check = await fetcher(site.allow).check(site.url("/no-location"))
    assert check.problem == "it answered 302"


async def test_a_page_slower_than_the_timeout(site: Site) -> None:
    check = await fetcher(site.allow, timeout=0.2).check(site.url("/slow"))
    assert check.problem == "it did not answer within 0.2 seconds"


async def test_reading_stops_at_max_bytes_and_judges_what_was_read(site: Site) -> None:
    # Endless: read to the end, it would time out; its mention starts at byte 1,000,001.
    check = await fetcher(site.allow).check(site.url("/endless"))
    assert check.ok and check.mentions_vendor is False


async def test_a_mention_within_max_bytes_is_found(site: Site) -> None:
    check = await fetcher(site.allow).check(site.url("/within"))
    assert check.ok and check.mentions_vendor
    smaller = await fetcher(site.allow, max_bytes=900_000).check(site.url("/within"))
    assert smaller.ok and smaller.mentions_vendor is False


async def test_nothing_listens(site: Site) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    check = await fetcher(frozenset({f"127.0.0.1:{port}"})).check(f"http://127.0.0.1:{port}/")
    assert check.problem == "it could not be reached"


# --- redirects -------------------------------------------------------------------------


@pytest.mark.parametrize("start", [0, 1, 2])  # /r/n redirects n + 1 times
async def test_up_to_three_redirects_are_followed(site: Site, start: int) -> None:
    url = site.url(f"/r/{start}")
    check = await fetcher(site.allow).check(url)
    assert check == ListingCheck.read(url, site.url("/mentions"), mentions=True)
    assert [path for path, _host, _agent in site.seen] == [
        *(f"/r/{n}" for n in range(start, -1, -1)),
        "/mentions",
    ]
    assert "(redirected to" in check.summary()


async def test_a_fourth_redirect_is_not_followed(site: Site) -> None:
    url = site.url("/r/3")
    check = await fetcher(site.allow).check(url)
    assert check == ListingCheck.failed(url, site.url("/r/0"), "it redirected more than 3 times")
    assert len(site.seen) == 4
    fewer = await fetcher(site.allow, max_redirects=0).check(site.url("/r/0"))
    assert fewer.problem == "it redirected more than 0 times"


@pytest.mark.parametrize(
    "target",
    [
        "http://10.0.0.1/admin",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]:{port}/mentions",
        "http://127.0.0.1:{other_port}/mentions",  # the same site, not allowed on that port
        "http://localhost:{port}/mentions",  # the allowed port, not the allowed host
        "http://intranet.test/",
        "https://mixed.test/",
    ],
)
async def test_a_redirect_to_a_refused_address_is_not_followed(site: Site, target: str) -> None:
    dns = FakeDns(
        {
            "localhost": ["127.0.0.1"],
            "intranet.test": ["192.168.1.10"],
            "mixed.test": ["93.184.215.14", "10.0.0.7"],
        }
    )
    target = target.format(port=site.port, other_port=site.other_port)
    check = await fetcher(site.allow, dns).check(site.url(f"/to?location={target}"))
    assert check.final_url == str(URL(target))  # as yarl writes it: [::ffff:7f00:1]
    assert check.problem == f"it redirects to {check.final_url}, whose {REFUSED}"
    assert [path for path, _host, _agent in site.seen] == ["/to"]


async def test_a_redirect_to_another_scheme_is_not_followed(site: Site) -> None:
    check = await fetcher(site.allow).check(site.url("/to?location=ftp://files.test/x"))
    assert check.problem == (
        "it redirects to ftp://files.test/x, which is not an http:// or https:// address"
    )


async def test_a_redirect_to_an_unknown_host(site: Site) -> None:
    check = await fetcher(site.allow).check(site.url("/to?location=https://nowhere.test/"))
    assert check.problem == "it redirects to https://nowhere.test/, whose host could not be found"


# --- refused before any connection -----------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.0.0.1:8080/partners",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fe80::1]/",
        "http://0.0.0.0/",
        "http://100.64.0.1/",
        "http://224.0.0.1/",
        "http://192.0.0.8/",  # 3.11.7's ipaddress calls it global
        "http://[3fff::1]/",  # and this one too
        "http://192.31.196.1/",
        "https://intranet.test/",  # a name for a private address
        "https://mixed.test/",  # one public address and one private one
        "https://LOCALHOST/",
    ],
)
async def test_refused_addresses(url: str) -> None:
    dns = FakeDns(
        {
            "intranet.test": ["192.168.1.10"],
            "mixed.test": ["93.184.215.14", "10.0.0.7"],
            "localhost": ["::1", "127.0.0.1"],
        }
    )
    sessions = Sessions()
    check = await fetcher(dns=dns, sessions=sessions).check(url)
    assert check == ListingCheck.failed(url, url, f"its {REFUSED}")
    assert sessions.made == 0


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://files.example/partners", "only http:// and https:// addresses can be checked"),
        ("file:///etc/passwd", "only http:// and https:// addresses can be checked"),
        ("javascript:alert(1)", "only http:// and https:// addresses can be checked"),
        ("acme.example/partners", "it is not a full web address (one starts with https://)"),
        ("https://", "it is not a full web address (one starts with https://)"),
        ("http://[::1", "it is not a full web address (one starts with https://)"),
        ("", "it is not a full web address (one starts with https://)"),
        ("https://nowhere.test/", "its host could not be found"),
    ],
)
async def test_addresses_that_cannot_be_fetched(url: str, problem: str) -> None:
    sessions = Sessions()
    check = await fetcher(sessions=sessions).check(url)
    assert check == ListingCheck.failed(url, url, problem)
    assert sessions.made == 0


async def test_the_system_resolver_is_asked_and_its_answer_checked() -> None:
    # 2130706433 is 127.0.0.1 written as one number; the system resolver reads it without DNS.
    check = await PageFetcher().check("http://2130706433/")
    assert check.problem == f"its {REFUSED}"


async def test_the_system_resolver_does_not_need_the_default_thread_pool() -> None:
    """A slow name server must not hold the threads the REST client uses: with every one
    of them taken, a host is still looked up."""
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(max_workers=1)
    loop.set_default_executor(pool)
    busy = threading.Event()
    blocked = loop.run_in_executor(None, busy.wait)
    try:
        check = await PageFetcher(timeout=2.0).check("http://2130706433/")
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        busy.set()
        await blocked
    assert check.problem == f"its {REFUSED}"


# --- the connection goes to the checked address -------------------------------------------


async def test_the_connection_is_pinned_to_the_checked_address(site: Site) -> None:
    # partner.test exists only in the fake table: reaching the page proves the connection
    # used the address that was checked, with the partner's name in the Host header.
    dns = FakeDns({"partner.test": ["127.0.0.1"]})
    url = f"http://partner.test:{site.port}/mentions"
    check = await fetcher(frozenset({f"partner.test:{site.port}"}), dns).check(url)
    assert check == ListingCheck.read(url, url, mentions=True)
    assert dns.lookups == [("partner.test", site.port)]
    assert site.seen == [("/mentions", f"partner.test:{site.port}", USER_AGENT)]


async def test_each_redirect_is_resolved_and_checked_again(site: Site) -> None:
    dns = FakeDns({"partner.test": ["127.0.0.1"]})
    allow = frozenset({f"partner.test:{site.port}"})
    target = f"http://partner.test:{site.port}/to?location=http://partner.test:{site.port}/silent"
    check = await fetcher(allow, dns).check(target)
    assert check.ok and check.mentions_vendor is False
    assert dns.lookups == [("partner.test", site.port)] * 2


# --- a check is bounded in time and CPU -----------------------------------------------

FETCH_BOUND, READ_BOUND = 5.0, 1.0  # the deadlines the checks below are given


async def test_pathological_pages_cannot_stall_the_bot(site: Site) -> None:
    """All the pathological pages checked at once, while the default thread pool (the REST
    client's) is taken: every check ends within its bound and /help is answered meanwhile."""
    bound = FETCH_BOUND + READ_BOUND + 1.0  # and a second to start the readers
    checker = fetcher(site.allow, timeout=FETCH_BOUND, read_timeout=READ_BOUND)
    store = await Store.open(None, SCHEMA)
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(max_workers=1)
    loop.set_default_executor(pool)
    busy = threading.Event()
    blocked = loop.run_in_executor(None, busy.wait)
    checks: list[asyncio.Task[ListingCheck]] = []
    try:
        started = time.monotonic()
        checks += [
            asyncio.create_task(checker.check(site.url(f"/pathological/{name}")))
            for name in PATHOLOGICAL
        ]
        dispatcher = Dispatcher(
            Registry([HELP]), store, Settings(), Clock(), BOT, FakeChat(), checker
        )
        async with asyncio.timeout(bound):
            answer = await dispatcher.handle(message("/help"))
        assert answer.status == "done" and "/help" in answer.replies[0].text
        async with asyncio.timeout(bound):
            results = await asyncio.gather(*checks)
        elapsed = time.monotonic() - started
    finally:
        for task in checks:
            task.cancel()
        pool.shutdown(wait=False, cancel_futures=True)  # what waits behind the blocker
        busy.set()
        await blocked
        await store.close()
    assert elapsed < bound
    too_long = "reading its page took longer than 1 second"
    assert [r for r in results if not (r.mentions_vendor is False or r.problem == too_long)] == []


async def test_a_reader_that_overruns_is_killed_at_its_deadline(site: Site, tmp_path: Path) -> None:
    pid_file = tmp_path / "reader.pid"
    endless = (
        f"import os, pathlib; pathlib.Path({str(pid_file)!r}).write_text(str(os.getpid()))\n"
        "while True: pass"
    )
    reader = (sys.executable, "-c", endless)
    started = time.monotonic()
    check = await fetcher(site.allow, read_timeout=2.0, reader=reader).check(site.url("/mentions"))
    assert time.monotonic() - started < 2.0 + 2.0  # the deadline, and the fetch
    assert check.problem == "reading its page took longer than 2 seconds"
    assert check.summary().endswith("reading its page took longer than 2 seconds.")
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # killed, and reaped


@pytest.mark.parametrize(
    "program", ["import sys; sys.exit(3)", "print('maybe')", "import sys; sys.stdin.close()"]
)
async def test_a_reader_that_fails_says_so(site: Site, program: str) -> None:
    reader = (sys.executable, "-c", program)
    check = await fetcher(site.allow, reader=reader).check(site.url("/mentions"))
    assert check.problem == "its page could not be read"


async def test_readers_wait_for_each_other_within_the_deadline(site: Site) -> None:
    checker = fetcher(site.allow, max_readers=1)
    checks = await asyncio.gather(*(checker.check(site.url("/mentions")) for _ in range(3)))
    assert all(check.ok and check.mentions_vendor for check in checks)

"""Step 5's listing check: `workflows.listing` on its own, then `chat.web.PageFetcher`
against pages served on loopback and let through its test-only allowlist.

No DNS and no network beyond loopback: hosts resolve through a fake table, and the
`offline` guard fails any test that connects elsewhere or asks the system resolver for a name.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st
from yarl import URL

from chat.web import USER_AGENT, PageFetcher, is_public, open_session
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


# --- ListingCheck ----------------------------------------------------------------------


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

"""Fetching one web page or PDF the user named, and nothing else.

- Only http and https, for the link and every redirect (at most MAX_REDIRECTS).
- Each connection, the link's and every redirect's, goes only to an address the `LinkPolicy`
  allows: the host name is resolved here and each address checked before it is connected to,
  so neither a name nor a redirect leads to this machine or its network, and a second lookup
  cannot change the answer (DNS rebinding). Loopback, private, link-local, multicast,
  reserved, unspecified and other non-public addresses are refused unless the policy allows
  private ones (the CLI's `add`; the app with --allow-private-links). With the check on,
  proxies from the environment are not used: a proxy would fetch what the check refuses.
- TIMEOUT seconds to connect and for each read, and DEADLINE seconds for the whole fetch, so a
  server that drips its reply cannot hold a worker; the body is read in chunks and abandoned
  past MAX_SOURCE_BYTES; the content type must be HTML or PDF.

trafilatura gets the downloaded bytes and fetches nothing itself. Every failure is one
SourceError line naming the link.
"""
from __future__ import annotations

import http.client
import ipaddress
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from ..errors import SourceError, printable
from .extracted import MAX_SOURCE_BYTES

TIMEOUT = 10.0  # seconds, for the connection and for each read
DEADLINE = 20.0  # seconds, for the whole fetch: redirects, headers and body
MAX_REDIRECTS = 5
USER_AGENT = "news-assistant/1 (+https://pypi.org/project/news-assistant/)"
_KINDS = {"text/html": "html", "application/xhtml+xml": "html", "application/pdf": "pdf"}
# ipaddress's own classification, in the order a refusal names it (127.0.0.1 is also "private")
_REFUSED = (("is_loopback", "a loopback"), ("is_unspecified", "an unspecified"), ("is_link_local", "a link-local"),
            ("is_multicast", "a multicast"), ("is_reserved", "a reserved"), ("is_private", "a private"))


@dataclass(frozen=True)
class LinkPolicy:
    """Which addresses a link, and each of its redirects, may lead to."""

    private: bool = False  # this machine and its networks too (the CLI; the app's --allow-private-links)
    networks: tuple[str, ...] = ()  # allowed even when `private` is not, e.g. ("127.0.0.1/32",) for a test site

    def refusal(self, address: str) -> str | None:
        """Why `address` (an IP address) may not be connected to, or None when it may."""
        if self.private:
            return None
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone ("fe80::1%eth0") is no part of it
        if ip.version == 6 and ip.ipv4_mapped:  # ::ffff:127.0.0.1 is 127.0.0.1
            ip = ip.ipv4_mapped
        if any(ip in ipaddress.ip_network(network) for network in self.networks):
            return None
        kind = next((kind for attribute, kind in _REFUSED if getattr(ip, attribute)), None)
        if kind is None and not ip.is_global:  # shared address space (100.64.0.0/10) and the like
            kind = "a non-public"
        return f"{ip} is {kind} address" if kind else None


PRIVATE_OK = LinkPolicy(private=True)


@dataclass(frozen=True)
class Reply:
    url: str  # after redirects
    kind: str  # "html" or "pdf"
    data: bytes


def download(url: str, *, policy: LinkPolicy = LinkPolicy(), timeout: float = TIMEOUT,
             deadline: float = DEADLINE) -> Reply:
    """The page or PDF at `url` (http or https), or SourceError naming the link."""
    if not url.lower().startswith(("http://", "https://")):
        raise SourceError(url, "only http:// and https:// links can be added")
    fetch = _Fetch(url, policy, deadline)
    handlers = [_Redirects(fetch), _HTTP(fetch), _HTTPS(fetch)]
    if not policy.private:
        handlers.append(urllib.request.ProxyHandler({}))  # connect to the checked address itself
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "text/html, application/pdf"})
    with fetch:
        try:
            with opener.open(request, timeout=timeout) as response:
                kind = _kind(url, response.headers.get_content_type())
                declared = response.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > MAX_SOURCE_BYTES:
                    raise SourceError(url, f"the page is {int(declared) / 2**20:.1f} MB; over "
                                           f"{MAX_SOURCE_BYTES // 2**20} MB is not an article")
                data = _read(response, url)
                if fetch.expired:  # the deadline cut the body short: what was read is not the page
                    raise SourceError(url, fetch.too_slow())
                return Reply(response.geturl(), kind, data)
        except SourceError:
            raise
        except (OSError, ValueError, http.client.HTTPException) as exc:  # URLError and HTTPError are OSErrors
            raise SourceError(url, _reason(exc, fetch, timeout)) from None


def _reason(exc: Exception, fetch: _Fetch, timeout: float) -> str:
    if fetch.expired:
        return fetch.too_slow()
    if isinstance(exc, urllib.error.HTTPError):
        return f"the server answered {exc.code} {exc.reason}"
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError):  # socket.timeout is TimeoutError
        return f"no answer within {timeout:g} s"
    if isinstance(exc, urllib.error.URLError):
        return f"cannot be reached ({getattr(reason, 'strerror', None) or reason})"
    return f"cannot be fetched ({exc})"  # malformed URLs, reset connections, bad chunking


class _Fetch:
    """One download: the address check at every connection, and the deadline over all of them.

    At the deadline every socket of the fetch is shut down, which ends a read blocked on a
    server that sends a byte now and then; the reader then sees `expired`.
    """

    def __init__(self, url: str, policy: LinkPolicy, deadline: float):
        self.url, self.policy, self.seconds = url, policy, deadline
        self.hop = url  # the address being fetched: the link, then each redirect
        self.expired = False
        self._ends = time.monotonic() + deadline
        self._handles: list[socket.socket] = []  # duplicates: TLS wraps (and detaches) the originals
        self._lock = threading.Lock()
        self._timer = threading.Timer(deadline, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Fetch:
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()
        with self._lock:
            for handle in self._handles:
                handle.close()
            self._handles.clear()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for handle in self._handles:
                try:
                    handle.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # closed already

    def too_slow(self) -> str:
        return f"no complete answer within {self.seconds:g} s"

    def connection(self, base: type[http.client.HTTPConnection]):
        """A factory of `base` connections that connect through `connect` (http.client's own
        seam for this: each connection calls its `_create_connection`)."""
        def make(host, **kwargs):
            conn = base(host, **kwargs)
            conn._create_connection = self.connect
            return conn
        return make

    def connect(self, address: tuple[str, int], timeout=None, source_address=None) -> socket.socket:
        """socket.create_connection to an address the policy allows; SourceError if it has none."""
        host, port = address
        refused, failure = None, None
        for family, kind, proto, _, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
            why = self.policy.refusal(sockaddr[0])
            if why:
                refused = refused or why
                continue
            sock = socket.socket(family, kind, proto)
            try:
                self._watch(sock)
                sock.settimeout(min(timeout or TIMEOUT, self._ends - time.monotonic()))
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
                sock.settimeout(timeout)
                return sock
            except OSError as exc:
                sock.close()
                failure = exc
        if failure is None and refused:
            redirect = "" if self.hop == self.url else f"it redirects to {printable(self.hop)}, and "
            raise SourceError(self.url, f"{redirect}{refused}; links to this machine or its local network "
                                        "are not fetched")
        raise failure or OSError(f"{host} has no address")

    def _watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._handles.append(sock.dup())
            if self.expired or self._ends - time.monotonic() <= 0:
                raise TimeoutError("the deadline has passed")


class _Redirects(urllib.request.HTTPRedirectHandler):
    max_repeats = max_redirections = MAX_REDIRECTS + 1  # our own count, with its own message, decides

    def __init__(self, fetch: _Fetch):
        self.fetch = fetch

    def http_error_302(self, req, fp, code, msg, headers):
        # urllib refuses a file:// or data: redirect itself, with an HTTPError that read as
        # "more than 5 redirects": the scheme is checked here first, for the right message
        location = headers.get("Location") or headers.get("URI")
        target = urljoin(req.full_url, location) if location else None
        if target and urlsplit(target).scheme.lower() not in ("http", "https"):
            fp.close()
            raise SourceError(self.fetch.url, f"it redirects to {target!r}, which is not an http(s) link")
        if target and sum(getattr(req, "redirect_dict", {}).values()) >= MAX_REDIRECTS:
            fp.close()
            raise SourceError(self.fetch.url, f"more than {MAX_REDIRECTS} redirects")
        if target:
            self.fetch.hop = target
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


class _HTTP(urllib.request.HTTPHandler):
    def __init__(self, fetch: _Fetch):
        super().__init__()
        self.fetch = fetch

    def http_open(self, req):
        return self.do_open(self.fetch.connection(http.client.HTTPConnection), req)


class _HTTPS(urllib.request.HTTPSHandler):
    def __init__(self, fetch: _Fetch):
        super().__init__()
        self.fetch = fetch

    def https_open(self, req):
        return self.do_open(self.fetch.connection(http.client.HTTPSConnection), req, context=self._context)


def _kind(url: str, content_type: str) -> str:
    if content_type not in _KINDS:
        raise SourceError(url, f"it is {content_type}, not a web page or PDF")
    return _KINDS[content_type]


def _read(response, url: str) -> bytes:
    chunks, size = [], 0
    while chunk := response.read(65536):
        size += len(chunk)
        if size > MAX_SOURCE_BYTES:
            raise SourceError(url, f"the page is over {MAX_SOURCE_BYTES // 2**20} MB, which is not an article")
        chunks.append(chunk)
    return b"".join(chunks)

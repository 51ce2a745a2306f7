"""Fetching one web page or PDF the user named, and nothing else.

Only http and https, for the link and every redirect (at most MAX_REDIRECTS); a 10 s
timeout for connecting and for each read; the body read in chunks and abandoned past
MAX_SOURCE_BYTES; the content type must be HTML or PDF. The only requests made are to the
link and its redirects: trafilatura gets the downloaded bytes and fetches nothing itself.
Every failure is one SourceError line naming the link.
"""
from __future__ import annotations

import socket
import urllib.error
import urllib.request
from dataclasses import dataclass

from ..errors import SourceError
from .extracted import MAX_SOURCE_BYTES

TIMEOUT = 10.0  # seconds, for the connection and for each read
MAX_REDIRECTS = 5
USER_AGENT = "news-assistant/1 (+https://pypi.org/project/news-assistant/)"
_KINDS = {"text/html": "html", "application/xhtml+xml": "html", "application/pdf": "pdf"}


@dataclass(frozen=True)
class Reply:
    url: str  # after redirects
    kind: str  # "html" or "pdf"
    data: bytes


class _Redirects(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not newurl.lower().startswith(("http://", "https://")):
            raise SourceError(req.full_url, f"it redirects to {newurl!r}, which is not an http(s) link")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def download(url: str, *, timeout: float = TIMEOUT) -> Reply:
    if not url.lower().startswith(("http://", "https://")):
        raise SourceError(url, "only http:// and https:// links can be added")
    opener = urllib.request.build_opener(_Redirects())
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "text/html, application/pdf"})
    try:
        with opener.open(request, timeout=timeout) as response:
            kind = _kind(url, response.headers.get_content_type())
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > MAX_SOURCE_BYTES:
                raise SourceError(url, f"the page is {int(declared) / 2**20:.1f} MB; over {MAX_SOURCE_BYTES // 2**20} MB "
                                       "is not an article")
            data = _read(response, url)
            return Reply(response.geturl(), kind, data)
    except SourceError:
        raise
    except urllib.error.HTTPError as exc:
        if exc.code in (301, 302, 303, 307, 308):
            raise SourceError(url, f"more than {MAX_REDIRECTS} redirects") from None
        raise SourceError(url, f"the server answered {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            raise SourceError(url, f"no answer within {timeout:g} s") from None
        raise SourceError(url, f"cannot be reached ({getattr(reason, 'strerror', None) or reason})") from None
    except (socket.timeout, TimeoutError):
        raise SourceError(url, f"no answer within {timeout:g} s") from None
    except (OSError, ValueError) as exc:  # malformed URLs, reset connections, bad chunking
        raise SourceError(url, f"cannot be fetched ({exc})") from None


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

"""A local news site on 127.0.0.1 for the ingest tests: the fixture pages of tests/data/pages,
a PDF, and the awkward replies a real site can give (redirects, loops, wrong types, huge or
slow bodies, errors). Every request is recorded, so a test can check nothing else was asked."""
from __future__ import annotations

import http.server
import threading
import time
from pathlib import Path

from pdfs import make_pdf

PAGES = Path(__file__).parent / "data" / "pages"
REPORT = [["Harbour traffic report 2024",
           "The number of cruise ships calling at the harbour rose by a third in 2024, to 212 calls, the port "
           "authority's annual report shows. Most of the growth came in June and July.",
           "Cargo volumes fell by four percent because the paper mill closed in March. The authority expects cargo "
           "to recover when the new fish feed plant opens next year."],
          ["Harbour master Tom Reid said the dredging of the main channel, finished in October, allows ships of up "
           "to 300 metres to dock at the town quay.",
           "Passenger numbers on the coastal express were stable at about 41,000, the report says."]]
REPORT_PDF = make_pdf(REPORT, author="Port Authority of Tromsø")  # no /Title: the first heading is the title


class Handler(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def log_message(self, *args):  # quiet test output
        pass

    def _send(self, code: int, body: bytes = b"", kind: str = "text/html; charset=utf-8", **headers):
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", headers.pop("length", str(len(body))))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.requests.append(self.path)
        path = self.path.split("?")[0]
        if path.startswith("/pages/") and (PAGES / path[7:]).is_file() and path.endswith(".html"):
            kind = "text/html" if "bodo" in path else "text/html; charset=utf-8"  # that one declares Latin-1 inside
            return self._send(200, (PAGES / path[7:]).read_bytes(), kind)
        if path == "/report.pdf":
            return self._send(200, REPORT_PDF, "application/pdf")
        if path.startswith("/redirect/"):
            left = int(path.rsplit("/", 1)[1])
            target = f"/redirect/{left - 1}" if left > 1 else "/pages/ferry-strike.html"
            return self._send(302, b"", Location=target)
        if path == "/loop":
            return self._send(302, b"", Location="/loop")
        if path == "/to-ftp":
            return self._send(302, b"", Location="ftp://127.0.0.1/file.txt")
        if path == "/to-file":
            return self._send(302, b"", Location="file:///etc/passwd")
        if path == "/to-other-loopback":  # another address of this machine than the one the site is on
            return self._send(302, b"", Location=f"http://127.0.0.2:{self.server.server_address[1]}/pages/ferry-strike.html")
        if path == "/drip":  # a byte now and then, each well within a read timeout, forever
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            try:
                for _ in range(240):
                    self.wfile.write(b"<")
                    self.wfile.flush()
                    time.sleep(0.25)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return None
        if path == "/image.png":
            return self._send(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png")
        if path == "/huge":  # says so up front
            return self._send(200, b"<html>", length=str(50 * 2**20))
        if path == "/endless":  # does not say, and keeps sending
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            try:
                for _ in range(12 * 16):
                    self.wfile.write(b"<p>" + b"x" * 65530 + b"</p>")
            except (BrokenPipeError, ConnectionResetError):
                pass
            return None
        if path == "/slow":
            time.sleep(3)
            return self._send(200, b"<html><body><p>Too late.</p></body></html>")
        return self._send(404, b"<html><body>Not found</body></html>")


def serve(port: int):
    """(server, base URL); the caller shuts the server down."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{port}"

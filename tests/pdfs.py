"""A small, real PDF for the ingest tests, written byte by byte (Helvetica text, xref table):
no PDF-writing library is needed, and the file is what any word processor's export looks like
to a reader: wrapped lines, paragraphs set apart by a blank line, metadata in /Info."""
from __future__ import annotations

import textwrap


def _string(text: str) -> bytes:
    raw = text.encode("cp1252")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def make_pdf(pages: list[list[str]], *, title: str | None = None, author: str | None = None, width: int = 88) -> bytes:
    """`pages`: each a list of paragraphs (the first may be a heading), wrapped at `width` characters."""
    objects: list[bytes] = []  # object i + 1
    font, pages_id = 3, 2
    page_ids = []
    for paragraphs in pages:
        lines = []
        for paragraph in paragraphs:
            lines += textwrap.wrap(paragraph, width) + [""]
        ops = [b"BT /F1 11 Tf 14 TL 72 740 Td"]
        for line in lines:
            ops.append((_string(line) + b" Tj T*") if line else b"T*")
        ops.append(b"ET")
        stream = b"\n".join(ops)
        content = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
        objects.append(content)
        content_id = len(objects) + 3
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                       b"/Contents %d 0 R >>" % content_id)
        page_ids.append(len(objects) + 3)
    info = b"<<" + (b" /Title " + _string(title) if title else b"") + (b" /Author " + _string(author) if author else b"") + b" >>"
    head = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % i for i in page_ids) + b"] /Count %d >>" % len(page_ids),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    everything = head + objects + [info]
    out, offsets = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"), []
    for number, body in enumerate(everything, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(everything) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(everything) + 1, len(everything), xref)
    return bytes(out)

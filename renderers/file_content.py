"""What a file holds, read from its CONTENT: the type is read from the signature at offset 0
(``filetype``; a PDF by its ``%PDF-`` header, and only if it ends as a PDF does), never from
the name or the browser's claim: a PNG renamed ``.pdf`` is a PNG. Programs and scripts (PE,
ELF, Mach-O, ``#!`` scripts, HTML, SVG, HTA, JavaScript, batch files…) are
:data:`DANGEROUS`."""

from __future__ import annotations

import re

import filetype

#: How many leading bytes are read to recognise a file's type.
HEAD_SIZE = 8192
#: How many trailing bytes are read to check that a PDF ends as one (``%%EOF``).
TAIL_SIZE = 2048
#: The content type given to programs and scripts: never accepted.
DANGEROUS = "application/x-dangerous"
#: The content type of a file that starts as a PDF but does not end as one.
DAMAGED_PDF = "application/x-damaged-pdf"
#: Content types that are programs or scripts (refused whatever ``accept`` says).
DANGEROUS_TYPES = frozenset(
    {
        DANGEROUS,
        "application/x-msdownload",
        "application/x-executable",
        "application/x-mach-binary",
        "application/x-sh",
        "application/x-shockwave-flash",
        "application/x-google-chrome-extension",
        "application/wasm",
        "application/javascript",
        "text/javascript",
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "application/hta",
    }
)
#: Name extensions of programs and scripts: a text file so named is refused.
DANGEROUS_EXTENSIONS = frozenset(
    "exe com scr pif msi msp dll cpl sys bat cmd ps1 psm1 psd1 vbs vbe js jse mjs cjs wsf "
    "wsh wsc hta htm html xhtml shtml svg svgz sh bash zsh csh ksh command app jar py pyw "
    "pl rb php phtml asp aspx jsp cgi lnk reg inf scf url desktop msc gadget appref-ms "
    "xml xsl xslt".split()
)
#: Text that makes a browser run or render a file: HTML, SVG, scripts, HTA.
_ACTIVE_TEXT = re.compile(
    rb"<\s*(?:!doctype\s+html|html|head|body|script|svg|iframe|object|embed|hta:|meta|"
    rb"\?xml-stylesheet)|<\?xml[^>]*>\s*(?:<!--.*?-->\s*)*<\s*svg",
    re.IGNORECASE | re.DOTALL,
)
_MACH_O = (
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)
#: The extension a file of each type is served with (else ``filetype``'s, else ``bin``).
EXTENSIONS = {
    "application/pdf": ("pdf",),
    "application/octet-stream": ("bin",),
    "image/jpeg": ("jpg", "jpeg", "jpe"),
    "image/png": ("png",),
    "image/tiff": ("tif", "tiff"),
    "image/heic": ("heic",),
    "image/heif": ("heif",),
    "text/plain": ("txt",),
    "text/csv": ("csv",),
}
#: Text types a browser may claim for a plain text file; any other claim is text/plain.
_TEXT_TYPES = ("text/plain", "text/csv")


def _stream(upload):
    return getattr(upload, "stream", None) or upload


def inspect(upload) -> tuple[str | None, int]:
    """``(content type read from the content, or None; size in bytes)``; the stream is left
    where it was. A programme or a script is :data:`DANGEROUS` (or its own type); a file
    that starts as a PDF but does not end as one is :data:`DAMAGED_PDF`."""
    stream = _stream(upload)
    seekable = getattr(stream, "seekable", lambda: hasattr(stream, "seek"))()
    start = stream.tell() if seekable else 0
    head = stream.read(HEAD_SIZE) or b""
    tail = head[-TAIL_SIZE:]
    if seekable:
        stream.seek(0, 2)
        size = stream.tell() - start
        if size > len(head):
            stream.seek(max(start + len(head), start + size - TAIL_SIZE))
            tail = (head + (stream.read(TAIL_SIZE) or b""))[-TAIL_SIZE:]
        stream.seek(start)
    else:  # pragma: no cover - uploads are spooled to seekable files
        size = len(head)
        while chunk := stream.read(1 << 16):
            size += len(chunk)
            tail = (tail + chunk)[-TAIL_SIZE:]
    mime = detect(
        head,
        getattr(upload, "mimetype", None) or getattr(upload, "content_type", None),
        tail=tail,
    )
    if (
        mime is not None
        and mime.startswith("text/")
        and _extension(upload) in (DANGEROUS_EXTENSIONS)
    ):
        mime = DANGEROUS  # a script has no signature: its name says what it is
    return mime, size


def _extension(upload) -> str:
    name = basename(getattr(upload, "filename", None) or "")
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def is_whole_pdf(head: bytes, tail: bytes) -> bool:
    """Whether a file that starts with ``head`` and ends with ``tail`` is shaped as a PDF:
    the ``%PDF-1.x`` (or ``2.x``) header at offset 0, and, at its end, ``%%EOF`` after
    the cross-reference (``startxref``) or the trailer."""
    if not re.match(rb"%PDF-[12]\.\d", head):
        return False
    end = tail.rfind(b"%%EOF")
    if end < 0 or len(tail) - end > 1024:  # readers look for it in the last kilobyte
        return False
    return b"startxref" in tail[:end] or b"trailer" in tail[:end]


def detect(head: bytes, declared: str | None = None, *, tail: bytes | None = None) -> str | None:
    """The content type of a file that starts with ``head`` (and ends with ``tail``: the
    whole file when ``head`` holds it all); programs and scripts are :data:`DANGEROUS`
    (or their own type, as ``application/x-msdownload``)."""
    head = bytes(head)
    tail = head[-TAIL_SIZE:] if tail is None else bytes(tail)
    if head.startswith(b"%PDF-"):
        return "application/pdf" if is_whole_pdf(head, tail) else DAMAGED_PDF
    if head.startswith((b"MZ", b"\x7fELF", b"#!", *_MACH_O)):
        return DANGEROUS
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    if head and b"\x00" not in head:
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError:
            if len(head) < HEAD_SIZE:
                return None
            try:  # the head may end in the middle of a character
                text = head[:-3].decode("utf-8")
            except UnicodeDecodeError:
                return None
        if _ACTIVE_TEXT.search(head) or text.lstrip("\ufeff \t\r\n").startswith("<"):
            return DANGEROUS  # HTML, SVG, XML, HTA: a browser would render or run it
        # plain text has no signature: its declared text type is the best we know
        declared = (declared or "").split(";")[0].strip().lower()
        return declared if declared in _TEXT_TYPES else "text/plain"
    return None


def is_dangerous(mime: str | None) -> bool:
    return mime in DANGEROUS_TYPES


def basename(name: str) -> str:
    """The last part of a path, whatever its separators."""
    return re.split(r"[/\\]", name)[-1]

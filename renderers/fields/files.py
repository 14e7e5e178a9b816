"""Files: one or several uploads, checked by size and by CONTENT.

The type is read from the signature at offset 0 (``filetype``; a PDF by its ``%PDF-``
header, and only if it ends as a PDF does), never from the name or the browser's claim: a
PNG renamed ``.pdf`` is a PNG. Programs and scripts (PE, ELF, Mach-O, ``#!`` scripts,
HTML, SVG, HTA, JavaScript, batch files…) are refused whatever ``accept`` says. Uploads
are the app's FileStorage-like objects (``filename`` and ``stream`` or
``read``/``seek``/``tell``); they are returned as they are for the app to store
(``detected`` holds the content type read for each one). :func:`download_name` gives the
name a file is stored and served under: the original stem, cleaned, with the extension of
its detected type.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from typing import Any

import filetype
from wtforms.fields import Field as WTField
from wtforms.validators import StopValidation

from ..i18n import N_, format_size
from .base import FieldType, field_language, message

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

_LABELS = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/heic": "HEIC",
    "image/heif": "HEIF",
    "image/webp": "WebP",
    "image/gif": "GIF",
    "image/tiff": "TIFF",
    "application/msword": "Word (DOC)",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word (DOCX)",
    "application/vnd.oasis.opendocument.text": "OpenDocument (ODT)",
    "application/vnd.ms-excel": "Excel (XLS)",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel (XLSX)",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument (ODS)",
    "application/zip": "ZIP",
    "text/plain": "TXT",
    "text/csv": "CSV",
}
#: msgids naming a whole family (``image/*``).
_FAMILIES = {
    "image": N_("any image"),
    "audio": N_("any sound file"),
    "video": N_("any video"),
    "text": N_("any text file"),
    "application": N_("any document"),
}
_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "application/x-pdf": "application/pdf",
}


def is_upload(value: Any) -> bool:
    """Whether ``value`` is an uploaded file (an empty file input sends one with no name)."""
    has_data = hasattr(value, "stream") or hasattr(value, "read")
    return has_data and bool(getattr(value, "filename", None))


def kept_ids(value: Any) -> list[str]:
    """The attachment ids of a stored answer (one id, a list of them, or nothing)."""
    if value in (None, "", []):
        return []
    values = value if isinstance(value, (list, tuple)) else [value]
    return [v for v in values if isinstance(v, str)]


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
    name = _basename(getattr(upload, "filename", None) or "")
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


# -- the names files are stored and served under ------------------------------------------

#: The longest stem kept from an original name (in characters).
MAX_STEM = 100
_FORBIDDEN = re.compile(r'[<>:"/\\|?*]')
_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)$", re.IGNORECASE)


def _basename(name: str) -> str:
    return re.split(r"[/\\]", name)[-1]


def _known_extension(extension: str) -> bool:
    dotted = "." + extension.lower()
    return (
        extension.lower() in DANGEROUS_EXTENSIONS
        or dotted in mimetypes.types_map
        or dotted in mimetypes.common_types
        or any(extension.lower() in names for names in EXTENSIONS.values())
    )


def extension_of(mime: str | None) -> str:
    """The extension a file of type ``mime`` is served with (``bin`` when unknown)."""
    if mime in EXTENSIONS:
        return EXTENSIONS[mime][0]
    for kind in filetype.types:
        if kind.mime == mime:
            return kind.extension
    return "bin"


def download_name(original: str | None, mime: str | None, fallback: str = "fichier") -> str:
    """The name a file is served under: the stem of ``original`` (no folders, no control
    characters, no characters systems forbid, accented letters kept, at most
    :data:`MAX_STEM` characters) and the extension of its DETECTED type: ``photo.png.exe``
    holding a PNG is ``photo.png``, ``evil.html`` holding a PNG is ``evil.png``."""
    name = unicodedata.normalize("NFC", _basename(original or ""))
    name = "".join(
        " " if unicodedata.category(c) == "Zs" or c in "\t\r\n" else c
        for c in name
        if unicodedata.category(c)[0] != "C" or c in "\t\r\n"
    )
    name = re.sub(r"\s+", " ", _FORBIDDEN.sub("_", name)).strip(" .")
    extension = extension_of(mime)
    stem, own = name, ""
    if "." in stem:
        stem, own = stem.rsplit(".", 1)
        while "." in stem and _known_extension(stem.rsplit(".", 1)[1]):
            stem = stem.rsplit(".", 1)[0]
    if own.lower() in EXTENSIONS.get(mime or "", ()):
        extension = own.lower()  # photo.jpeg stays photo.jpeg
    stem = stem.strip(" ._-")[:MAX_STEM].rstrip(" .") or fallback
    if _RESERVED.match(stem):
        stem = f"{stem}_"
    return f"{stem}.{extension}"


def accepts(accept: tuple[str, ...], mime: str | None) -> bool:
    if not accept:
        return True
    if mime is None:
        return False
    for allowed in accept:
        allowed = _ALIASES.get(allowed, allowed)
        if allowed == mime or (allowed.endswith("/*") and mime.startswith(allowed[:-1])):
            return True
    return False


def type_label(mime: str, gettext) -> str:
    """``application/pdf`` as ``PDF``, ``image/*`` as "any image"."""
    mime = _ALIASES.get(mime, mime)
    if mime in _LABELS:
        return _LABELS[mime]
    family, _, subtype = mime.partition("/")
    if subtype == "*":
        return gettext(_FAMILIES.get(family, "any document"))
    for kind in filetype.types:
        if kind.mime == mime:
            return kind.extension.upper()
    return subtype.split(".")[-1].split("+")[0].upper()


class UploadInput(WTField):
    """The uploads of this request (``uploads``) and what was stored before (``existing``:
    the attachment id or ids the app put in the answers); ``data`` is the former if any,
    else the latter."""

    def __init__(self, label=None, validators=None, multiple: bool = False, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.multiple = multiple
        self.uploads: list = []
        self.existing: Any = None
        self.detected: list[str | None] = []

    def process_data(self, value):
        self.existing = value if value not in (None, "", []) else None
        self.uploads = []
        self.data = self.existing

    def detach(self, attachment_id: str) -> bool:
        """Forget the stored file ``attachment_id`` (the citizen's "Remove" button)."""
        ids = kept_ids(self.existing)
        if attachment_id not in ids:
            return False
        ids.remove(attachment_id)
        if self.multiple:
            self.existing = ids or None
        else:
            self.existing = None
        if not self.uploads:
            self.data = self.existing
        return True

    def process_formdata(self, valuelist):
        uploads = [v for v in valuelist if is_upload(v)]
        self.uploads = uploads if self.multiple else uploads[:1]
        if self.uploads:
            self.data = self.uploads if self.multiple else self.uploads[0]

    def _value(self) -> str:
        return ""


class FileChecks:
    """Each upload: not empty, not larger than ``max_size``, of an accepted type."""

    def __init__(self, accept: tuple[str, ...], max_size: int | None):
        self.accept, self.max_size = accept, max_size

    def __call__(self, form, field):
        field.detected = []
        problems = []
        gettext = field.gettext
        language = field_language(field)
        for upload in field.uploads:
            mime, size = inspect(upload)
            field.detected.append(mime)
            problem = None
            if size == 0:
                problem = message(field, "The file is empty.")
            elif self.max_size is not None and size > self.max_size:
                problem = message(
                    field,
                    N_("The file is too large (%(size)s): the maximum is %(max)s."),
                    size=format_size(size, gettext, language),
                    max=format_size(self.max_size, gettext, language),
                )
            elif is_dangerous(mime):
                problem = message(
                    field,
                    "This kind of file cannot be sent: programs, scripts and web pages are "
                    "refused. Send a document or a photo.",
                )
            elif mime == DAMAGED_PDF:
                problem = message(
                    field, "This PDF file is damaged or incomplete: save it again, then send it."
                )
            elif not accepts(self.accept, mime):
                problem = message(
                    field,
                    N_("The file type is not accepted: %(found)s; expected %(expected)s."),
                    found=type_label(mime, gettext) if mime else gettext("unknown type"),
                    expected=", ".join(type_label(m, gettext) for m in self.accept),
                )
            if problem and field.multiple:
                problem = message(
                    field, "%(filename)s: %(message)s", filename=upload.filename, message=problem
                )
            if problem:
                problems.append(problem)
        if problems:
            field.errors.extend(problems)
            raise StopValidation()


class FileType(FieldType):
    type = "file"
    macro = "file"
    input_type = "file"
    required_message = N_("Choose a file.")
    keeps_answer_on_post = True
    input_class = UploadInput

    def input_options(self):
        return {"multiple": self.field.multiple}

    def checks(self):
        return [FileChecks(self.field.accept, self.field.max_size)]

    def is_empty(self, form_field):
        return not form_field.uploads and not form_field.existing

    def to_answer(self, form_field):
        """The uploads (a single file replaces the one stored; several are added to the
        ones stored), else the stored id(s)."""
        if form_field.uploads:
            if not self.field.multiple:
                return form_field.uploads[0]
            return kept_ids(form_field.existing) + list(form_field.uploads)
        return form_field.existing

    def from_answer(self, value):
        return value

    def initial(self, today):
        return None

    def format_hint(self, form):
        parts = []
        if self.field.accept:
            parts.append(
                form.gettext(
                    "Accepted formats: %(types)s.",
                    types=", ".join(type_label(m, form.gettext) for m in self.field.accept),
                )
            )
        if self.field.max_size is not None:
            parts.append(
                form.gettext(
                    "Maximum size: %(size)s.",
                    size=format_size(self.field.max_size, form.gettext, form.language),
                )
            )
        if self.field.multiple:
            parts.append(form.gettext("You can choose several files."))
        return " ".join(parts) or None

    def notes(self, form_field, form):
        if form_field.existing and not form_field.uploads:
            if self.field.multiple:
                return [
                    form.gettext("Files have already been sent: choose others only to add them.")
                ]
            return [
                form.gettext("A file has already been sent: choose another one only to replace it.")
            ]
        return []

    def attributes(self, form_field, form):
        attributes: dict[str, Any] = {}
        if self.field.accept:
            attributes["accept"] = ",".join(self.field.accept)
        if self.field.multiple:
            attributes["multiple"] = True
        return attributes

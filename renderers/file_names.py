"""The names files are stored and served under: :func:`download_name` keeps the original
stem, cleaned, with the extension of the type detected in the content."""

from __future__ import annotations

import mimetypes
import re
import unicodedata

import filetype

from .file_content import DANGEROUS_EXTENSIONS, EXTENSIONS, basename

#: The longest stem kept from an original name (in characters).
MAX_STEM = 100
_FORBIDDEN = re.compile(r'[<>:"/\\|?*]')
_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)$", re.IGNORECASE)


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
    name = unicodedata.normalize("NFC", basename(original or ""))
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

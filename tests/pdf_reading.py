"""Reading back the PDFs Guichet writes: their text, language, tags, PDF/A and PDF/UA
identity."""

from __future__ import annotations

import io
import re

import pytest


def reader(data: bytes):
    pypdf = pytest.importorskip("pypdf", reason="pypdf comes with the dev extra")
    return pypdf.PdfReader(io.BytesIO(data))


def text_of(data: bytes) -> str:
    """The PDF's text, its lines joined by single spaces (a sentence may wrap anywhere; a
    no-break space reads as a space)."""
    pages = reader(data).pages
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in pages)).strip()


def facts(data: bytes) -> dict:
    """What makes the PDF accessible and archivable: its language, whether it is marked
    as tagged with a structure tree, and the PDF/A part and conformance its XMP declares."""
    pdf = reader(data)
    root = pdf.trailer["/Root"]
    mark = root.get("/MarkInfo")
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8", "replace")
    part = re.search(r"pdfaid:part(?:>|=\")(\d)", xmp)
    conformance = re.search(r"pdfaid:conformance(?:>|=\")([A-Za-z])", xmp)
    ua = re.search(r"pdfuaid:part(?:>|=\")(\d)", xmp)
    tree = root.get("/StructTreeRoot")
    return {
        "lang": str(root.get("/Lang")),
        "marked": bool(mark and mark.get_object().get("/Marked")),
        "structure": tree is not None and "/K" in tree.get_object(),
        "pdfa": (part.group(1) if part else None, conformance.group(1) if conformance else None),
        "pdfua": ua.group(1) if ua else None,
        "display_title": bool(
            root.get("/ViewerPreferences")
            and root["/ViewerPreferences"].get_object().get("/DisplayDocTitle")
        ),
        "title": str(pdf.metadata.get("/Title")) if pdf.metadata else None,
    }


def need_weasyprint() -> None:
    """Skip (or, under CI, fail) when WeasyPrint or Pango is missing."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as error:
        from .conftest import missing_service

        missing_service(
            f"WeasyPrint cannot run here ({error}); Debian: apt-get install "
            "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"
        )

"""HTML made into PDF documents with WeasyPrint: tagged for assistive technologies and
archivable (PDF/A-3a: the accessible level of PDF/A, which requires the structure tree,
identified as PDF/UA-1 too), with the document's language set.

WeasyPrint needs Pango from the system (Debian: ``libpango-1.0-0 libpangoft2-1.0-0
libharfbuzz-subset0``, and a font such as ``fonts-dejavu-core``). Rendering takes a few
hundred milliseconds a page; no network is ever read: a template's URLs resolve to nothing
but ``data:`` addresses.
"""

from __future__ import annotations

import base64
import gc
import warnings
from collections.abc import Iterable
from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape

#: PDF/A-3, level "a" (accessible): archivable, and tagged (a structure tree, MarkInfo).
PDF_VARIANT = "pdf/a-3a"
#: WeasyPrint declares one variant in the XMP metadata; the tagged document also meets
#: what PDF/UA-1 identifies (structure tree, MarkInfo, language, DisplayDocTitle), so its
#: identification schema is added beside PDF/A's (ISO 14289-1, 5.4).
PDF_UA_IDENTIFICATION = (
    "data:application/rdf+xml;base64,"
    + base64.b64encode(
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description rdf:about="" xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/">'
        b"<pdfuaid:part>1</pdfuaid:part></rdf:Description></rdf:RDF>"
    ).decode()
)


class PdfUnavailable(RuntimeError):
    """WeasyPrint, or the system libraries it needs, are not installed."""


def _fetcher():
    # A document never reads the network or the disk: only data: URLs (an embedded logo,
    # the PDF/UA identification). Another address is refused by the fetcher and left out
    # of the document, with a warning in WeasyPrint's log.
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, fail_on_errors=False)


def render_pdf(document: str) -> bytes:
    """The PDF of an HTML ``document`` (whose ``<html lang>`` and ``<title>`` give the PDF's
    language and title), tagged and archivable."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as error:  # OSError: Pango missing
        raise PdfUnavailable(str(error)) from error
    with warnings.catch_warnings():
        # WeasyPrint opens its sRGB colour profile (PDF/A's output intent) and leaves the
        # file to the garbage collector: the ResourceWarning is its own, not ours.
        warnings.simplefilter("ignore", ResourceWarning)
        data = HTML(string=document, url_fetcher=_fetcher(), base_url=None).write_pdf(
            pdf_variant=PDF_VARIANT,
            pdf_tags=True,
            custom_metadata=False,
            xmp_metadata=[PDF_UA_IDENTIFICATION],
        )
        gc.collect()
    return data


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("engine", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )


def legal_document(
    language: str, title: str, authority: str, paragraphs: Iterable[str], reference: str
) -> str:
    """The HTML of a document the engine writes itself (a receipt, a certificate): a
    heading, then paragraphs (a line break inside one is kept)."""
    return (
        _environment()
        .get_template("legal.html")
        .render(
            language=language,
            title=title,
            authority=authority,
            reference=reference,
            paragraphs=[[line for line in p.split("\n")] for p in paragraphs],
        )
    )

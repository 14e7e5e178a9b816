"""HTML made into PDF documents with WeasyPrint: tagged for assistive technologies and
archivable (PDF/A-3a: the accessible level of PDF/A, which requires the structure tree),
with the document's language set.

WeasyPrint needs Pango from the system (Debian: ``libpango-1.0-0 libpangoft2-1.0-0
libharfbuzz-subset0``, and a font such as ``fonts-dejavu-core``). Rendering takes a few
hundred milliseconds a page; no network is ever read: a template's URLs resolve to nothing
but ``data:`` addresses.
"""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterable
from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape

#: PDF/A-3, level "a" (accessible): archivable, and tagged (a structure tree, MarkInfo).
PDF_VARIANT = "pdf/a-3a"


class PdfUnavailable(RuntimeError):
    """WeasyPrint, or the system libraries it needs, are not installed."""


def _no_fetch(url: str, *args, **kwargs):
    # A document never reads the network or the disk: only data: URLs (an embedded logo).
    if url.startswith("data:"):
        from weasyprint import default_url_fetcher

        return default_url_fetcher(url, *args, **kwargs)
    raise ValueError(f"documents do not load {url.split(':', 1)[0]} resources")


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
        data = HTML(string=document, url_fetcher=_no_fetch, base_url=None).write_pdf(
            pdf_variant=PDF_VARIANT, pdf_tags=True, custom_metadata=False
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

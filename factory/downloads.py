"""Stored files served to the people who may read them: always as downloads."""

from __future__ import annotations

import io
import os

from flask import abort, send_file

from renderers.file_names import download_name

from .services import services


def download(attachment):
    """An uploaded file, always as a download (never shown inline) under a safe name (the
    original stem with the extension of its detected type), or 404."""
    try:
        stream = services().storage.open(attachment.id)
    except OSError:  # none stored (or not a file): nothing to send
        abort(404)
    response = send_file(
        stream,
        mimetype="application/octet-stream",
        as_attachment=True,
        download_name=download_name(attachment.filename, attachment.content_type),
    )
    size = getattr(stream, "size", None)  # an object store's object says its size
    if size is None and hasattr(stream, "fileno"):
        size = os.fstat(stream.fileno()).st_size
    if size is not None:
        response.content_length = size
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def pdf_download(data: bytes, name: str):
    """A PDF the application wrote (a receipt, a certificate, a document of the case),
    always as a download."""
    response = send_file(
        io.BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=name
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def pdf_or_503(render):
    """What ``render()`` gives, or a 503 page when the server cannot write PDFs (WeasyPrint
    or the system's Pango missing): the person is told to try again later."""
    from engine.pdf import PdfUnavailable

    try:
        return render()
    except PdfUnavailable:
        abort(503)

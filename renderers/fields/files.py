"""Files: one or several uploads, checked by size and by content (:mod:`renderers.file_content`).

Uploads are the app's FileStorage-like objects (``filename`` and ``stream`` or
``read``/``seek``/``tell``); they are returned as they are for the app to store
(``detected`` holds the content type read for each one). Programs and scripts are refused
whatever ``accept`` says; :mod:`renderers.file_names` gives the name a file is stored and
served under.
"""

from __future__ import annotations

from typing import Any

import filetype
from wtforms.fields import Field as WTField
from wtforms.validators import StopValidation

from ..file_content import DAMAGED_PDF, inspect, is_dangerous
from ..i18n import N_, format_size
from .base import FieldType, field_language, message

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

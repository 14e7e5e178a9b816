"""Uploaded files: checked, bounded, stored under opaque names, deleted when replaced.

Files live in ``UPLOAD_FOLDER`` (outside the web root) under their attachment id (a random
UUID), never under a name the citizen chose; the ``filename`` of an attachment is the name
it is downloaded under, made by :func:`renderers.file_names.download_name` from the
original stem and the DETECTED type. A file field holds at most ``MAX_FILES_PER_FIELD``
files; a draft at most ``MAX_FILES_PER_DRAFT`` files and ``MAX_BYTES_PER_DRAFT`` bytes.

This module is the web part: it reads Werkzeug's uploads, applies the limits and says what
is wrong on the form. Storing is the engine's (:mod:`engine.attachments`, over the app's
:class:`~engine.storage.Storage`): files are staged (:func:`stage`: rows added, bytes not
yet written), and written only once every check passed, just before the commit
(:meth:`Staged.commit`); the files a draft no longer uses (replaced, removed, or of a field
now hidden) lose their row and their bytes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app, request
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

import renderers
from engine import cases
from engine.attachments import FileChanges, add_attachment, remove_attachments
from engine.errors import EngineError
from engine.models import Attachment, Case
from engine.workflow import Actor
from renderers.fields.files import kept_ids
from renderers.file_names import download_name

from .errors import Messages, attempt
from .params import int_arg
from .services import db, services


def _is_upload(value: Any) -> bool:
    return isinstance(value, FileStorage)


def _uploads_of(value: Any) -> list[FileStorage]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if _is_upload(v)]


def _size(upload: FileStorage) -> int:
    stream = upload.stream
    here = stream.tell()
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(here)
    return size


def file_fields(form) -> list[str]:
    """The ids of the form's file fields."""
    return [name for name, kind in form.stored_kinds().items() if kind.type == "file"]


# -- what the page shows -------------------------------------------------------------------


def describe(form, case: Case) -> None:
    """Tell the form the names and sizes of the files already sent (to show them)."""
    ids = {i for name in file_fields(form) for i in kept_ids(form[name].existing)}
    if not ids:
        return
    rows = db().execute(
        sa.select(Attachment.id, Attachment.filename, Attachment.size).where(
            Attachment.id.in_(ids), Attachment.case_id == case.id
        )
    )
    form.attachment_info = {row.id: (row.filename, row.size) for row in rows}


# -- limits --------------------------------------------------------------------------------


def over_limits(case: Case, form, answers: dict[str, Any], *, draft: bool = True) -> set[str]:
    """The file fields of ``answers`` (this form's answers) whose files go beyond a limit:
    per field, and, for a draft, per draft (files and bytes, without those this form's
    answers no longer hold). Each gets a French error; nothing is stored."""
    from renderers.i18n import format_size

    from .language import current_language
    from .translations import form_translations

    config = current_app.config
    per_field = config.get("MAX_FILES_PER_FIELD")
    over = set()
    for name in file_fields(form):
        value = answers.get(name)
        count = len(value) if isinstance(value, list) else int(value is not None)
        if per_field is not None and count > per_field and _uploads_of(value):
            _error(
                form,
                name,
                _(
                    "You can send at most %(num)d files here (you chose %(count)d): remove some.",
                    num=per_field,
                    count=count,
                ),
            )
            over.add(name)
    new = {name: _uploads_of(answers.get(name)) for name in file_fields(form)}
    if over or not draft or not any(new.values()):
        return over
    kept = {i for name in file_fields(form) for i in kept_ids(answers.get(name))}
    leaving = {i for name in file_fields(form) for i in kept_ids(case.answers.get(name))}
    leaving -= kept
    rows = (
        db()
        .execute(sa.select(Attachment.id, Attachment.size).where(Attachment.case_id == case.id))
        .all()
    )
    files = sum(1 for row in rows if row.id not in leaving)
    size = sum(row.size for row in rows if row.id not in leaving)
    max_files = config.get("MAX_FILES_PER_DRAFT")
    max_bytes = config.get("MAX_BYTES_PER_DRAFT")
    for name, uploads in new.items():
        if not uploads:
            continue
        files += len(uploads)
        size += sum(_size(u) for u in uploads)
        if max_files is not None and files > max_files:
            _error(
                form,
                name,
                _(
                    "This request cannot hold more than %(num)d files: remove some before "
                    "adding others.",
                    num=max_files,
                ),
            )
            over.add(name)
        elif max_bytes is not None and size > max_bytes:
            translations = form_translations()
            _error(
                form,
                name,
                _(
                    "The files of this request cannot weigh more than %(size)s in all: "
                    "remove some, or send lighter ones.",
                    size=format_size(max_bytes, translations.gettext, current_language()),
                ),
            )
            over.add(name)
    return over


def _error(form, name: str, message: str) -> None:
    errors = form[name].errors
    form[name].errors = [*(errors if isinstance(errors, list) else []), message]


# -- storing -------------------------------------------------------------------------------


@dataclass
class Staged:
    """The answers with uploaded files replaced by attachment ids, and the engine's
    :class:`~engine.attachments.FileChanges`: the new attachments' bytes, written just
    before the commit, and the removed ones', deleted after it (:meth:`commit`)."""

    values: dict[str, Any]
    changes: FileChanges = field(default_factory=lambda: FileChanges(services().storage))

    def commit(self) -> None:
        """Write the new files, commit, then remove the files deleted; on any failure the
        new files are removed again and the transaction rolled back."""
        self.changes.commit(db())


def stage(case: Case, form, answers: dict[str, Any]) -> Staged:
    """``answers`` with each uploaded file replaced by the id of a new attachment (its row
    added to the session; its bytes written by :meth:`Staged.commit`)."""
    staged = Staged(dict(answers))
    for name in file_fields(form):
        value = answers.get(name)
        if not _uploads_of(value):
            continue
        detected = list(getattr(form[name], "detected", None) or [])
        position = 0
        ids = []
        for item in value if isinstance(value, list) else [value]:
            if not _is_upload(item):
                ids.append(item)
                continue
            mime = detected[position] if position < len(detected) else None
            position += 1
            ids.append(
                add_attachment(
                    db(),
                    staged.changes,
                    case,
                    name,
                    item.stream,
                    download_name(item.filename, mime),
                    mime,
                    services().clock.now(),  # each its own instant: files keep their order
                )
            )
        staged.values[name] = ids if isinstance(value, list) else ids[0]
    return staged


def drop_unused(case: Case, form, before: dict[str, Any], staged: Staged) -> None:
    """Delete the rows of the files this form's fields held in ``before`` that the draft's
    answers no longer hold (replaced, removed, or of a field now hidden); their bytes go
    at :meth:`Staged.commit`."""
    used = {i for name in file_fields(form) for i in kept_ids(case.answers.get(name))}
    old = {i for name in file_fields(form) for i in kept_ids(before.get(name))} - used
    remove_attachments(db(), staged.changes, case, old)


# -- a page posted: what is kept when it is not saved ----------------------------------------


def keep(case: Case, form, *, validated: bool) -> Staged:
    """Store the valid files of a page that is shown again instead of being saved (another
    field has an error, a group's item was added or removed, a file was removed), so that
    the citizen never chooses them again; apply a "Remove" button. The files join the
    draft's answers; the form then shows them as sent. Call :meth:`Staged.commit`."""
    before = dict(case.answers)
    values: dict[str, Any] = {}
    if form.detached:
        name, _attachment = form.detached
        values[name] = form[name].existing
    good = {}
    for name in file_fields(form):
        input_ = form[name]
        if not input_.uploads or not form.visible(name):
            continue
        if not validated:
            errors = list(input_.errors) if isinstance(input_.errors, list) else []
            input_.validate(form)
            problems = input_.errors
            input_.errors = errors  # a page shown again, not a submit: no new errors
            if problems:
                continue
        elif input_.errors:
            continue
        good[name] = form.kinds[name].to_answer(input_)
    if good:
        whole = {name: form[name].existing for name in file_fields(form)} | good
        over = over_limits(case, form, whole)
        good = {name: value for name, value in good.items() if name not in over}
    staged = stage(case, form, good)
    values |= staged.values
    if values:
        cases.save_answers(db(), case, values)
        if any(value is None for value in values.values()):  # a file removed: no answer
            case.answers = {
                k: v for k, v in case.answers.items() if v is not None or k not in values
            }
        drop_unused(case, form, before, staged)
        for name, value in values.items():
            form[name].existing = value
            form[name].uploads = []
            form[name].data = value
    return staged


def fire_with_files(
    case: Case,
    form,
    transition_id: str,
    who: Actor,
    messages: Messages,
    *,
    then: Callable[[], None] | None = None,
) -> tuple[bool, EngineError | None]:
    """A transition's form sent by a citizen or an agent: when it is a POST whose form
    validates and whose files are within the limits, stage the files, fire ``transition_id``
    at the version the form was shown with (``then`` runs after it, in the same
    transaction), and commit, the files with it, or discard (:func:`factory.errors.attempt`).

    Returns whether it was fired, and the engine error ``messages`` named if it was refused
    (``None`` when done)."""
    if request.method != "POST" or form.group_action or not form.validate():
        return False, None
    if over_limits(case, form, renderers.answers_from(form), draft=False):
        return False, None
    expected = int_arg("version", source=request.form, default=case.lock_version)
    # the files are written only once the transition is allowed and done
    staged = stage(case, form, renderers.answers_from(form))

    def operation() -> None:
        cases.fire(
            db(),
            services().runtime,
            case,
            transition_id,
            who,
            services().clock,
            values=staged.values,
            expected_version=expected,
        )
        if then is not None:
            then()

    return True, attempt(operation, messages, commit=staged.commit)

"""Reading a procedure file: its form, its workflow (inline or reusable), its checks."""

from __future__ import annotations

import hashlib
import io
import re
import string
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .answers import compile_answers_schema
from .expression_checks import analyse
from .loader import MAX_NODES, Document, load, load_file
from .model import Field, Form, Page, Procedure
from .partial import check_valid_parts
from .reader import Reader
from .schemas import structural_problems, suggestion
from .scope import Scope
from .texts import N_, Phrase
from .workflow_library import WorkflowLibrary
from .workflows import WorkflowReader

REFERENCE_NAMES = ("year", "seq", "procedure")
REFERENCE_MAX_LENGTH = 100  # the cases' reference column


class ProcedureReader(Reader):
    def __init__(self, document: Document, site=None, library: WorkflowLibrary | None = None):
        super().__init__(document, site)
        self.library = library or WorkflowLibrary(None, site)

    def read(self) -> Procedure | None:
        data = self.document.data
        if not isinstance(data, dict):
            self.error(
                (), N_("a procedure file is a mapping (procedure, version, title, form, workflow…)")
            )
            return None
        structure = structural_problems(self.document, "procedure")
        if structure:
            self.problems += structure
            check_valid_parts(self, data)  # all the problems at once
            return None
        self.check_top(data)
        form = self.form(data["form"])
        fields = MappingProxyType({f.id: f for f in form.fields})
        workflow = self.workflow(data["workflow"], fields)
        if self.problems or workflow is None:
            return None
        procedure = Procedure(
            slug=data["procedure"],
            version=data["version"],
            title=self.text(("title",), data["title"]),
            department=data["department"],
            form=form,
            workflow=workflow,
            login=data.get("login", "optional"),
            reference=data.get("reference", "{procedure}-{year}-{seq:06d}"),
            summary=self.text(("summary",), data.get("summary")),
            category=self.text(("category",), data.get("category")),
            estimated_minutes=data.get("estimated_minutes"),
            retention_days=data.get("retention_days"),
            legal_basis=data.get("legal_basis", "public_task"),
            source_file=self.document.file,
            answers_schema=MappingProxyType(compile_answers_schema(form)),
        )
        return procedure

    def check_top(self, data: dict) -> None:
        self.check_department(("department",), data["department"])
        if "reference" in data:
            self.check_reference(data["reference"], data["procedure"])

    def check_reference(self, pattern: str, slug: str = "procedure") -> None:
        found = len(self.problems)
        try:
            parts = list(string.Formatter().parse(pattern))
        except ValueError as error:
            self.error(
                ("reference",),
                N_("this reference pattern does not parse: %(error)s"),
                error=str(error),
            )
            return
        names = [name for _, name, _, _ in parts if name is not None]
        for _, name, spec, conversion in parts:
            if name is None:
                continue
            if name not in REFERENCE_NAMES:
                self.error(
                    ("reference",),
                    N_("unknown part {%(name)s} in the reference%(hint)s"),
                    name=name,
                    hint=suggestion(name, REFERENCE_NAMES),
                )
            elif conversion or (spec and not (name == "seq" and _is_int_spec(spec))):
                self.error(
                    ("reference",),
                    N_(
                        "{%(name)s:%(spec)s} is not allowed: only {seq} takes a width, such "
                        "as {seq:06d}"
                    ),
                    name=name,
                    spec=spec,
                )
        if "seq" not in names:
            self.error(
                ("reference",), N_("the reference must contain {seq} (or {seq:06d}) to be unique")
            )
        if len(self.problems) > found:
            return
        longest = pattern.format(year=9999, seq=10**9 - 1, procedure=slug)
        if len(longest) > REFERENCE_MAX_LENGTH:
            self.error(
                ("reference",),
                N_(
                    "the references would be up to %(length)s characters long; they may have "
                    "%(most)s at most"
                ),
                length=len(longest),
                most=REFERENCE_MAX_LENGTH,
            )

    def form(self, data: dict) -> Form:
        pages: list[Page] = []
        seen_pages: dict[str, int] = {}
        seen_fields: dict[str, tuple] = {}
        bare: list[tuple[int, list[Field]]] = []
        for index, page in enumerate(data["pages"]):
            if page["id"] in seen_pages:
                line = self.document.where(("form", "pages", seen_pages[page["id"]], "id"))[0]
                self.error(
                    ("form", "pages", index, "id"),
                    N_("the page id %(id)s is used twice (first at line %(line)s)"),
                    id=repr(page["id"]),
                    line=line,
                )
            seen_pages.setdefault(page["id"], index)
            bare.append(
                (
                    index,
                    self.fields(
                        ("form", "pages", index, "fields"), page["fields"], None, seen_fields
                    ),
                )
            )
        fields = {f.id: f for _, page_fields in bare for f in page_fields}
        self.check_sub_field_ids(data, bare, fields)
        for index, page in enumerate(data["pages"]):
            for position, item in enumerate(page["fields"]):
                path = ("form", "pages", index, "fields", position)
                self.check_prefill_lookup(path, item, fields)
                for sub_position, sub in enumerate(item.get("fields", ())):
                    self.check_prefill_lookup((*path, "fields", sub_position), sub, fields)
        scope = Scope(fields)
        for index, page_fields in bare:
            page = data["pages"][index]
            path = ("form", "pages", index)
            by_id = {item["id"]: (i, item) for i, item in enumerate(page["fields"])}
            checked = tuple(
                self.attach_expressions((*path, "fields", by_id[f.id][0]), by_id[f.id][1], f, scope)
                for f in page_fields
            )
            later = {f.id for i, fs in bare if i >= index for f in fs}
            self.check_page_condition(path, page, later)
            self.check_fields_read_earlier(
                path, page, {f.id for i, fs in bare if i > index for f in fs}
            )
            pages.append(
                Page(
                    id=page["id"],
                    title=self.text((*path, "title"), page["title"]),
                    fields=checked,
                    when=self.expression((*path, "when"), page.get("when"), scope),
                    intro=self.text((*path, "intro"), page.get("intro")),
                )
            )
        return Form(pages=tuple(pages), review=bool(data.get("review")))

    def check_sub_field_ids(self, data: dict, bare, fields: dict) -> None:
        """Field ids are unique in the procedure: a group's fields too."""
        owners: dict[str, str] = {}
        for index, page_fields in bare:
            for field_ in page_fields:
                for sub_index, sub in enumerate(field_.fields):
                    path = (
                        "form",
                        "pages",
                        index,
                        "fields",
                        _position(data, index, field_.id),
                        "fields",
                        sub_index,
                        "id",
                    )
                    if sub.id in fields:
                        self.error(
                            path,
                            N_(
                                "the field id %(id)s is used twice (also a field of the form); "
                                "give the group's field another id"
                            ),
                            id=repr(sub.id),
                        )
                    elif sub.id in owners and owners[sub.id] != field_.id:
                        self.error(
                            path,
                            N_("the field id %(id)s is used twice (also in the group %(group)s)"),
                            id=repr(sub.id),
                            group=repr(owners[sub.id]),
                        )
                    owners.setdefault(sub.id, field_.id)

    def check_fields_read_earlier(self, path, page: dict, later: set[str]) -> None:
        """A field's ``visible_if`` cannot read a later page: it is not answered yet."""
        for index, item in enumerate(page["fields"]):
            if "visible_if" not in item:
                continue
            for name in sorted(later & analyse(item["visible_if"]).names):
                self.error(
                    (*path, "fields", index, "visible_if"),
                    N_(
                        "this condition reads %(name)s, a field of a later page, which is not "
                        "answered yet when this page is shown"
                    ),
                    name=repr(name),
                )

    def check_page_condition(self, path, page: dict, later: set[str]) -> None:
        """A page's ``when`` reads earlier answers only: its own and later ones are not
        asked yet."""
        if "when" not in page:
            return
        own = {f["id"] for f in page["fields"]}
        for name in sorted(later & analyse(page["when"]).names):
            msgid = (
                N_(
                    "the page's condition reads %(name)s, a field of the same page; a page's "
                    "'when' may only read earlier answers"
                )
                if name in own
                else N_(
                    "the page's condition reads %(name)s, a field of a later page; a page's "
                    "'when' may only read earlier answers"
                )
            )
            self.error((*path, "when"), msgid, name=repr(name))

    def workflow(self, data: dict, fields) -> Any:
        if "use" in data:
            return self.shared_workflow(data, fields)
        reader = WorkflowReader(self, ("workflow",), data, reusable=False)
        if not reader.check_graph():
            return None
        return reader.build(fields, {}, self, templates=self.library.template)

    def shared_workflow(self, data: dict, fields) -> Any:
        name = data["use"]
        shared = self.library.get(name)
        if shared is None:
            known = self.library.names()
            self.error(
                ("workflow", "use"),
                N_("there is no reusable workflow %(name)s (workflows/%(file)s.yaml)%(hint)s"),
                name=repr(name),
                file=name,
                hint=suggestion(name, known),
            )
            return None
        self.problems += shared.problems
        if shared.reader is None:
            return None
        roles = dict(data.get("roles", {}))
        needed = shared.reader.roles
        for role in sorted(needed - set(roles)):
            self.error(
                ("workflow", "use"),
                N_(
                    "the workflow %(name)s needs the role %(role)s: map it to a department "
                    "under 'roles'"
                ),
                name=repr(name),
                role=repr(role),
            )
        for role, slug in roles.items():
            if role not in needed:
                hint = suggestion(role, needed) if needed else Phrase(N_("; it names no roles"))
                self.error(
                    ("workflow", "roles", role),
                    N_("the workflow %(name)s has no role %(role)s%(hint)s"),
                    key=True,
                    name=repr(name),
                    role=repr(role),
                    hint=hint,
                )
            else:
                self.check_department(("workflow", "roles", role), slug)
        for field_id in shared.required_fields:
            if field_id not in fields:
                self.error(
                    ("workflow", "use"),
                    N_(
                        "the workflow %(name)s reads the field %(field)s, which this procedure "
                        "does not have"
                    ),
                    name=repr(name),
                    field=repr(field_id),
                )
        if not shared.reader.graph_ok or self.problems:
            return None
        slug = self.document.data["procedure"]
        reader = Reader(
            shared.document,
            self.site,
            suffix=Phrase(N_(" (in procedure %(slug)s)"), slug=repr(slug)),
        )
        workflow = shared.reader.build(fields, roles, reader, templates=self.library.template)
        self.problems += reader.problems
        return workflow


def _position(data: dict, page_index: int, field_id: str) -> int:
    fields = data["pages"][page_index]["fields"]
    return next(i for i, item in enumerate(fields) if item["id"] == field_id)


def _is_int_spec(spec: str) -> bool:
    """A width for {seq}: ``d``, ``6``, ``06d``… (ASCII digits: ``²`` is no width)."""
    return re.fullmatch(r"[0-9]{1,2}d?|d", spec) is not None


def read_procedure(document: Document, site=None, library: WorkflowLibrary | None = None):
    """Check a loaded procedure. Returns ``(procedure or None, problems)``."""
    reader = ProcedureReader(document, site, library)
    procedure = reader.read()
    return procedure, reader.problems


def source_digest(source: str, workflows: Mapping[str, str]) -> str:
    """The SHA-256 of a procedure's YAML text and of the reusable workflows it uses: what
    tells two versions apart (a published version stores it and never changes)."""
    text = source + "".join(f"\0{k}\0{v}" for k, v in sorted(workflows.items()))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def procedure_from_source(
    source: str | bytes,
    *,
    name: str = "<string>",
    site=None,
    workflows: Mapping[str, str] | WorkflowLibrary | None = None,
    max_nodes: int = MAX_NODES,
):
    """YAML text → a checked procedure that keeps its text (``source``, ``source_hash``).

    ``workflows`` is a library, or the reusable workflows' texts by name. Returns
    ``(procedure or None, problems)``.
    """
    document, problems = load(source, name, max_nodes=max_nodes)
    if document is None or problems:
        return None, problems
    if isinstance(workflows, WorkflowLibrary):
        library = workflows
    else:
        library = WorkflowLibrary(None, site, sources=dict(workflows or {}))
    procedure, problems = read_procedure(document, site, library)
    if procedure is None:
        return None, problems
    if isinstance(source, bytes):  # as a text-mode read gives it
        source = io.TextIOWrapper(io.BytesIO(source), encoding="utf-8", errors="replace").read()
    used = procedure.workflow.name
    kept = {used: library.source(used) or ""} if used is not None else {}
    for template in procedure.workflow.templates:
        kept[f"templates/{template}.html"] = library.template(template) or ""
    return replace(procedure, source=source, source_hash=source_digest(source, kept)), problems


def load_procedure(path, site=None, library: WorkflowLibrary | None = None):
    """Load and check one procedure file. Returns ``(procedure or None, problems)``."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError:
        return load_file(path)  # the problem of a file that cannot be read
    library = library or WorkflowLibrary(path.parent / "workflows", site)
    return procedure_from_source(raw, name=str(path), site=site, workflows=library)

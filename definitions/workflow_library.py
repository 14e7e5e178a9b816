"""Reusable workflows: the ``workflows/`` folder beside procedure files, each file read
and its shape checked once (:class:`WorkflowLibrary`), whichever procedures use it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import Problem
from .loader import Document, load, load_file
from .reader import Reader
from .schemas import structural_problems
from .texts import N_
from .workflows import WorkflowReader

#: Where a document template is kept among the published texts of a version.
TEMPLATES = "templates/"


@dataclass
class SharedWorkflow:
    """A reusable workflow file, read once and checked once."""

    name: str
    document: Document | None
    problems: list[Problem]
    reader: WorkflowReader | None = None
    required_fields: tuple[str, ...] = ()


@dataclass
class WorkflowLibrary:
    """The ``workflows/`` folder beside procedure files; files are read on first use."""

    folder: Path | None
    site: Any = None
    sources: dict[str, str] | None = None  # name -> YAML text, instead of a folder
    loaded: dict[str, SharedWorkflow] = field(default_factory=dict)

    def names(self) -> list[str]:
        if self.sources is not None:
            return sorted(k for k in self.sources if not k.startswith(TEMPLATES))
        if self.folder is None or not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.glob("*.yaml"))

    def get(self, name: str) -> SharedWorkflow | None:
        if name in self.loaded:
            return self.loaded[name]
        if self.sources is not None:
            if name not in self.sources:
                return None
            document, problems = load(self.sources[name], f"workflows/{name}.yaml")
        else:
            path = self.folder / f"{name}.yaml" if self.folder else None
            if path is None or not path.is_file():
                return None
            document, problems = load_file(path)
        self.loaded[name] = shared = self.read(name, document, problems)
        return shared

    def all_sources(self) -> dict[str, str]:
        """Every workflow's YAML text by name, and every document template's HTML under
        ``templates/NAME.html``, to publish with the procedures."""
        found = {name: self.source(name) or "" for name in self.names()}
        for name in self.template_names():
            found[f"{TEMPLATES}{name}.html"] = self.template(name) or ""
        return found

    def template_names(self) -> list[str]:
        """The document templates there are (``templates/NAME.html`` beside the procedures)."""
        if self.sources is not None:
            return sorted(
                k[len(TEMPLATES) : -len(".html")]
                for k in self.sources
                if k.startswith(TEMPLATES) and k.endswith(".html")
            )
        folder = self._templates_folder()
        if folder is None or not folder.is_dir():
            return []
        return sorted(p.stem for p in folder.glob("*.html"))

    def template(self, name: str) -> str | None:
        """The HTML of the document template ``name``, or None when there is none."""
        if self.sources is not None:
            return self.sources.get(f"{TEMPLATES}{name}.html")
        folder = self._templates_folder()
        path = folder / f"{name}.html" if folder else None
        if path is None or not path.is_file():
            return None
        with open(path, encoding="utf-8", errors="replace") as stream:
            return stream.read()

    def _templates_folder(self) -> Path | None:
        # templates/ sits beside the procedure files, as workflows/ does
        return self.folder.parent / "templates" if self.folder is not None else None

    def source(self, name: str) -> str | None:
        """The YAML text of a workflow, to publish it with the procedures that use it."""
        if self.sources is not None:
            return self.sources.get(name)
        path = self.folder / f"{name}.yaml" if self.folder else None
        if path is None or not path.is_file():
            return None
        with open(path, encoding="utf-8", errors="replace") as stream:  # loaded already
            return stream.read()

    def read(self, name: str, document: Document | None, problems: list) -> SharedWorkflow:
        shared = SharedWorkflow(name, document, problems)
        if document is None or problems:
            return shared
        if not isinstance(document.data, dict):
            shared.problems.append(
                document.problem(
                    (), N_("a workflow file is a mapping (initial, states, transitions…)")
                )
            )
            return shared
        shared.problems += structural_problems(document, "workflow")
        data, base = document.data, ()
        if isinstance(data.get("workflow"), dict):  # the whole workflow under a 'workflow' key
            data, base = data["workflow"], ("workflow",)
        elif isinstance(data.get("workflow"), str) and data["workflow"] != name:
            shared.problems.append(
                document.problem(
                    ("workflow",),
                    N_(
                        "this file is workflows/%(file)s.yaml but names itself %(name)s; the "
                        "file name is the workflow's name"
                    ),
                    file=name,
                    name=repr(data["workflow"]),
                )
            )
        if not shared.problems and not {"states", "transitions"} <= set(data):
            shared.problems.append(
                document.problem(base, N_("a workflow needs 'states' and 'transitions'"))
            )
        if shared.problems:
            return shared
        reader = Reader(document, self.site)
        shared.reader = WorkflowReader(reader, base, data, reusable=True, name=name)
        shared.reader.check_graph()
        shared.required_fields = tuple(document.data.get("fields", ()))
        shared.problems += reader.problems
        return shared

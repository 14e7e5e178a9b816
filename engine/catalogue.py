"""Published procedure versions, compiled once and shared by every case filed under them."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import Session, defer

from definitions.errors import DefinitionError
from definitions.model import Procedure, Text
from definitions.procedures import procedure_from_source
from definitions.site import Site
from definitions.workflow_library import WorkflowLibrary

from .clock import Calendar, Clock
from .errors import NotFound, PublishError
from .models import ProcedureVersion
from .workflow import CompiledProcedure

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Runtime:
    """What the engine's operations need besides a session, an actor and a clock: the site
    config, the catalogue of compiled published versions, and the working-day calendar of
    the site's time zone. One per application (or per test run), shared by its requests."""

    site: Site | None = None
    catalogue: Catalogue = field(default=None)  # type: ignore[assignment]
    calendar: Calendar = field(default_factory=Calendar)

    def __post_init__(self) -> None:
        if self.catalogue is None:
            self.catalogue = Catalogue(self.site)
        if self.site is not None:
            self.calendar = Calendar(self.site.timezone)

    @property
    def mail_connector(self) -> str | None:
        """The e-mail connector that carries notifications: ``mail``, else the first one."""
        if self.site is None:
            return None
        emails = [c.name for c in self.site.connectors.values() if c.type == "email"]
        return "mail" if "mail" in emails else (emails[0] if emails else None)


@dataclass(frozen=True, slots=True)
class Listing:
    """What the catalogue page shows of a published version, read without compiling it."""

    version_id: int
    slug: str
    title: Text
    summary: Text | None
    category: Text | None
    estimated_minutes: int | None
    login: str


#: the top-level keys a listing reads
LISTED = ("title", "summary", "category", "estimated_minutes", "login")
_TOP_LEVEL = re.compile(r"^(?![\s#]|-(?:--)?\s|\.\.\.)", re.M)
_LISTED_KEY = re.compile("(" + "|".join(LISTED) + r")\s*:")


def listed_blocks(source: str) -> str:
    """The top-level blocks of ``source`` that a listing reads (``title:`` and what is
    indented under it, and so on), as YAML text; what else the file holds is not parsed."""
    starts = [m.start() for m in _TOP_LEVEL.finditer(source)] + [len(source)]
    return "".join(
        source[start:end]
        for start, end in zip(starts, starts[1:], strict=False)
        if _LISTED_KEY.match(source, start)
    )


class Catalogue:
    """Compiles each published version once (thread-safe), on first use, and keeps it."""

    def __init__(self, site: Site | None = None):
        self.site = site
        self._compiled: dict[int, CompiledProcedure] = {}
        self._listings: dict[int, Listing] = {}
        self._lock = threading.Lock()

    def listings(self, session: Session) -> list[Listing]:
        """What the catalogue shows of the newest version of every procedure, by slug.

        Versions never change: each one's listing is read once per process from the few
        top-level keys of its source (``title``, ``summary``…), without compiling it, and
        the page reads nothing but the ids of the published versions afterwards."""
        rows = session.execute(self._newest(ProcedureVersion.id, ProcedureVersion.slug)).all()
        missing = [version_id for version_id, _ in rows if version_id not in self._listings]
        for start in range(0, len(missing), 200):
            chunk = missing[start : start + 200]
            for version_id, slug, source in session.execute(
                sa.select(
                    ProcedureVersion.id, ProcedureVersion.slug, ProcedureVersion.source
                ).where(ProcedureVersion.id.in_(chunk))
            ):
                listing = self._listing(session, version_id, slug, source)
                with self._lock:
                    self._listings.setdefault(version_id, listing)
        return [self._listings[version_id] for version_id, _ in rows]

    def _listing(self, session: Session, version_id: int, slug: str, source: str) -> Listing:
        compiled = self._compiled.get(version_id)
        if compiled is None:
            try:
                return self._read_listing(version_id, slug, source)
            except (yaml.YAMLError, TypeError, ValueError, KeyError):
                pass  # an unusual layout: the compiled procedure says it exactly
            compiled = self.compiled(session, version_id)
        procedure = compiled.procedure
        return Listing(
            version_id,
            slug,
            procedure.title,
            procedure.summary,
            procedure.category,
            procedure.estimated_minutes,
            procedure.login,
        )

    def _read_listing(self, version_id: int, slug: str, source: str) -> Listing:
        data = yaml.load(listed_blocks(source), Loader=_LOADER) or {}  # noqa: S506 - safe loader
        if not isinstance(data, Mapping) or not set(data) <= set(LISTED):
            raise ValueError("not a listing")
        minutes = data.get("estimated_minutes")
        if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, int)):
            raise ValueError("estimated_minutes")
        login = data.get("login", "optional")
        if not isinstance(login, str):
            raise ValueError("login")
        title = self._text(data["title"])
        if title is None:
            raise ValueError("title")
        return Listing(
            version_id,
            slug,
            title,
            self._text(data.get("summary")),
            self._text(data.get("category")),
            minutes,
            login,
        )

    def _text(self, value: Any) -> Text | None:
        """A text as the reader makes it (a plain string is in the site's first language)."""
        if value is None:
            return None
        if isinstance(value, str):
            language = self.site.languages[0] if self.site else "fr"
            return Text(MappingProxyType({language: value}))
        if (
            isinstance(value, Mapping)
            and value
            and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
        ):
            return Text(MappingProxyType(dict(value)))
        raise TypeError("not a text")

    def compiled(self, session: Session, version_id: int) -> CompiledProcedure:
        compiled = self._compiled.get(version_id)
        if compiled is not None:
            return compiled
        row = session.get(ProcedureVersion, version_id)
        if row is None:
            raise NotFound(f"no procedure version {version_id}")
        procedure = self.read(row.source, row.workflows, f"{row.slug}-v{row.version}.yaml")
        with self._lock:
            return self._compiled.setdefault(version_id, CompiledProcedure(procedure, version_id))

    def read(self, source: str, workflows: dict[str, str], name: str) -> Procedure:
        procedure, problems = procedure_from_source(
            source, name=name, site=self.site, workflows=workflows
        )
        if procedure is None:
            raise DefinitionError(problems)
        return procedure

    def current(self, session: Session, slug: str) -> ProcedureVersion | None:
        """The newest published version of a procedure still in the catalogue."""
        return session.scalars(
            sa.select(ProcedureVersion)
            .where(ProcedureVersion.slug == slug, ProcedureVersion.withdrawn_at.is_(None))
            .order_by(ProcedureVersion.version.desc())
            .limit(1)
        ).first()

    def published(self, session: Session) -> list[ProcedureVersion]:
        """The newest version of every procedure in the catalogue (their sources are read
        only if asked for: ``compiled`` does not need them once a version is compiled)."""
        return list(
            session.scalars(
                self._newest(ProcedureVersion).options(
                    defer(ProcedureVersion.source), defer(ProcedureVersion.workflows)
                )
            )
        )

    @staticmethod
    def _newest(*columns) -> sa.Select:
        newest = (
            sa.select(ProcedureVersion.slug, sa.func.max(ProcedureVersion.version).label("v"))
            .where(ProcedureVersion.withdrawn_at.is_(None))
            .group_by(ProcedureVersion.slug)
            .subquery()
        )
        return (
            sa.select(*columns)
            .join(
                newest,
                sa.and_(
                    ProcedureVersion.slug == newest.c.slug,
                    ProcedureVersion.version == newest.c.v,
                ),
            )
            .order_by(ProcedureVersion.slug)
        )


def publish(
    session: Session,
    runtime: Runtime,
    source: str,
    *,
    workflows: dict[str, str] | None = None,
    clock: Clock,
    published_by: int | None = None,
    name: str = "procedure.yaml",
) -> ProcedureVersion:
    """Publish a procedure version. Publishing the same text again changes nothing; a
    different text under a published version number is refused: versions are immutable."""
    try:
        procedure = runtime.catalogue.read(source, workflows or {}, name)
    except DefinitionError as error:
        raise PublishError(str(error)) from error
    used = {procedure.workflow.name} - {None}
    used |= {f"templates/{name}.html" for name in procedure.workflow.templates}
    kept = {k: v for k, v in (workflows or {}).items() if k in used}
    digest = procedure.source_hash  # the text and the workflows it uses, as kept below
    existing = session.scalars(
        sa.select(ProcedureVersion).where(
            ProcedureVersion.slug == procedure.slug, ProcedureVersion.version == procedure.version
        )
    ).first()
    if existing is not None:
        if existing.source_hash != digest:
            raise PublishError(
                f"version {procedure.version} of {procedure.slug!r} is already published with "
                "other content; a published version never changes: publish a new version number"
            )
        return existing
    row = ProcedureVersion(
        slug=procedure.slug,
        version=procedure.version,
        source=source,
        workflows=kept,
        source_hash=digest,
        published_at=clock.now(),
        published_by_id=published_by,
    )
    session.add(row)
    session.flush()
    return row


def publish_folder(
    session: Session, runtime: Runtime, folder: Path, *, clock: Clock
) -> list[ProcedureVersion]:
    """Publish every procedure of a folder (with the workflows they use)."""
    from definitions.folders import procedure_files

    library = WorkflowLibrary(folder / "workflows", runtime.site)
    workflows = library.all_sources()
    return [
        publish(
            session,
            runtime,
            path.read_text("utf-8"),
            workflows=workflows,
            clock=clock,
            name=str(path),
        )
        for path in procedure_files(folder)
    ]

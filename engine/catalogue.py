"""Published procedure versions, compiled once and shared by every case filed under them."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from definitions.errors import DefinitionError
from definitions.model import Procedure
from definitions.procedures import procedure_from_source
from definitions.site import Site
from definitions.workflow_library import WorkflowLibrary

from .clock import Calendar, Clock
from .errors import NotFound, PublishError
from .models import ProcedureVersion
from .workflow import CompiledProcedure


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


class Catalogue:
    """Compiles each published version once (thread-safe) and keeps it."""

    def __init__(self, site: Site | None = None):
        self.site = site
        self._compiled: dict[int, CompiledProcedure] = {}
        self._lock = threading.Lock()

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
        """The newest version of every procedure in the catalogue."""
        newest = (
            sa.select(ProcedureVersion.slug, sa.func.max(ProcedureVersion.version).label("v"))
            .where(ProcedureVersion.withdrawn_at.is_(None))
            .group_by(ProcedureVersion.slug)
            .subquery()
        )
        return list(
            session.scalars(
                sa.select(ProcedureVersion)
                .join(
                    newest,
                    sa.and_(
                        ProcedureVersion.slug == newest.c.slug,
                        ProcedureVersion.version == newest.c.v,
                    ),
                )
                .order_by(ProcedureVersion.slug)
            )
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

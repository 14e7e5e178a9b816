"""What the application holds between requests: the database, the runtime, connectors.

Per-app state lives in ``app.extensions["guichet"]``; a request gets its own database
session (:func:`db`), closed at the end of the request; views commit in one place.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from engine.catalogue import Runtime
from engine.clock import Clock
from engine.db import make_engine, make_session_factory
from engine.storage import LocalStorage, Storage, from_settings

log = logging.getLogger(__name__)


@dataclass
class Services:
    """One application's long-lived objects, in ``app.extensions["guichet"]``: the database
    engine and its session factory, the engine's :class:`Runtime`, the clock, and the folder
    of uploaded files."""

    engine: Engine
    sessions: sessionmaker
    runtime: Runtime
    clock: Clock
    uploads: Path
    #: where attachments' bytes live (the files of ``uploads``, or an object store)
    storage: Storage
    #: the site's prefill sources, ready to look up (``connectors.prefill.sources``)
    prefill: Any = None


def services() -> Services:
    return current_app.extensions["guichet"]


def db() -> Session:
    """The request's database session."""
    if "db" not in g:
        g.db = services().sessions()
    return g.db


def init_app(app: Flask) -> None:
    from connectors.prefill.registry import load_types as prefill_types
    from connectors.registry import settings_schemas
    from definitions.folders import load_site_file

    # the types of prefill sources: two of one name stop the start, naming both
    sources = prefill_types()
    descriptions = {name: cls.description() for name, cls in sources.items()}
    site = None
    if app.config.get("SITE"):
        site, problems = load_site_file(
            app.config["SITE"], connector_schemas=settings_schemas(), prefill_types=descriptions
        )
        if problems:
            raise RuntimeError("the site config has problems:\n" + "\n".join(map(str, problems)))
        site = absolute_folders(site)
    url = app.config["DATABASE_URL"]
    database = make_url(url).database if url.startswith("sqlite:///") else None
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    if app.config["MIGRATE"]:
        from engine.migrate import upgrade

        upgrade(engine)
    uploads = Path(app.config["UPLOAD_FOLDER"])
    storage = from_settings(app.config, uploads)
    if isinstance(storage, LocalStorage):
        uploads.mkdir(parents=True, exist_ok=True)
    app.extensions["guichet"] = state = Services(
        engine=engine,
        sessions=make_session_factory(engine),
        runtime=Runtime(site=site),
        clock=app.config.get("CLOCK") or Clock(),
        uploads=uploads,
        storage=storage,
        prefill=_prefill_sources(app, site, sources),
    )
    if app.config.get("PROCEDURES"):
        publish_at_start(state, Path(app.config["PROCEDURES"]))
    if app.config.get("DEMO_ACCOUNTS"):
        from .accounts import create_demo_accounts

        with state.sessions() as session, session.begin():
            create_demo_accounts(session, site)
    if app.config.get("WORKER_THREAD") and not app.testing:
        start_worker(app, state)

    @app.teardown_appcontext
    def _close(_error):
        session = g.pop("db", None)
        if session is not None:
            session.close()


def _prefill_sources(app: Flask, site, types):
    """The site's prefill source instances; a test config may give them
    (``PREFILL_SOURCES``: name -> instance)."""
    from connectors.prefill.sources import PrefillSources

    if app.config.get("PREFILL_SOURCES") is not None:
        return PrefillSources(dict(app.config["PREFILL_SOURCES"]))
    return PrefillSources.from_site(site, types)


#: The settings of the built-in connector types that name a folder.
FOLDER_SETTINGS = {"email": "folder", "filedrop": "path"}


def absolute_folders(site):
    """The site config with its connectors' folders (mail written to ``var/mail``…) made
    absolute, against the folder Guichet starts in."""
    connectors = {}
    for name, config in site.connectors.items():
        key = FOLDER_SETTINGS.get(config.type)
        value = config.settings.get(key) if key else None
        if isinstance(value, str) and value and not os.path.isabs(value):
            settings = MappingProxyType({**config.settings, key: os.path.abspath(value)})
            config = dataclasses.replace(config, settings=settings)
        connectors[name] = config
    return dataclasses.replace(site, connectors=MappingProxyType(connectors))


def publish_at_start(state: Services, folder: Path) -> None:
    """Publish the procedures of a folder; a version already published with other content
    is reported and left as it was (published versions never change)."""
    from definitions.folders import procedure_files
    from definitions.workflow_library import WorkflowLibrary
    from engine.catalogue import publish
    from engine.errors import PublishError

    library = WorkflowLibrary(folder / "workflows", state.runtime.site)
    workflows = library.all_sources()
    for path in procedure_files(folder):
        with state.sessions() as session, session.begin():
            try:
                publish(
                    session,
                    state.runtime,
                    path.read_text("utf-8"),
                    workflows=workflows,
                    clock=state.clock,
                    name=str(path),
                )
            except PublishError as error:
                log.warning("%s is not published: %s", path, error)


def start_worker(app: Flask, state: Services) -> None:
    from connectors.registry import ConnectorRegistry
    from engine.worker import Worker, start_thread

    from .observability import timed

    registry = ConnectorRegistry(state.runtime.site, storage=state.storage)
    worker = Worker(
        state.runtime,
        state.sessions,
        timed(registry.deliver),
        clock=state.clock,
        draft_retention_days=app.config.get("DRAFT_RETENTION_DAYS"),
        rollup_every=dt.timedelta(seconds=app.config.get("ROLLUP_EVERY_SECONDS", 60)),
        uploads=state.storage,
    )
    app.extensions["guichet.worker"] = start_thread(worker)
    log.info("the worker runs in the server")


def today():
    """Today in the authority's time zone, by the application's clock."""
    state = services()
    return state.runtime.calendar.today(state.clock.now())

"""The Flask application: the citizen portal, the back office, the console, accounts.

Each side is a sub-package registering its blueprints with their own templates (``portal``,
``backoffice``, ``console``, ``auth``, ``api``); none imports another. What several need lives
in the modules beside this one (``access``, ``errors``, ``language``, ``params``, ``services``...);
the command line (``cli``) uses the application and is never imported by it.

``create_app()`` reads defaults, then ``GUICHET_*`` environment variables, then the site
config; a test config replaces the last two. Nothing is created at import time.
"""

from __future__ import annotations

import gc
import logging
import os
import secrets
from pathlib import Path

from flask import Blueprint, Flask

from .config import Defaults

log = logging.getLogger(__name__)


def create_app(test_config: dict | None = None, overrides: dict | None = None) -> Flask:
    """The application. ``test_config`` replaces the environment; ``overrides`` (the
    command line's options) come on top of it."""
    app = Flask(__name__)
    app.config.from_object(Defaults)
    if test_config is None:
        app.config.from_prefixed_env("GUICHET")
    else:
        app.config.update(test_config)
    app.config.update(overrides or {})
    _absolute_paths(app)
    _behind_proxies(app)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _local_secret_key(app)

    import renderers

    renderers.registry.load_entry_points()  # plug-in field types, and their widgets

    from . import extensions, legal, params, services, templating, wording

    extensions.init_app(app)
    services.init_app(app)
    params.init_app(app)
    templating.init_app(app)
    wording.init_app(app)
    legal.init_app(app)

    from jinja2 import ChoiceLoader, PackageLoader

    from . import api, auth, backoffice, console, errors, observability, ops, portal, security

    app.jinja_loader = ChoiceLoader([app.jinja_loader, PackageLoader("renderers", "templates")])
    observability.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    for side in (portal, auth, backoffice, console, ops, api):
        for blueprint in side.blueprints:
            app.register_blueprint(blueprint)
    import renderers

    app.register_blueprint(
        Blueprint(
            "renderers",
            "renderers",
            static_folder=str(renderers.STATIC_FOLDER),
            static_url_path="/static/renderers-assets",
        )
    )
    return app


def _behind_proxies(app: Flask) -> None:
    """Trust the forwarded headers of the configured number of proxies, and declare HTTPS."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies < 0:
        raise ValueError(f"TRUSTED_PROXIES is {proxies}: it counts proxies, 0 or more")
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(
            app.wsgi_app,
            x_for=proxies,
            x_proto=proxies,
            x_host=proxies,
            x_port=proxies,
            x_prefix=proxies,
        )
    if app.config.get("HTTPS"):
        app.config.update(
            SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True, PREFERRED_URL_SCHEME="https"
        )


#: Settings that name a file or a folder, relative to where Guichet starts.
PATH_SETTINGS = ("UPLOAD_FOLDER", "VAR_FOLDER", "SITE", "PROCEDURES")


def _absolute_paths(app: Flask) -> None:
    """Make every path setting absolute, once, at start: a relative one would be read
    against the package by Flask (``send_file``) and against the working directory elsewhere."""
    for name in PATH_SETTINGS:
        if app.config.get(name):
            app.config[name] = os.path.abspath(app.config[name])
    if app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = absolute_sqlite_url(app.config["DATABASE_URL"])


def absolute_sqlite_url(url: str) -> str:
    """A SQLite URL naming a file by a relative path, made absolute; any other URL as is."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    database = parsed.database
    if (
        parsed.get_backend_name() != "sqlite"
        or not database
        or database == ":memory:"
        or database.startswith("file:")
        or os.path.isabs(database)
    ):
        return url
    return parsed.set(database=os.path.abspath(database)).render_as_string(hide_password=False)


def _local_secret_key(app: Flask) -> str:
    """The embedded default keeps a random key in ./var (never in the repository); any
    deployment sets GUICHET_SECRET_KEY."""
    if app.testing:
        return secrets.token_hex(32)
    path = Path(app.config["VAR_FOLDER"]) / "secret-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as stream:
            stream.write(secrets.token_hex(32))
        log.warning("GUICHET_SECRET_KEY is not set: using a key generated in %s", path)
    return path.read_text().strip()


def freeze_what_stays() -> None:
    """Move what the built application holds for the life of the process (its site,
    catalogue, translations, Babel's data) out of the garbage collector's reach: a full
    collection otherwise walks it all, a pause of a few hundred milliseconds that lands on
    whichever request triggers it (measured by ``bench/inbox.py``)."""
    gc.collect()
    gc.freeze()

"""The WSGI entry point for web processes: ``gunicorn factory.wsgi:app``.

``app`` is built from the environment (``GUICHET_*`` variables, then the site config named by
``GUICHET_SITE``), once per process, when this module is imported. It never runs the worker:
deliveries and timers are for ``guichet worker`` processes, started beside the web ones. Set
``GUICHET_MIGRATE=false`` so that the web processes do not each try to migrate the database
at start, and run ``guichet db upgrade`` once per deploy instead.

Once built, what the application holds for the life of the process is moved out of the
garbage collector's reach (:func:`factory.freeze_what_stays`), as ``guichet serve`` does.
"""

from __future__ import annotations

from . import create_app, freeze_what_stays

app = create_app()
freeze_what_stays()

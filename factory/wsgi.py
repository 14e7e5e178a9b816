"""The WSGI entry point for web processes: ``gunicorn factory.wsgi:app``.

``app`` is built from the environment (``GUICHET_*`` variables, then the site config named by
``GUICHET_SITE``), once per process, when this module is imported. It never runs the worker:
deliveries and timers are for ``guichet worker`` processes, started beside the web ones. Set
``GUICHET_MIGRATE=false`` so that the web processes do not each try to migrate the database
at start, and run ``guichet db upgrade`` once per deploy instead.

Once built, what the application holds for the life of the process (its site, catalogue,
translations, Babel's data) is moved out of the garbage collector's reach (``gc.freeze``):
a full collection otherwise walks it all, a pause of a few hundred milliseconds that lands
on whichever request happens to trigger it (measured by ``bench/inbox.py``).
"""

from __future__ import annotations

import gc

from . import create_app

app = create_app()
gc.collect()
gc.freeze()

"""What the machines around Guichet read: ``/healthz``, ``/readyz`` and ``/metrics``."""

from __future__ import annotations

from . import probes

blueprints = (probes.bp,)

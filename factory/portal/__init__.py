"""The citizens' side: the catalogue of procedures, filing them page by page, the personal
space, and the tracking link of anonymous filers."""

from __future__ import annotations

from . import catalogue, filing, space

#: Registered in this order: the catalogue, filing, the personal space.
blueprints = (catalogue.bp, filing.bp, space.bp)

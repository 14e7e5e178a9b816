"""The citizens' side: the catalogue of procedures, filing them page by page, the personal
space, and the tracking link of anonymous filers."""

from __future__ import annotations

# actions and drafts add their views to filing.bp, my_data to space.bp
from . import actions, address_search, catalogue, drafts, filing, my_data, space  # noqa: F401

#: Registered in this order: the catalogue, filing, the personal space. ``drafts``,
#: ``actions`` and ``address_search`` add their views to ``filing.bp``.
blueprints = (catalogue.bp, filing.bp, space.bp)

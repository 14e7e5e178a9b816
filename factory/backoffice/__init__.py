"""The agents' side: the inbox, the case page, bulk actions, filing on behalf of a citizen,
the dashboards and the CSV export."""

from __future__ import annotations

from . import dashboards, inbox

blueprints = (inbox.bp, dashboards.bp)

"""The agents' side: the inbox, the case page, bulk actions, filing on behalf of a citizen,
the dashboards and the exports (XLSX, CSV)."""

from __future__ import annotations

# case_page, inbox_actions and personal_data add their views to inbox.bp
from . import case_page, dashboards, exports, inbox, inbox_actions, personal_data  # noqa: F401

blueprints = (inbox.bp, dashboards.bp, exports.bp)

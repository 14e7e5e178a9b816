"""The figures of several rollups read together: a procedure over the departments an agent
sees, or the whole town for a supervisor.

Rollups (``engine.rollups``) keep counts and histograms, never per-case values, so that they
add up: volumes and counts are summed, and the percentiles are taken over the summed
histograms of durations (in whole hours).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .rollups import percentile_of_counts

DAY_HOURS = 24.0


@dataclass
class StateFigures:
    """Where cases wait: the stays in one state."""

    state: str
    #: stays that ended in the window, and their median and 90th percentile, in days
    stays: int = 0
    median_days: float | None = None
    p90_days: float | None = None
    #: open cases in the state now, and the median of how long they have been there
    waiting: int = 0
    waiting_median_days: float | None = None
    #: the state's part of all the time cases spent in a state (ended and ongoing stays)
    share: float = 0.0
    bottleneck: bool = False


@dataclass
class Figures:
    filed_per_week: list[tuple[str, int]] = field(default_factory=list)  # (ISO Monday, count)
    open: int = 0
    open_by_state: dict[str, int] = field(default_factory=dict)
    closed: int = 0
    median_days: float | None = None
    p90_days: float | None = None
    states: list[StateFigures] = field(default_factory=list)
    overdue: int = 0
    expired: int = 0
    expiring: dict[str, int] = field(default_factory=dict)
    ratings: dict[int, int] = field(default_factory=lambda: dict.fromkeys(range(1, 6), 0))

    @property
    def filed(self) -> int:
        return sum(count for _week, count in self.filed_per_week)

    @property
    def rated(self) -> int:
        return sum(self.ratings.values())

    @property
    def satisfaction(self) -> float | None:
        """The average rating out of 5 (None without ratings)."""
        if not self.rated:
            return None
        return round(sum(r * n for r, n in self.ratings.items()) / self.rated, 2)

    @property
    def bottleneck(self) -> StateFigures | None:
        return next((s for s in self.states if s.bottleneck), None)


def _add(total: dict[str, int], more: dict[str, Any]) -> None:
    for key, number in more.items():
        total[key] = total.get(key, 0) + int(number)


def _days(hours: float | None) -> float | None:
    return None if hours is None else round(hours / DAY_HOURS, 2)


def _total_hours(histogram: dict[str, int]) -> float:
    return sum(float(hours) * number for hours, number in histogram.items())


def combine(datas: Iterable[dict[str, Any]], order: Sequence[str] = ()) -> Figures:
    """The figures of several rollups' ``data`` together; the states in ``order`` (the
    workflow's) first, any other after, by name."""
    figures = Figures()
    weeks: dict[str, int] = {}
    processing: dict[str, int] = {}
    stays: dict[str, dict[str, int]] = {}
    waiting: dict[str, dict[str, int]] = {}
    expiring: dict[str, int] = {}
    for data in datas:
        for week in data.get("filed_per_week", []):
            weeks[week["start"]] = weeks.get(week["start"], 0) + int(week["count"])
        _add(figures.open_by_state, data.get("open_by_state", {}))
        figures.open += int(data.get("open", 0))
        _add(processing, data.get("processing_hours", {}))
        for state, histogram in data.get("state_hours", {}).items():
            _add(stays.setdefault(state, {}), histogram)
        for state, histogram in data.get("waiting_hours", {}).items():
            _add(waiting.setdefault(state, {}), histogram)
        figures.overdue += int(data.get("overdue", 0))
        figures.expired += int(data.get("expired", 0))
        _add(expiring, data.get("expiring", {}))
        for rating, number in data.get("satisfaction", {}).get("ratings", {}).items():
            figures.ratings[int(rating)] = figures.ratings.get(int(rating), 0) + int(number)
    figures.filed_per_week = sorted(weeks.items())
    figures.expiring = expiring
    figures.closed = sum(processing.values())
    figures.median_days = _days(percentile_of_counts(processing, 0.5))
    figures.p90_days = _days(percentile_of_counts(processing, 0.9))
    figures.states = _states(stays, waiting, order)
    return figures


def _states(
    stays: dict[str, dict[str, int]], waiting: dict[str, dict[str, int]], order: Sequence[str]
) -> list[StateFigures]:
    names = set(stays) | set(waiting)
    ranked = [s for s in order if s in names] + sorted(names - set(order))
    hours = {s: _total_hours(stays.get(s, {})) + _total_hours(waiting.get(s, {})) for s in names}
    everything = sum(hours.values())
    found = []
    for state in ranked:
        ended, now = stays.get(state, {}), waiting.get(state, {})
        found.append(
            StateFigures(
                state,
                stays=sum(ended.values()),
                median_days=_days(percentile_of_counts(ended, 0.5)),
                p90_days=_days(percentile_of_counts(ended, 0.9)),
                waiting=sum(now.values()),
                waiting_median_days=_days(percentile_of_counts(now, 0.5)),
                share=round(hours[state] / everything, 4) if everything else 0.0,
            )
        )
    if everything:
        max(found, key=lambda s: s.share).bottleneck = True
    return found

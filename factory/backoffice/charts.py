"""Bar charts as inline SVG, drawn on the server without JavaScript.

Each chart names itself (``<title>``) and says what it shows (``<desc>``); the page gives its
figures in a table next to it, the reference for screen readers. Colours come from the
stylesheet's classes (``bar``, ``bar-highlight``), never from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup, escape


@dataclass
class Bar:
    label: str
    value: float
    #: the value as people read it (``12,5 jours``)
    shown: str
    #: the bar that stands out (the bottleneck), said in words too in ``shown``
    highlight: bool = False


@dataclass
class Chart:
    id: str
    title: str
    description: str
    bars: list[Bar] = field(default_factory=list)

    @property
    def svg(self) -> Markup:
        return bar_chart(self)


#: about the width of one character of the charts' text, in SVG units
CHARACTER = 8


def bar_chart(chart: Chart, room: int = 320, bar: int = 24, gap: int = 8) -> Markup:
    """A horizontal bar chart that scales to its box (``viewBox``): the labels on the left,
    as wide as the longest, then ``room`` for the bars, then the values."""
    label_width = max((len(b.label) for b in chart.bars), default=0) * CHARACTER + 16
    value_width = max((len(b.shown) for b in chart.bars), default=0) * CHARACTER + 16
    width = label_width + room + value_width
    highest = max((b.value for b in chart.bars), default=0) or 1
    height = max(len(chart.bars), 1) * (bar + gap) + gap
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{chart.id}-title {chart.id}-desc">',
        f'<title id="{chart.id}-title">{escape(chart.title)}</title>',
        f'<desc id="{chart.id}-desc">{escape(chart.description)}</desc>',
    ]
    for index, item in enumerate(chart.bars):
        y = gap + index * (bar + gap)
        length = round(room * max(item.value, 0) / highest, 1)
        kind = "bar bar-highlight" if item.highlight else "bar"
        parts.append(
            f'<g><text x="{label_width - 8}" y="{y + bar * 0.7:.1f}" text-anchor="end" '
            f'class="chart-label">{escape(item.label)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length}" height="{bar}" '
            f'class="{kind}"></rect>'
            f'<text x="{label_width + length + 6}" y="{y + bar * 0.7:.1f}" '
            f'class="chart-value">{escape(item.shown)}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it is escaped above

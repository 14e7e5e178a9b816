"""A workflow drawn as an SVG diagram, on the server (no script), for the console.

States are laid out in columns by their distance from the initial state; each transition is
an arrow, labelled. The diagram has a title and a description, and the console lists the
same states and transitions as text beside it.
"""

from __future__ import annotations

from collections import deque

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape

from definitions.model import Procedure

BOX_WIDTH, BOX_HEIGHT = 180, 44
COLUMN, ROW, MARGIN = 340, 90, 20


def _layers(procedure: Procedure) -> dict[str, int]:
    workflow = procedure.workflow
    depth = {workflow.initial: 0}
    queue = deque([workflow.initial])
    while queue:
        state = queue.popleft()
        for transition in workflow.transitions_from(state):
            if transition.target not in depth:
                depth[transition.target] = depth[state] + 1
                queue.append(transition.target)
    for state in workflow.states:  # unreachable states cannot be published, but be safe
        depth.setdefault(state.id, max(depth.values()) + 1)
    return depth


def workflow_svg(procedure: Procedure, language: str, title: str) -> Markup:
    workflow = procedure.workflow
    depth = _layers(procedure)
    rows: dict[int, int] = {}
    position = {}
    for state in workflow.states:
        column = depth[state.id]
        row = rows.get(column, 0)
        rows[column] = row + 1
        position[state.id] = (MARGIN + column * COLUMN, MARGIN + 20 + row * ROW)
    width = MARGIN * 2 + (max(depth.values()) + 1) * COLUMN
    height = MARGIN * 2 + 40 + max(rows.values()) * ROW
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="workflow-diagram" role="img" '
        f'aria-labelledby="diagram-title diagram-desc" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">',
        f'<title id="diagram-title">{escape(title)}</title>',
        '<desc id="diagram-desc">'
        + escape(
            _(
                "%(states)s, %(transitions)s; they are listed as text below.",
                states=ngettext("%(num)d state", "%(num)d states", len(workflow.states)),
                transitions=ngettext(
                    "%(num)d transition", "%(num)d transitions", len(workflow.transitions)
                ),
            )
        )
        + "</desc>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#1e1e1e"/></marker></defs>',
    ]
    for transition in workflow.transitions:
        label = transition.label.get(language) if transition.label else transition.id
        dash = ' stroke-dasharray="5 4"' if transition.actor == "timer" else ""
        for source in transition.sources:
            (x1, y1), (x2, y2) = position[source], position[transition.target]
            if x2 > x1:  # forward: a straight arrow between the columns
                start, end = (x1 + BOX_WIDTH, y1 + BOX_HEIGHT / 2), (x2, y2 + BOX_HEIGHT / 2)
                path = f"M{start[0]},{start[1]} L{end[0]},{end[1]}"
                middle = (
                    start[0] + (end[0] - start[0]) * 0.45,
                    start[1] + (end[1] - start[1]) * 0.45 - 4,
                )
            elif x2 == x1:  # within a column: a curve on its right
                start, end = (
                    (x1 + BOX_WIDTH, y1 + BOX_HEIGHT / 2),
                    (x2 + BOX_WIDTH, y2 + BOX_HEIGHT / 2),
                )
                bend = x1 + BOX_WIDTH + 60
                path = (
                    f"M{start[0]},{start[1]} C{bend},{start[1]} {bend},{end[1]} {end[0]},{end[1]}"
                )
                middle = (bend + 4, (start[1] + end[1]) / 2)
            else:  # backward: a curve under the boxes
                start, end = (
                    (x1 + BOX_WIDTH / 2, y1 + BOX_HEIGHT),
                    (x2 + BOX_WIDTH / 2, y2 + BOX_HEIGHT),
                )
                low = max(start[1], end[1]) + 30
                path = f"M{start[0]},{start[1]} C{start[0]},{low} {end[0]},{low} {end[0]},{end[1]}"
                middle = ((start[0] + end[0]) / 2, low - 2)
            parts.append(
                f'<path d="{path}" fill="none" stroke="#1e1e1e" stroke-width="1.5"'
                f'{dash} marker-end="url(#arrow)"/>'
            )
            anchor = "start" if x2 == x1 else "middle"
            parts.append(
                f'<text x="{middle[0]:.0f}" y="{middle[1]:.0f}" font-size="11" '
                f'text-anchor="{anchor}" fill="#1e1e1e" stroke="#ffffff" '
                f'stroke-width="3" paint-order="stroke">{escape(label)}</text>'
            )
    for state in workflow.states:
        x, y = position[state.id]
        border = 3 if state.final else 1.5
        fill = "#e8edf8" if state.id == workflow.initial else "#ffffff"
        parts.append(
            f'<rect x="{x}" y="{y}" width="{BOX_WIDTH}" height="{BOX_HEIGHT}" rx="6" '
            f'fill="{fill}" stroke="#1f3a93" stroke-width="{border}"/>'
        )
        parts.append(
            f'<text x="{x + BOX_WIDTH / 2:.0f}" y="{y + 27}" font-size="13" '
            f'text-anchor="middle" fill="#1e1e1e">'
            f"{escape(state.label.get(language))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it is escaped above

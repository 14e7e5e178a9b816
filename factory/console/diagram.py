"""A workflow drawn as an SVG diagram for the console, laid out by Graphviz ``dot``.

``dot`` (Debian's ``graphviz`` package) places the states and routes the labelled arrows so
that no label overlaps another; it runs as a subprocess, with a time limit, on a graph whose
node names are ours (``s0``, ``s1``...) and whose labels are quoted. Its SVG is parsed, kept
to the drawing elements it needs (no script, link, style or event attribute survives) and
given a title and a description (``role="img"``); the console lists the same states and
transitions as text beside it. Where ``dot`` is missing, fails or takes too long, there is
no drawing, and :attr:`Diagram.missing` says why, for the console to tell.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from markupsafe import Markup, escape

from definitions.model import Procedure

#: How long ``dot`` may take; the examples' workflows take a few milliseconds.
TIMEOUT_SECONDS = 5
#: Labels are wrapped at about this many characters, so that boxes stay narrow.
STATE_WIDTH, TRANSITION_WIDTH = 22, 24
#: The most states drawn; a workflow with more is listed as text only.
MAX_STATES = 200

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
#: The elements and attributes kept of dot's output, everything else is dropped.
ELEMENTS = frozenset({"svg", "g", "path", "polygon", "polyline", "ellipse", "text"})
ATTRIBUTES = frozenset(
    {
        "viewBox", "width", "height", "transform", "class", "d", "points", "cx", "cy", "rx",
        "ry", "x", "y", "fill", "stroke", "stroke-width", "stroke-dasharray", "text-anchor",
        "font-family", "font-size", "font-weight",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Diagram:
    """The drawing (``svg``), or why there is none (``missing``: ``"no-dot"``,
    ``"failed"`` or ``"too-large"``)."""

    svg: Markup | None = None
    missing: str | None = None


def _quoted(text: str, width: int) -> str:
    """``text`` as a DOT string, wrapped into centred lines of about ``width`` characters."""
    lines = textwrap.wrap(
        " ".join(text.split()), width, break_long_words=False, break_on_hyphens=False
    ) or [""]
    escaped = [line.replace("\\", "\\\\").replace('"', '\\"') for line in lines]
    return '"' + "\\n".join(escaped) + '"'


def dot_source(procedure: Procedure, language: str) -> str:
    """The workflow as a DOT graph: a box per state, an arrow per transition and source."""
    workflow = procedure.workflow
    names = {state.id: f"s{index}" for index, state in enumerate(workflow.states)}
    lines = [
        "digraph workflow {",
        '  graph [rankdir=TB, nodesep=0.5, ranksep=0.6, fontname="sans-serif", pad=0.2];',
        '  node [shape=box, style="rounded,filled", fillcolor=white, color=black, '
        'fontname="sans-serif", fontsize=12, margin="0.15,0.08"];',
        '  edge [fontname="sans-serif", fontsize=10, color=black];',
    ]
    for state in workflow.states:
        kind = "initial" if state.id == workflow.initial else "final" if state.final else "state"
        extra = ", peripheries=2" if state.final else ""
        label = _quoted(state.label.get(language) or state.id, STATE_WIDTH)
        lines.append(f'  {names[state.id]} [label={label}, class="{kind}"{extra}];')
    for transition in workflow.transitions:
        text = transition.label.get(language) if transition.label else transition.id
        style = ', style=dashed, class="timer"' if transition.actor == "timer" else ""
        for source in transition.sources:
            if source in names and transition.target in names:
                label = _quoted(text, TRANSITION_WIDTH)
                lines.append(
                    f"  {names[source]} -> {names[transition.target]} [label={label}{style}];"
                )
    lines.append("}")
    return "\n".join(lines) + "\n"


def run_dot(source: str) -> str | None:
    """dot's SVG for ``source``, or None if dot is missing, fails or takes too long."""
    dot = shutil.which("dot")
    if dot is None:
        return None
    try:
        done = subprocess.run(  # noqa: S603 - a fixed program; the graph goes to its stdin
            [dot, "-Tsvg"],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0 or not done.stdout:
        return None
    return done.stdout.decode("utf-8", errors="replace")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _clean(element: ET.Element) -> None:
    """Keeps, under ``element``, only the drawing elements and attributes listed above."""
    for child in list(element):
        if _local(child.tag) not in ELEMENTS:
            element.remove(child)
            continue
        _clean(child)
    for name in list(element.attrib):
        if _local(name) not in ATTRIBUTES or "url(" in element.attrib[name].lower():
            del element.attrib[name]


def sanitised(svg: str, title: str, description: str) -> Markup | None:
    """dot's SVG made safe to embed and accessible, or None if it does not parse."""
    svg = re.sub(r"<!DOCTYPE[^>]*>", "", svg)  # entities are never defined, nor expanded
    try:
        root = ET.fromstring(svg)  # noqa: S314 - dot's own output, without a DTD
    except ET.ParseError:
        return None
    if _local(root.tag) != "svg":
        return None
    _clean(root)
    for element in root.iter():
        element.tag = _local(element.tag)
    root.attrib.update(
        {
            "xmlns": SVG,
            "class": "workflow-diagram",
            "role": "img",
            "aria-labelledby": "diagram-title diagram-desc",
            "focusable": "false",
        }
    )
    body = ET.tostring(root, encoding="unicode")
    opening, rest = body.split(">", 1)
    if opening.endswith("/"):
        return None
    heading = (
        f'<title id="diagram-title">{escape(title)}</title>'
        f'<desc id="diagram-desc">{escape(description)}</desc>'
    )
    return Markup(f"{opening}>{heading}{rest}")  # noqa: S704 - parsed, cleaned, re-serialised


def workflow_diagram(procedure: Procedure, language: str, title: str, description: str) -> Diagram:
    """The workflow of ``procedure`` drawn by dot, labels in ``language``; ``title`` and
    ``description`` are the SVG's own (``<title>``, ``<desc>``)."""
    if len(procedure.workflow.states) > MAX_STATES:
        return Diagram(missing="too-large")
    if shutil.which("dot") is None:
        return Diagram(missing="no-dot")
    svg = run_dot(dot_source(procedure, language))
    drawn = sanitised(svg, title, description) if svg is not None else None
    return Diagram(svg=drawn) if drawn is not None else Diagram(missing="failed")

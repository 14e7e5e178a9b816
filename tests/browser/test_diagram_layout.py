"""The examples' workflow diagrams, as Chromium draws them with the console's styles: no
label overlaps another label or a state's box, none spills out of its box or the drawing."""

from __future__ import annotations

import shutil
from itertools import combinations

import pytest

from definitions.folders import check_paths
from factory.console.diagram import workflow_diagram

from ..conftest import EXAMPLE_ENVIRON, EXAMPLES, ROOT, missing_service

PROCEDURES = check_paths([EXAMPLES], EXAMPLES / "guichet.yaml", environ=EXAMPLE_ENVIRON).procedures
STYLES = ("renderers/static/renderers/tokens.css", "factory/static/console.css")
#: The geometry of each label and state box, in CSS pixels.
MEASURE = """() => {
  const box = (e) => {
    const r = e.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom];
  };
  const svg = document.querySelector("svg");
  return {
    drawing: box(svg),
    nodes: [...svg.querySelectorAll("g.node")].map((g) => ({
      box: box(g.querySelector("path, polygon, ellipse")),
      texts: [...g.querySelectorAll("text")].map(box),
    })),
    edges: [...svg.querySelectorAll("g.edge")].map((g) => [...g.querySelectorAll("text")].map(box)),
  };
}"""
TOLERANCE = 0.5


def overlap(a, b) -> bool:
    return (
        min(a[2], b[2]) - max(a[0], b[0]) > TOLERANCE
        and min(a[3], b[3]) - max(a[1], b[1]) > TOLERANCE
    )


def inside(inner, outer) -> bool:
    return (
        inner[0] >= outer[0] - TOLERANCE
        and inner[1] >= outer[1] - TOLERANCE
        and inner[2] <= outer[2] + TOLERANCE
        and inner[3] <= outer[3] + TOLERANCE
    )


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda p: p.slug)
def test_no_label_overlaps_or_is_cut(browser, procedure):
    if shutil.which("dot") is None:
        missing_service("Graphviz's dot is not installed")
    drawn = workflow_diagram(procedure, "fr", "Circuit", "Description")
    styles = "".join((ROOT / path).read_text("utf-8") for path in STYLES)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.set_content(f"<!doctype html><style>{styles}</style>{drawn.svg}")
        shapes = page.evaluate(MEASURE)
    finally:
        page.close()
    nodes, edges = shapes["nodes"], shapes["edges"]
    assert len(nodes) == len(procedure.workflow.states)
    labels = [(f"state {i}", text) for i, n in enumerate(nodes) for text in n["texts"]]
    labels += [(f"edge {i}", text) for i, e in enumerate(edges) for text in e]
    for (one, a), (other, b) in combinations(labels, 2):
        assert one == other or not overlap(a, b), (one, other)
    for index, node in enumerate(nodes):
        for text in node["texts"]:
            assert inside(text, node["box"]), f"state {index}'s label spills out of its box"
    for index, edge in enumerate(edges):
        for text in edge:
            assert not any(overlap(text, n["box"]) for n in nodes), f"edge {index} on a state"
    for _, text in labels:
        assert inside(text, shapes["drawing"]), "a label is cut by the drawing's edge"

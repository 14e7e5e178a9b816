"""The workflow diagram of the console: an SVG with a text alternative."""

from __future__ import annotations

import re

import pytest

from definitions.folders import check_paths
from factory.console.diagram import workflow_svg

from ..conftest import EXAMPLE_ENVIRON, EXAMPLES

PROCEDURES = check_paths([EXAMPLES], EXAMPLES / "guichet.yaml", environ=EXAMPLE_ENVIRON).procedures


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda p: p.slug)
def test_every_state_and_transition_is_drawn(procedure):
    svg = str(workflow_svg(procedure, "fr", "Titre <du> circuit"))
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert 'role="img"' in svg and 'aria-labelledby="diagram-title diagram-desc"' in svg
    assert '<title id="diagram-title">Titre &lt;du&gt; circuit</title>' in svg
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    for state in procedure.workflow.states:
        label = state.label.get("fr").replace("'", "&#39;")
        assert label in texts, label
    arrows = sum(len(t.sources) for t in procedure.workflow.transitions)
    assert svg.count('marker-end="url(#arrow)"') == arrows
    timers = sum(len(t.sources) for t in procedure.workflow.transitions if t.actor == "timer")
    assert svg.count('stroke-dasharray="5 4"') == timers

"""The workflow diagram of the console: laid out by Graphviz, an accessible SVG with a text
alternative, safe to embed; a note instead where ``dot`` is missing or fails."""

from __future__ import annotations

import dataclasses
import html
import re
import shutil
import subprocess

import pytest

from definitions.folders import check_paths
from definitions.model import Text
from factory.console import diagram
from factory.console.diagram import dot_source, sanitised, workflow_diagram

from ..conftest import EXAMPLE_ENVIRON, EXAMPLES, missing_service

PROCEDURES = check_paths([EXAMPLES], EXAMPLES / "guichet.yaml", environ=EXAMPLE_ENVIRON).procedures


@pytest.fixture
def needs_dot():
    """Skips without Graphviz's dot, or fails under CI, which installs it."""
    if shutil.which("dot") is None:
        missing_service("Graphviz's dot is not installed")


def texts(svg: str) -> str:
    """The words drawn, each label's lines joined by a space."""
    return " ".join(html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg))


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda p: p.slug)
def test_every_state_and_transition_label_is_drawn(procedure, needs_dot):
    drawn = workflow_diagram(procedure, "fr", "Circuit <de> test", "2 états & 1 transition")
    assert drawn.missing is None
    svg = str(drawn.svg)
    assert svg.startswith("<svg ") and 'xmlns="http://www.w3.org/2000/svg"' in svg
    assert 'role="img"' in svg and 'aria-labelledby="diagram-title diagram-desc"' in svg
    assert '<title id="diagram-title">Circuit &lt;de&gt; test</title>' in svg
    assert '<desc id="diagram-desc">2 états &amp; 1 transition</desc>' in svg
    words = " ".join(texts(svg).split())
    workflow = procedure.workflow
    for state in workflow.states:
        assert " ".join(state.label.get("fr").split()) in words, state.id
    for transition in workflow.transitions:
        label = transition.label.get("fr") if transition.label else transition.id
        assert " ".join(label.split()) in words, transition.id
    edges = sum(len(t.sources) for t in workflow.transitions)
    assert svg.count('class="edge') == edges
    timers = sum(len(t.sources) for t in workflow.transitions if t.actor == "timer")
    assert svg.count('class="edge timer"') == timers
    assert svg.count("<title") == 1  # dot's own titles (node names) are dropped


def test_labels_are_quoted_for_dot_and_names_are_ours():
    procedure = PROCEDURES[0]
    state = procedure.workflow.states[0]
    odd = dataclasses.replace(state, label=Text({"fr": 'Reçue"]; evil [label="x\\'}))
    workflow = dataclasses.replace(procedure.workflow, states=(odd, *procedure.workflow.states[1:]))
    source = dot_source(dataclasses.replace(procedure, workflow=workflow), "fr")
    assert '  s0 [label="Reçue\\"]; evil\\n[label=\\"x\\\\", class="initial"];' in source
    assert state.id not in re.findall(r"^\s+(\w+) \[", source, flags=re.M)


def test_quoted_labels_come_out_as_text(needs_dot):
    procedure = PROCEDURES[0]
    state = procedure.workflow.states[0]
    odd = dataclasses.replace(state, label=Text({"fr": '<script>alert("x")</script> & co'}))
    workflow = dataclasses.replace(procedure.workflow, states=(odd, *procedure.workflow.states[1:]))
    svg = str(
        workflow_diagram(dataclasses.replace(procedure, workflow=workflow), "fr", "t", "d").svg
    )
    assert "<script" not in svg and "&lt;script&gt;" in svg


def test_what_is_not_a_drawing_is_removed_from_dots_output():
    dirty = (
        '<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd">'
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'width="10pt" height="10pt" onload="alert(1)"><script>alert(2)</script>'
        '<g class="node" onclick="alert(3)"><title>s0</title>'
        '<a xlink:href="javascript:alert(4)"><text x="1" y="2">Reçue</text></a>'
        '<path d="M0,0" fill="url(javascript:alert(5))" stroke="black"/></g>'
        "<foreignObject><div>x</div></foreignObject></svg>"
    )
    svg = str(sanitised(dirty, "Titre", "Description"))
    assert "alert" not in svg and "<a" not in svg and "foreignObject" not in svg
    assert "<title" in svg and svg.count("<title") == 1 and 'stroke="black"' in svg
    assert sanitised("<not svg", "t", "d") is None
    assert sanitised("<html/>", "t", "d") is None


def test_without_dot_there_is_a_reason_and_no_drawing(monkeypatch):
    monkeypatch.setattr(diagram.shutil, "which", lambda name: None)
    assert workflow_diagram(PROCEDURES[0], "fr", "t", "d") == diagram.Diagram(missing="no-dot")


@pytest.mark.parametrize("failure", ["error", "timeout", "garbage"])
def test_when_dot_fails_there_is_a_reason_and_no_drawing(monkeypatch, failure):
    def run(*args, **kwargs):
        if failure == "timeout":
            raise subprocess.TimeoutExpired("dot", diagram.TIMEOUT_SECONDS)
        code, out = (1, b"") if failure == "error" else (0, b"<svg><g>")
        return subprocess.CompletedProcess(args, code, out, b"")

    monkeypatch.setattr(diagram.shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setattr(diagram.subprocess, "run", run)
    assert workflow_diagram(PROCEDURES[0], "fr", "t", "d").missing == "failed"

"""conditions.js, run by Node on the HTML the macros render (a small fake DOM stands in
for the browser's; no npm package is needed)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import jinja2
import pytest

from definitions.loader import load
from definitions.procedures import load_procedure, read_procedure
from renderers import page_form

from ..conftest import EXAMPLES, missing_service
from .pages import PROCEDURE, Document, formdata

NODE = shutil.which("node")
SCRIPT = Path(__file__).resolve().parent.parent.parent / "renderers/static/renderers/conditions.js"



@pytest.fixture(autouse=True)
def _node():
    if NODE is None:
        missing_service("Node.js is not installed")


#: A fake DOM just large enough for conditions.js: elements, attributes, form controls,
#: events and the few selectors the script uses ("tag", "[attr]", "[a][b]", "A B", "A, B").
HARNESS = r"""
const fs = require('fs');
const vm = require('vm');
const input = JSON.parse(fs.readFileSync(0, 'utf8'));
const CONTROLS = ['INPUT', 'SELECT', 'TEXTAREA', 'BUTTON'];

class El {
  constructor(data, parent) {
    this.tagName = data.tag.toUpperCase();
    this.attrs = Object.assign({}, data.attrs);
    this.parentNode = parent;
    this.listeners = {};
    this.dataset = {};
    this.disabled = 'disabled' in this.attrs;
    this.checked = 'checked' in this.attrs;
    this.text = data.children.filter((c) => typeof c === 'string').join('');
    this.children = data.children.filter((c) => typeof c !== 'string').map((c) => new El(c, this));
    if (this.tagName === 'SELECT') {
      const options = this.descendants().filter((o) => o.tagName === 'OPTION');
      const chosen = options.find((o) => 'selected' in o.attrs);
      const first = options[0];
      this.value = (chosen || first || {attrs: {}}).attrs.value || '';
    } else if (this.tagName === 'TEXTAREA') {
      this.value = this.text.replace(/^\n/, '');
    } else {
      this.value = this.attrs.value || '';
    }
  }
  get name() { return this.attrs.name; }
  get id() { return this.attrs.id; }
  get type() { return this.tagName === 'SELECT' ? 'select-one' : (this.attrs.type || 'text'); }
  get hidden() { return 'hidden' in this.attrs; }
  set hidden(value) { if (value) { this.attrs.hidden = ''; } else { delete this.attrs.hidden; } }
  getAttribute(name) { return name in this.attrs ? this.attrs[name] : null; }
  descendants() { return this.children.flatMap((c) => [c, ...c.descendants()]); }
  get elements() { return this.descendants().filter((e) => CONTROLS.includes(e.tagName)); }
  matchesSimple(simple) {
    const match = /^([a-z]*)((?:\[[^\]]+\])*)$/.exec(simple);
    if (!match) { throw new Error('selector not supported: ' + simple); }
    if (match[1] && match[1].toUpperCase() !== this.tagName) { return false; }
    return (match[2].match(/\[[^\]]+\]/g) || []).every((a) => a.slice(1, -1) in this.attrs);
  }
  matches(selector) {
    return selector.split(',').some((one) => {
      const parts = one.trim().split(/\s+/);
      if (!this.matchesSimple(parts[parts.length - 1])) { return false; }
      let node = this.parentNode;
      for (let i = parts.length - 2; i >= 0; i -= 1) {
        while (node && !(node.matchesSimple && node.matchesSimple(parts[i]))) {
          node = node.parentNode;
        }
        if (!node) { return false; }
        node = node.parentNode;
      }
      return true;
    });
  }
  closest(selector) {
    let node = this;
    while (node && node.matches) {
      if (node.matches(selector)) { return node; }
      node = node.parentNode;
    }
    return null;
  }
  querySelectorAll(selector) { return this.descendants().filter((e) => e.matches(selector)); }
  querySelector(selector) { return this.querySelectorAll(selector)[0] || null; }
  addEventListener(type, listener) {
    (this.listeners[type] = this.listeners[type] || []).push(listener);
  }
  dispatch(type) { (this.listeners[type] || []).forEach((listener) => listener({target: this})); }
}

const root = new El(input.tree, null);
root.readyState = 'complete';
const byId = (id) => root.descendants().find((e) => e.id === id);
global.document = root;
vm.runInThisContext(fs.readFileSync(input.script, 'utf8'));

const reports = [];
for (const step of input.steps) {
  if (step.check) {
    const box = byId(step.check);
    if (box.type === 'radio') {
      root.elements.filter((e) => e.name === box.name).forEach((e) => { e.checked = false; });
    }
    box.checked = step.on !== false;
    root.querySelector('form').dispatch('change');
  } else if (step.type) {
    byId(step.type[0]).value = step.type[1];
    root.querySelector('form').dispatch('input');
  } else if (step.report) {
    const report = {};
    for (const id of step.report) {
      const element = byId(id);
      report[id] = CONTROLS.includes(element.tagName)
        ? {disabled: element.disabled}
        : {hidden: element.hidden};
    }
    reports.push(report);
  }
}
process.stdout.write(JSON.stringify(reports));
"""

TODAY = dt.date(2026, 3, 2)


def run(html: str, steps: list[dict]) -> list[dict]:
    tree = Document(f"<html><body>{html}</body></html>").root.children[0].to_json()
    payload = json.dumps({"tree": tree, "script": str(SCRIPT), "steps": steps})
    result = subprocess.run(
        [NODE, "-e", HARNESS], input=payload, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def page_html(path: Path, page_id: str, answers=None) -> str:
    procedure, problems = load_procedure(path)
    assert problems == []
    form = page_form(procedure, page_id)(answers=answers or {}, today=TODAY)
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("renderers", "templates"), autoescape=True
    )
    template = environment.from_string(
        '{% import "renderers/form.html" as g %}<form>{{ g.render_fields(form) }}</form>'
    )
    return template.render(form=form)


def test_a_choice_shows_and_hides_a_field():
    html = page_html(EXAMPLES / "inscription-periscolaire.yaml", "responsable")
    watched = ["numero_allocataire-field", "numero_allocataire"]
    reports = run(
        html,
        [
            {"report": watched},
            {"check": "regime-0"},
            {"report": watched},
            {"check": "regime-1"},
            {"report": watched},
        ],
    )
    assert reports == [
        {"numero_allocataire-field": {"hidden": True}, "numero_allocataire": {"disabled": True}},
        {"numero_allocataire-field": {"hidden": False}, "numero_allocataire": {"disabled": False}},
        {"numero_allocataire-field": {"hidden": True}, "numero_allocataire": {"disabled": True}},
    ]


def test_numbers_booleans_and_python_semantics():
    html = page_html(EXAMPLES / "subvention-association.yaml", "demande")
    watched = ["info_convention-field", "montant_n_1-field", "montant_n_1"]
    reports = run(
        html,
        [
            {"report": watched},
            {"type": ["montant_demande", "25 000"]},
            {"report": watched},
            {"type": ["montant_demande", "100,5"]},
            {"check": "premiere_demande"},
            {"report": watched},
        ],
    )
    assert reports == [
        # empty amount: `montant and montant > 23000` is falsy, not an error
        {
            "info_convention-field": {"hidden": True},
            "montant_n_1-field": {"hidden": False},
            "montant_n_1": {"disabled": False},
        },
        {
            "info_convention-field": {"hidden": False},
            "montant_n_1-field": {"hidden": False},
            "montant_n_1": {"disabled": False},
        },
        {
            "info_convention-field": {"hidden": True},
            "montant_n_1-field": {"hidden": True},
            "montant_n_1": {"disabled": True},
        },
    ]


def test_membership_in_a_list():
    html = page_html(EXAMPLES / "occupation-domaine-public.yaml", "occupation")
    watched = ["nombre_tables-field", "numero_autorisation_urbanisme-field"]
    reports = run(
        html,
        [
            {"check": "type_occupation-0"},
            {"report": watched},
            {"check": "type_occupation-1"},
            {"report": watched},
            {"check": "type_occupation-2"},
            {"report": watched},
        ],
    )
    assert reports == [
        {
            "nombre_tables-field": {"hidden": False},
            "numero_autorisation_urbanisme-field": {"hidden": True},
        },
        {
            "nombre_tables-field": {"hidden": False},
            "numero_autorisation_urbanisme-field": {"hidden": False},
        },
        {
            "nombre_tables-field": {"hidden": True},
            "numero_autorisation_urbanisme-field": {"hidden": True},
        },
    ]


def test_a_check_box_shows_a_field():
    html = page_html(EXAMPLES / "inscription-periscolaire.yaml", "restauration")
    reports = run(
        html,
        [
            {"report": ["precision_allergie-field"]},
            {"check": "allergie"},
            {"report": ["precision_allergie-field", "precision_allergie"]},
        ],
    )
    assert reports == [
        {"precision_allergie-field": {"hidden": True}},
        {"precision_allergie-field": {"hidden": False}, "precision_allergie": {"disabled": False}},
    ]


def test_a_group_item_reads_its_own_sub_fields():
    document, _ = load(PROCEDURE, "every-field.yaml")
    procedure, _ = read_procedure(document)
    form = page_form(procedure, "one")(formdata({"action": "add:enfants"}), answers={}, today=TODAY)
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("renderers", "templates"), autoescape=True
    )
    html = environment.from_string(
        '{% import "renderers/form.html" as g %}<form>{{ g.render_fields(form) }}</form>'
    ).render(form=form)
    watched = ["enfants-0-detail_allergie-field", "enfants-1-detail_allergie-field"]
    reports = run(html, [{"check": "enfants-1-allergie"}, {"report": watched}])
    assert reports == [
        {
            "enfants-0-detail_allergie-field": {"hidden": True},
            "enfants-1-detail_allergie-field": {"hidden": False},
        }
    ]

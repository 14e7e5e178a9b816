"""The lint's rules: each a code, a msgid, and the reason the administrators' guide gives.

:class:`Linter` walks a document's data by hand (it may be any YAML: what is not shaped as
a rule expects is skipped) and records ``(code, Problem)`` pairs; positions come from the
:class:`~definitions.loader.Document`, as for the checker's problems.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import Problem
from ..loader import Document
from ..texts import N_
from .words import FILLABLE_TYPES, WHAT, identity_token, is_vague, normal, satisfied

#: Past this many options, radios make a list too long to read: a select is better.
MAX_RADIOS = 7
#: Under this many options, a select hides what radios would show at once.
MIN_SELECT = 3
#: Past this many questions a page is hard to take in.
MAX_FIELDS = 12
#: Past these lengths (characters) a reader no longer keeps the text in mind: a label
#: of about fifteen words, one line at 1280 px; a hint of about forty words, three lines.
#: A check box's label is the statement the citizen agrees to, which must be whole: it
#: may be as long as a hint.
MAX_LABEL, MAX_HINT = 100, 250
MAX_STATEMENT = MAX_HINT


@dataclass(frozen=True)
class Rule:
    code: str
    why: str


RULES = {
    rule.code: rule
    for rule in (
        Rule(
            "lint/pattern-without-message",
            "a citizen whose answer the pattern refuses must be told what is expected",
        ),
        Rule("lint/vague-label", "a label must say what is asked, read alone (RGAA 11.2)"),
        Rule("lint/duplicate-label", "two fields with one label cannot be told apart"),
        Rule(
            "lint/missing-autocomplete",
            "the browser fills in who the citizen is only with the token (WCAG 1.3.5)",
        ),
        Rule("lint/too-many-radios", "a long list of radios is read slower than a select"),
        Rule("lint/select-with-few-options", "a select hides what a few radios would show"),
        Rule("lint/long-page", "a page with many questions is hard to take in"),
        Rule("lint/label-in-capitals", "text in capitals is harder to read and reads as shouting"),
        Rule("lint/required-in-label", "the form marks required fields already"),
        Rule("lint/long-label", "a reader no longer keeps a long label in mind"),
        Rule("lint/long-hint", "a reader no longer keeps a long hint in mind"),
    )
}

_WORDS = re.compile(r"[^\W\d_]+")
_REQUIRED = re.compile(
    r"\(\s*(?:champ |reponse )?(?:obligatoire|requis|requise|required)\b"
    r"|\b(?:obligatoire|requis|requise|required)$"
)


def shouted(text: str) -> bool:
    """Whether ``text`` is written in capitals: no lower-case letter among eight or more,
    or three words in a row in capitals (an acronym such as ``SIRET`` alone is not)."""
    letters = [c for c in text if c.isalpha()]
    if letters and not any(c.islower() for c in letters) and len(letters) >= 8:
        return True
    run = 0
    for word in _WORDS.findall(text):
        run = run + 1 if len(word) >= 2 and word.isupper() else 0
        if run >= 3:
            return True
    return False


def says_required(text: str) -> bool:
    """Whether a label says "(obligatoire)", "requis" or ends with an asterisk."""
    return text.rstrip().endswith("*") or bool(_REQUIRED.search(normal(text)))


def _texts(value: Any, path: tuple) -> Iterator[tuple[str, tuple]]:
    """Each language's string of a text (a string or a ``{language: text}`` mapping)."""
    if isinstance(value, str):
        yield value, path
    elif isinstance(value, dict):
        for language, text in value.items():
            if isinstance(text, str):
                yield text, (*path, language)


def _items(value: Any, path: tuple) -> Iterator[tuple[dict, tuple]]:
    """The mappings of a list, with their paths."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield item, (*path, index)


class Linter:
    """Applies every rule to one document; ``found`` holds ``(code, Problem)`` pairs."""

    def __init__(self, document: Document):
        self.document = document
        self.found: list[tuple[str, Problem]] = []

    def warn(self, code: str, path: tuple, msgid: str, /, *, key: bool = False, **params):
        self.found.append((code, self.document.problem(path, msgid, key=key, **params)))

    def run(self) -> None:
        data = self.document.data
        if not isinstance(data, dict):
            return
        form = data.get("form")
        if isinstance(form, dict):
            for page, path in _items(form.get("pages"), ("form", "pages")):
                self.page(page, path)
        workflow = data.get("workflow")
        if isinstance(workflow, dict):  # inline; a reusable workflow file is at the top
            self.transitions(workflow.get("transitions"), ("workflow", "transitions"))
        elif isinstance(workflow, str) and "transitions" in data:
            self.transitions(data.get("transitions"), ("transitions",))

    def transitions(self, transitions: Any, path: tuple) -> None:
        for transition, where in _items(transitions, path):
            self.fields(transition.get("form"), (*where, "form"), citizen=False)

    def page(self, page: dict, path: tuple) -> None:
        for title, where in _texts(page.get("title"), (*path, "title")):
            self.label_text(title, where)
        fields = page.get("fields")
        asked = [f for f, _ in _items(fields, (*path, "fields")) if f.get("type") != "info"]
        if len(asked) > MAX_FIELDS:
            self.warn(
                "lint/long-page",
                (*path, "fields"),
                N_(
                    "this page asks %(count)s questions; past %(limit)s a page is hard to "
                    "take in: split it into several pages"
                ),
                key=True,
                count=len(asked),
                limit=MAX_FIELDS,
            )
        self.fields(fields, (*path, "fields"), citizen=True)

    def fields(self, fields: Any, path: tuple, *, citizen: bool) -> None:
        """The fields of one page or form; ``citizen`` when the citizen fills them about
        themselves (a page's own fields, not a group's nor a transition's)."""
        labels: dict[str, tuple[int, int]] = {}  # label -> (field's index, line)
        for index, (field, where) in enumerate(_items(fields, path)):
            self.field(field, where, citizen=citizen)
            for label, at in _texts(field.get("label"), (*where, "label")):
                name = normal(label)
                first = labels.get(name)
                if not name or (first is not None and first[0] == index):
                    continue  # one field's label in two languages is one label
                if first is not None:
                    self.warn(
                        "lint/duplicate-label",
                        at,
                        N_(
                            "another field here (line %(line)s) has the same label: give "
                            "each its own, so that a reader can tell them apart"
                        ),
                        line=first[1],
                    )
                else:
                    labels[name] = (index, self.document.where(at)[0])
            if field.get("type") == "group":
                self.fields(field.get("fields"), (*where, "fields"), citizen=False)

    def field(self, field: dict, path: tuple, *, citizen: bool) -> None:
        labels = list(_texts(field.get("label"), (*path, "label")))
        limit = MAX_STATEMENT if field.get("type") == "boolean" else MAX_LABEL
        for label, at in labels:
            self.label_text(label, at, limit)
            if is_vague(label):
                self.warn(
                    "lint/vague-label",
                    at,
                    N_(
                        "the label %(label)r says nothing of what is asked: name the "
                        "question, so that it reads alone"
                    ),
                    label=label,
                )
            if field.get("required") is True and says_required(label):
                self.warn(
                    "lint/required-in-label",
                    at,
                    N_(
                        "this field is required and its label says so: the form marks "
                        "required fields already, remove it from the label"
                    ),
                )
        for hint, at in _texts(field.get("hint"), (*path, "hint")):
            if len(hint) > MAX_HINT:
                self.warn(
                    "lint/long-hint",
                    at,
                    N_(
                        "this hint is %(length)s characters long; past %(limit)s a reader "
                        "no longer keeps it in mind: keep what helps to answer, put the "
                        "rest in the page's introduction"
                    ),
                    length=len(hint),
                    limit=MAX_HINT,
                )
        if "pattern" in field and not field.get("pattern_message") and not field.get("hint"):
            self.warn(
                "lint/pattern-without-message",
                (*path, "pattern"),
                N_(
                    "this field checks its answer against a pattern but says nowhere what "
                    "is expected: add a pattern_message (or a hint), or a refused citizen "
                    "will not know why"
                ),
                key=True,
            )
        self.options(field, path)
        if citizen and field.get("type") in FILLABLE_TYPES:
            expected = identity_token(
                field.get("id"), [text for text, _ in labels], field.get("prefill")
            )
            if expected and not satisfied(expected, field.get("type"), field.get("autocomplete")):
                self.warn(
                    "lint/missing-autocomplete",
                    path,
                    N_(
                        "this field asks for the %(what)s of the person filling the form: "
                        "add autocomplete: %(token)s so that browsers fill it in "
                        '(WCAG 1.3.5), or autocomplete: "off" if it is about someone else'
                    ),
                    what=WHAT[expected],
                    token=expected,
                )

    def options(self, field: dict, path: tuple) -> None:
        options = field.get("options")
        if not isinstance(options, dict):
            return
        for key, label in options.items():
            for text, at in _texts(label, (*path, "options", key)):
                self.label_text(text, at)
        widget, count = field.get("widget"), len(options)
        if field.get("type") != "choice":
            return
        if widget == "radio" and count > MAX_RADIOS:
            self.warn(
                "lint/too-many-radios",
                (*path, "widget"),
                N_(
                    "%(count)s options shown as radio buttons make a long list to read; past "
                    "%(limit)s, write widget: select (or no widget at all)"
                ),
                count=count,
                limit=MAX_RADIOS,
            )
        elif widget == "select" and count < MIN_SELECT:
            self.warn(
                "lint/select-with-few-options",
                (*path, "widget"),
                N_(
                    "a select hides its %(count)s options behind a click; under %(limit)s, "
                    "radio buttons show them at once: write widget: radio"
                ),
                count=count,
                limit=MIN_SELECT,
            )

    def label_text(self, text: str, path: tuple, limit: int = MAX_LABEL) -> None:
        """The rules of every label: of a field, an option or a page."""
        if shouted(text):
            self.warn(
                "lint/label-in-capitals",
                path,
                N_(
                    "this text is written in capitals, which is harder to read and reads as "
                    "shouting: write it in sentence case"
                ),
            )
        if len(text) > limit:
            self.warn(
                "lint/long-label",
                path,
                N_(
                    "this label is %(length)s characters long; past %(limit)s a reader no "
                    "longer keeps it in mind: ask a short question, put the detail in a hint"
                ),
                length=len(text),
                limit=limit,
            )

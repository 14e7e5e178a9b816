"""What a person reads on a page or in a mail holds no unformatted value and no raw id.

``assert_readable(html, raw=[...])`` takes the text of a page (tags stripped; attributes,
web and e-mail addresses ignored; scripts and styles left out) and fails if it shows an
amount or a number as Python prints it (``25000.5``, ``25000.0``), an ISO date or
moment (``2026-12-08``, ``T14:05``), or any of ``raw``: the ids a caller knows have a
name (a department's key, a state id in parentheses, an outbox status). Any page test may
call it.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

#: Values as Python or JSON print them, never as a person reads them.
UNFORMATTED = {
    "a number as Python prints it": re.compile(r"(?<![\w.,])\d{4,}\.\d+(?![\w.])"),
    "an ISO date": re.compile(r"(?<![\w-])\d{4}-\d{2}-\d{2}(?![\w-])"),
    "an ISO moment": re.compile(r"\d{2}T\d{2}:\d{2}"),
}


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def page_text(html: str) -> str:
    """The text a person reads in ``html``: no tags, no attributes, web addresses left out."""
    parser = _Text()
    parser.feed(html)
    text = " ".join(parser.parts)
    return re.sub(r"\s+", " ", _addresses_left_out(text))


def _addresses_left_out(text: str) -> str:
    """Web and e-mail addresses are written as they are (a department's e-mail may hold its
    id): they are no raw id."""
    text = re.sub(r"https?://\S+", " ", text)
    return re.sub(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", " ", text)


def unreadable(text: str, raw: list[str] | tuple[str, ...] = ()) -> list[str]:
    """What in ``text`` (already text, not HTML) a person should not read, with its context."""
    found = []
    for what, pattern in UNFORMATTED.items():
        for match in pattern.finditer(text):
            found.append(f"{what}: …{text[max(0, match.start() - 40) : match.end() + 40]}…")
    for word in raw:
        for match in re.finditer(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text):
            found.append(
                f"the raw id {word!r}: …{text[max(0, match.start() - 40) : match.end() + 40]}…"
            )
    return found


def assert_readable(html: str, raw: list[str] | tuple[str, ...] = (), *, is_html: bool = True):
    """Fail if the page (or, with ``is_html=False``, the plain text of a mail) shows an
    unformatted amount or date, or one of the ``raw`` ids."""
    text = page_text(html) if is_html else _addresses_left_out(html)
    problems = unreadable(text, raw)
    assert not problems, "what a person reads is not readable:\n" + "\n".join(problems)

"""Info: a text shown in the form, which stores nothing."""

from __future__ import annotations

from .base import FieldType


class InfoType(FieldType):
    type = "info"
    macro = "info"
    stores_value = False
    html_required = False

    def build(self):
        return None

    def to_answer(self, form_field):
        return None

    def paragraphs(self) -> list[str]:
        """The text, one string per paragraph (blank lines separate them)."""
        text = self.text(self.field.text) or ""
        return [p.strip() for p in text.split("\n\n") if p.strip()]

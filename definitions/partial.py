"""The semantic checks of a procedure with structural problems, on the parts that are
valid by themselves.

A procedure whose schema check fails cannot be read whole, but most of it usually can: a
misspelt key in a field should not hide a transition that leads to no state. Each
top-level part (``procedure``, ``department``, ``reference``, ``form``, ``workflow``) is
validated against its own piece of the schema, and the checks that read only valid parts
run as they would on a valid file.
"""

from __future__ import annotations

from functools import lru_cache
from types import MappingProxyType
from typing import Any

from jsonschema import Draft202012Validator

from . import fieldtypes
from .schemas import schema
from .workflows import WorkflowReader

#: The top-level parts of a procedure that the semantic checks read on their own.
PARTS = ("procedure", "department", "reference", "form", "workflow")


def part_is_valid(key: str, value: Any) -> bool:
    """Whether one top-level part of a procedure is valid against its own schema."""
    return _part_validator(key, fieldtypes.registry.token()).is_valid(value)


@lru_cache(maxsize=32)
def _part_validator(key: str, token: tuple) -> Draft202012Validator:
    root = schema("procedure")
    return Draft202012Validator({"$defs": root["$defs"], **root["properties"][key]})


def check_valid_parts(reader, data: dict) -> None:
    """Run ``reader``'s (a ProcedureReader) semantic checks on the valid parts of ``data``;
    the problems go to ``reader.problems``. The workflow reads the form's fields: it is
    checked whole beside a valid form, and only as a graph without one."""
    valid = {key for key in PARTS if key in data and part_is_valid(key, data[key])}
    if "department" in valid:
        reader.check_top({"department": data["department"]})
    if "reference" in valid:
        reader.check_reference(
            data["reference"], data["procedure"] if "procedure" in valid else "procedure"
        )
    form = reader.form(data["form"]) if "form" in valid else None
    if "workflow" not in valid:
        return
    workflow = data["workflow"]
    if form is not None and ("use" not in workflow or "procedure" in valid):
        reader.workflow(workflow, MappingProxyType({f.id: f for f in form.fields}))
    elif "use" not in workflow:
        WorkflowReader(reader, ("workflow",), workflow, reusable=False).check_graph()

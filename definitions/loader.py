"""A strict YAML loader that remembers where every value came from.

Only the safe subset of YAML is read. On top of the safe loader it refuses duplicate keys,
keys that YAML reads as something other than a string (``01000:`` is the number 512,
``yes:`` is true), explicit tags, anchors/aliases that would expand the file beyond
:data:`MAX_NODES` values (the "billion laughs"), and lists and mappings nested more than
:data:`MAX_DEPTH` levels deep. Dates stay strings: the format decides what a date is, not
YAML.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import Problem
from .texts import N_, Msgid

try:  # the C parser, when PyYAML was built with libyaml
    _Base: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Base = yaml.SafeLoader

#: How many values (aliases counted as often as they are used) one file may expand to.
MAX_NODES = 100_000
#: How deeply lists and mappings may nest. The deepest example procedure nests 9 levels
#: (a group's field's options' labels); 64 is far above any real procedure, and far below
#: what would exhaust Python's stack in the checks that walk the data afterwards (the
#: builder below, the JSON Schema validators, the semantic checks). A deeper file is
#: refused here, at the first value too deep, before anything else walks it.
MAX_DEPTH = 64

Path = tuple[Hashable, ...]

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_MERGE = "tag:yaml.org,2002:merge"


class _StrictLoader(_Base):  # type: ignore[misc, valid-type]
    """The safe loader without the implicit timestamp resolver."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if not tag.endswith(":timestamp")]
        for first, resolvers in _Base.yaml_implicit_resolvers.items()
    }


_constructor = yaml.constructor.SafeConstructor()
_SCALARS = {
    _STR: lambda node: node.value,
    _INT: _constructor.construct_yaml_int,
    _FLOAT: _constructor.construct_yaml_float,
    _BOOL: _constructor.construct_yaml_bool,
    _NULL: lambda node: None,
}
_KIND = {
    _INT: Msgid(N_("a number")),
    _FLOAT: Msgid(N_("a number")),
    _BOOL: Msgid(N_("a boolean")),
    _NULL: Msgid(N_("empty (null)")),
}


def _where(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


@dataclass(slots=True)
class Document:
    """The plain data of one YAML file, with the position of every value and key."""

    file: str
    data: Any
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """The position of the value at ``path`` (or of its key), or of its nearest parent."""
        path = tuple(path)
        if key and path in self.key_positions:
            return self.key_positions[path]
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), (1, 1))

    def problem(self, path: Path, message: str, /, *, key: bool = False, **params) -> Problem:
        """The problem at ``path``: ``message`` is English, or a msgid filled with ``params``."""
        line, column = self.where(path, key=key)
        return Problem.of(self.file, line, column, message, **params)


class _TooLarge(Exception):
    def __init__(self, node: Node, aliased: bool):
        self.node = node
        self.aliased = aliased


class _TooDeep(Exception):
    def __init__(self, node: Node):
        self.node = node


class _Builder:
    def __init__(self, document: Document, max_nodes: int):
        self.document = document
        self.problems: list[Problem] = []
        self.budget = max_nodes
        self.max_nodes = max_nodes
        self.open: set[int] = set()
        self.built: set[int] = set()
        self.aliased = False  # whether a node was built twice (an alias)

    def fail(self, node: Node, msgid: str, /, **params) -> None:
        line, column = _where(node)
        self.problems.append(Problem.of(self.document.file, line, column, msgid, **params))

    def build(self, node: Node, path: Path) -> Any:
        self.budget -= 1
        if id(node) in self.built:
            self.aliased = True
        else:
            self.built.add(id(node))
        if self.budget < 0:
            raise _TooLarge(node, self.aliased)
        self.document.positions[path] = _where(node)
        tag = node.tag
        if isinstance(node, ScalarNode):
            convert = _SCALARS.get(tag)
            if convert is None:
                self.fail(node, N_("the YAML tag %(tag)r is not allowed here; remove it"), tag=tag)
                return node.value
            try:
                return convert(node)
            except ValueError:
                self.fail(
                    node,
                    N_("%(value)r is not a valid %(kind)s"),
                    value=node.value,
                    kind=tag.rsplit(":", 1)[-1],
                )
                return node.value
        if len(path) >= MAX_DEPTH:
            raise _TooDeep(node)
        if id(node) in self.open:
            self.fail(node, N_("this alias refers to itself; a YAML value cannot contain itself"))
            return None
        if tag not in (_SEQ, _MAP):
            self.fail(node, N_("the YAML tag %(tag)r is not allowed here; remove it"), tag=tag)
        self.open.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
            return self.build_mapping(node, path)
        finally:
            self.open.discard(id(node))

    def build_mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.fail(key_node, N_("a key must be a plain name, not a list or a mapping"))
                continue
            if key_node.tag == _MERGE:
                self.fail(key_node, N_("merge keys ('<<') are not supported; write the keys out"))
                continue
            if key_node.tag != _STR:
                self.fail(
                    key_node,
                    N_('the key %(key)r is read by YAML as %(kind)s; put it in quotes: "%(name)s"'),
                    key=key_node.value,
                    kind=_KIND.get(key_node.tag, Msgid(N_("something other than a name"))),
                    name=key_node.value,
                )
                continue
            key = key_node.value
            if key in result:
                line, column = self.document.key_positions[(*path, key)]
                self.fail(
                    key_node,
                    N_("duplicate key %(key)r (first given at line %(line)s)"),
                    key=key,
                    line=line,
                )
                continue
            self.document.key_positions[(*path, key)] = _where(key_node)
            result[key] = self.build(value_node, (*path, key))
        return result


def load(text: str | bytes, file: str = "<string>", *, max_nodes: int = MAX_NODES):
    """Parse one YAML document. Returns ``(document, problems)``.

    ``document`` is None when the text is not YAML at all; otherwise it holds as much
    of the data as could be read, and ``problems`` says what was refused.
    """
    document = Document(file, None)
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = error.problem or error.context or "this is not valid YAML"
        if error.context and error.problem:
            message = f"{error.context}, {error.problem}"
        msgid = N_("invalid YAML: %(detail)s")
        return None, [Problem.of(file, line, column, msgid, detail=message)]
    except yaml.reader.ReaderError as error:  # bad bytes or control characters
        line, column = _line_column(text, error.position)
        what = (
            f"#x{error.character:04x}"
            if isinstance(error.character, int)
            else repr(error.character)
        )
        return None, [
            Problem.of(
                file,
                line,
                column,
                N_("invalid YAML: unacceptable character %(character)s: %(reason)s"),
                character=what,
                reason=error.reason,
            )
        ]
    finally:
        loader.dispose()
    if node is None:
        document.data = None
        document.positions[()] = (1, 1)
        return document, []
    builder = _Builder(document, max_nodes)
    try:
        document.data = builder.build(node, ())
    except _TooLarge as error:
        line, column = _where(error.node)
        msgid = (
            N_(
                "anchors and aliases expand this file beyond %(max)s values; "
                "write the repeated parts out instead of nesting aliases"
            )
            if error.aliased
            else N_(
                "this file holds more than %(max)s values; a procedure needs far "
                "fewer: remove what it does not use, or split it"
            )
        )
        return None, [Problem.of(file, line, column, msgid, max=max_nodes)]
    except _TooDeep as error:
        line, column = _where(error.node)
        return None, [
            Problem.of(
                file,
                line,
                column,
                N_(
                    "lists and mappings are nested more than %(depth)s levels deep here; "
                    "a procedure never needs that many, write this part flatter"
                ),
                depth=MAX_DEPTH,
            )
        ]
    return document, builder.problems


def _line_column(text: str | bytes, position: int) -> tuple[int, int]:
    """1-based line and column of ``position`` (a byte offset when ``text`` is bytes)."""
    before = text[:position]
    if isinstance(before, bytes):
        before = before.decode("utf-8", errors="replace")
    last_line = before.rsplit("\n", 1)[-1]
    return before.count("\n") + 1, len(last_line) + 1


def load_file(path, display: str | None = None):
    """Read and parse a file; see :func:`load`."""
    name = display or str(path)
    try:
        with open(path, "rb") as stream:
            text = stream.read()
    except OSError as error:
        return None, [
            Problem.of(name, 1, 1, N_("cannot read the file: %(reason)s"), reason=error.strerror)
        ]
    return load(text, name)

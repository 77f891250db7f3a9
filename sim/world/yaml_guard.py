"""YAML as scenario files are read: the safe loader with guards against hostile or broken input.

Duplicate keys in a mapping, nesting deeper than :data:`MAX_DEPTH` and documents whose aliases
expand to more than :data:`MAX_NODES` values (an "alias bomb": 1 KB that expands to gigabytes)
are refused with a YAML error at the line concerned. Where YAML 1.1 would read a value as
something else than what a person wrote, it is read as YAML 1.2 reads it: clock times such as
``23:00`` stay text (1.1: the base-60 number 1380), ``010`` is ten (1.1: octal 8; ``0o10`` is
octal), and only ``true``/``false`` are booleans (1.1 also ``yes``, ``no``, ``on``, ``off``, so a
cargo class named ``no`` became False).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

MAX_DEPTH = 40
"""The deepest nesting of mappings and lists a scenario file may have (the baseline has 8)."""
MAX_NODES = 200_000
"""The most values a document may hold once its aliases (``*name``) are expanded."""

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_MERGE = "tag:yaml.org,2002:merge"
_BOOL = "tag:yaml.org,2002:bool"


class _Loader(yaml.SafeLoader):
    """YAML's safe loader with guards: duplicate keys, deep nesting and alias bombs are refused.

    Clock times such as ``23:00`` stay text: YAML 1.1 would read them as base-60 numbers (1380).
    """

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_node(self) -> Any:
        node = super().get_single_node()
        if node is not None:
            _check_size(node)
        return node

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: dict[tuple[str, str], int] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE:
                key = (key_node.tag, key_node.value)
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"duplicate key {key_node.value[:80]!r} (also at line {seen[key]}): "
                        "each key may appear once in a mapping",
                        key_node.start_mark,
                    )
                seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: Any) -> Any:
        """An integer as YAML 1.2 reads it: decimal unless ``0b``, ``0o`` or ``0x`` says
        otherwise (YAML 1.1 reads ``010`` as octal 8); one that is no number (``0x_``,
        ``!!int 12a``) is refused at its line."""
        raw = str(self.construct_scalar(node))
        text = raw.replace("_", "")
        sign = -1 if text.startswith("-") else 1
        digits = text[1:] if text[:1] in "+-" else text
        base = {"0b": 2, "0o": 8, "0x": 16}.get(digits[:2].lower(), 10)
        try:
            return sign * int(digits[2:] if base != 10 else digits, base)
        except ValueError:
            raise yaml.constructor.ConstructorError(
                None, None, f"{raw[:40]!r} is not a whole number", node.start_mark
            ) from None

    def construct_yaml_bool(self, node: Any) -> Any:
        """``true`` or ``false`` (any case); anything else tagged ``!!bool`` is refused at its line."""
        raw = str(self.construct_scalar(node))
        if raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise yaml.constructor.ConstructorError(
            None, None, f"{raw[:40]!r} is not true or false", node.start_mark
        )

    def construct_yaml_timestamp(self, node: Any) -> Any:
        """A date or time as YAML reads it; one that is no day of the calendar (2025-10-32,
        2025-02-29) is refused at its line instead of ending in Python's ValueError."""
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as err:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value[:40]!r} is not a date of the calendar ({err})", node.start_mark
            ) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)
_Loader.add_constructor(_INT, _Loader.construct_yaml_int)
_Loader.add_constructor(_BOOL, _Loader.construct_yaml_bool)
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT, _FLOAT, _BOOL)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# Integers as YAML 1.2 writes them, leading zeros read as decimal, without YAML 1.1's base-60
# forms (which turn 23:00 into 1380).
_Loader.add_implicit_resolver(
    _INT,
    re.compile(r"""^(?:[-+]?0b[0-1_]+|[-+]?0o[0-7_]+|[-+]?[0-9][0-9_]*|[-+]?0x[0-9a-fA-F_]+)$""", re.X),
    list("-+0123456789"),
)
# Booleans as YAML 1.2 writes them: yes, no, on and off stay text.
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
        |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def _check_size(root: yaml.Node) -> None:
    """Refuse a document that holds more than MAX_NODES values once aliases are expanded.

    Sizes are summed over the node graph without expanding it (an alias reuses its anchor's
    node), so a billion-value alias bomb is measured in microseconds.
    """
    sizes: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        kids = _children(node)
        if children_done:
            open_.discard(id(node))
            sizes[id(node)] = 1 + sum(sizes[id(k)] for k in kids)
            if sizes[id(node)] > MAX_NODES:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"more than {MAX_NODES:,} values once its aliases (*name) are expanded; "
                    "a scenario needs a few thousand",
                    node.start_mark,
                )
            continue
        if id(node) in sizes:
            continue
        if id(node) in open_:
            raise yaml.composer.ComposerError(
                None, None, "an alias (*name) refers to a value that contains it", node.start_mark
            )
        open_.add(id(node))
        stack.append((node, True))
        stack.extend((k, False) for k in kids if id(k) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def guarded_load(text: str) -> Any:
    """*text* as plain data; raises ``yaml.YAMLError`` for bad YAML and for what the guards refuse."""
    return yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader: no Python objects


class _OwnResolver(yaml.resolver.Resolver):
    """The guarded loader's rules for what a plain scalar is."""


_OwnResolver.yaml_implicit_resolvers = {
    first: list(resolvers) for first, resolvers in _Loader.yaml_implicit_resolvers.items()
}
_STR = "tag:yaml.org,2002:str"


class _Dumper(yaml.SafeDumper):
    """YAML's safe dumper that quotes a text either reader would take for something else: YAML
    1.1's (``23:00``, ``yes``, for other tools) and the guarded loader's (``08``, ``0o10``)."""

    _own = _OwnResolver()

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        tag = super().resolve(kind, value, implicit)
        if kind is yaml.ScalarNode and implicit[0] and tag == _STR:
            own = self._own.resolve(kind, value, implicit)
            if own != _STR:
                return own
        return tag


def guarded_dump(data: Any) -> str:
    """*data* as YAML text that :func:`guarded_load` reads back as the same values: what the
    project writes (a results folder's scenario.yaml) runs again as it is."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True)

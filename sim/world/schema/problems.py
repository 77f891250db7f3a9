"""Validation errors in the file's words: each problem as (key path, what is wrong), with the keys
allowed where a key is unknown and a did-you-mean.
"""

from __future__ import annotations

import difflib
import types
import typing
import unicodedata
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.world.distributions import Distribution
from sim.world.schema.events import Event
from sim.world.schema.names import MAX_TEXT


def _tagged_members(tp: Any) -> dict[str, type[BaseModel]] | None:
    """The members of *tp* by their tags, where *tp* is a discriminated union of models
    (``Annotated[A | B, Field(discriminator=...)]``); None where it is not."""
    if typing.get_origin(tp) is not typing.Annotated:
        return None
    base, *meta = typing.get_args(tp)
    fields = [m.discriminator for m in meta if isinstance(getattr(m, "discriminator", None), str)]
    if not fields:
        return None
    models = [m for m in typing.get_args(base) if isinstance(m, type) and issubclass(m, BaseModel)]
    return {tag: m for m in models for tag in typing.get_args(m.model_fields[fields[0]].annotation)}


def union_tags(union: Any) -> tuple[str, ...]:
    """The tags of a discriminated union of models (*union*, as :func:`_tagged_members` takes
    it): what its members' discriminator may say, in the union's order."""
    return tuple(_tagged_members(union) or ())


_TAGS = set(union_tags(Distribution))
_EVENT_TAGS = set(union_tags(Event))
_CHOICES = {"dist": union_tags(Distribution), "kind": union_tags(Event)}
"""What a file may write after ``dist:`` and an event's ``kind:``, said where it wrote neither."""


def _path_step(tp: Any, part: Any) -> tuple[Any, bool]:
    """The type found under *part* in a value of type *tp*, and whether *part* is the tag of a
    discriminated union, which pydantic adds to an error's path and the file does not write;
    ``(None, False)`` where the type is lost."""
    members = _tagged_members(tp)
    if members is not None:
        return (members[part], True) if part in members else (None, False)
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _path_step(typing.get_args(tp)[0], part)
    if origin in (typing.Union, types.UnionType):
        for option in typing.get_args(tp):  # an optional value, or a plain union: the first that has it
            found = _path_step(option, part)
            if found[0] is not None:
                return found
        return None, False
    if origin in (dict, list) or (isinstance(origin, type) and issubclass(origin, (dict, list))):
        return typing.get_args(tp)[-1], False
    if isinstance(tp, type) and issubclass(tp, BaseModel) and part in tp.model_fields:
        field = tp.model_fields[part]
        if isinstance(field.discriminator, str):  # pydantic keeps a field's discriminator apart
            return typing.Annotated[field.annotation, field], False
        return field.annotation, False
    return None, False


def _loc_path(loc: tuple[Any, ...], root: type[BaseModel]) -> str:
    """A pydantic error's path as the file writes it: without the tags of discriminated unions
    (an event's kind, a distribution's) and the validators' markers pydantic adds. The tags are
    known by walking *root*'s types, so a gate, route or cargo class named like a tag (``fixed``)
    stays in the path; where the walk loses the type, a part named like a tag is taken for one."""
    parts: list[str] = []
    tp: Any = root
    for i, p in enumerate(loc):
        if isinstance(p, str) and p.startswith("function-"):
            continue
        if tp is not None:
            tp, tag = _path_step(tp, p)
        else:
            tag = p in _TAGS or (p in _EVENT_TAGS and i > 0 and isinstance(loc[i - 1], int))
        if not tag:
            parts.append(str(p))
    return ".".join(parts)


def brief(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _model_at(loc: tuple[Any, ...], root: type[BaseModel]) -> type[BaseModel] | None:
    """The model class whose keys are allowed at *loc* (a pydantic error's path, without its last
    part) under *root* (a scenario, or a costs, ranges, targets or case file), or None where the
    path leads to no model. The path is walked as :func:`_loc_path` walks it (an event's kind and a
    distribution's lead to that member)."""

    def models_in(tp: Any) -> list[type[BaseModel]]:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return [tp]
        return [m for a in typing.get_args(tp) for m in models_in(a)]

    tp: Any = root
    for part in loc:
        if isinstance(part, str) and part.startswith("function-"):
            continue
        tp, _ = _path_step(tp, part)
        if tp is None:
            return None
    found = models_in(tp)
    return found[0] if len(found) == 1 else None


def unknown_name(kind: str, name: Any, known: Any) -> str:
    """'unknown cargo class 'fruits'; did you mean 'fruit'? (known: empty, fruit, general)'."""
    known = sorted(str(k) for k in known)
    near = difflib.get_close_matches(str(name), known, n=2, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(k) for k in near)}?" if near else ""
    return f"unknown {kind} {brief(name)}{hint} (known: {', '.join(known)})"


def _unknown_key(loc: tuple[Any, ...], root: type[BaseModel]) -> str:
    """'unknown key' with a did-you-mean and the keys allowed there (in *root*'s file)."""
    key = str(loc[-1])
    model = _model_at(loc[:-1], root)
    if model is None:
        return "unknown key"
    known = sorted(field.alias or name for name, field in model.model_fields.items())  # the file's words
    near = difflib.get_close_matches(key, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(repr(k) for k in near)}?" if near else ""
    return f"unknown key{hint} (allowed here: {', '.join(known)})"


def validation_problems(err: ValidationError, root: type[BaseModel]) -> list[tuple[str, str]]:
    """(key, what is wrong) for each error of *err*, a validation of *root* (the scenario;
    a costs, ranges, targets or case file passes its own model, so that an unknown key is set
    against that file's keys, not a scenario's)."""
    out = []
    for e in err.errors():
        kind = e["type"]
        if kind == "extra_forbidden":
            msg = _unknown_key(e["loc"], root)
        elif kind == "missing":
            msg = "required key is missing"
        elif kind == "union_tag_not_found":
            key = str(e.get("ctx", {}).get("discriminator", "")).strip("'")
            choices = ", ".join(_CHOICES.get(key, ()))
            msg = f"says no {key}: give '{key}:', one of {choices}" if choices else e["msg"]
        else:
            msg = e["msg"].removeprefix("Value error, ")
            # The value given, unless the message names it already or it is a whole mapping or
            # list (an event, the hours): its repr would only repeat the file in Python's words.
            if not isinstance(e["input"], (dict, list)) and ", got " not in msg:
                msg = f"{msg} (got {brief(e['input'])})"
        out.append((_loc_path(e["loc"], root), msg))
    return out


def free_text_problems(data: Any, path: str = "") -> list[tuple[str, str]]:
    """Free text (questions, labels, event names) with a control character, or longer than
    :data:`MAX_TEXT` allows: refused, since they reach file names, figures and workbooks."""
    out: list[tuple[str, str]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(value, str) and key in MAX_TEXT:
                bad = [c for c in value if unicodedata.category(c) == "Cc" and c not in "\n"]
                if bad:
                    out.append((where, f"holds a control character ({bad[0]!r}); write plain text"))
                if len(value) > MAX_TEXT[key]:
                    out.append((where, f"is {len(value):,} characters long; at most {MAX_TEXT[key]}"))
            else:
                out += free_text_problems(value, where)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += free_text_problems(value, f"{path}.{i}")
    return out

"""What the model does not know: plausible ranges of the scenario's uncertain parameters.

A ranges file (``scenarios/ranges.yaml``) names *factors*: each moves one or more dotted scenario
keys (``*`` stands for any one key, so one factor may move every Chinese checkpoint at once), over
a range ``low``-``high`` drawn ``uniform`` or ``log-uniform``, with its ``source`` (a row of the
field facts, or ASSUMPTION with a reason). A factor either *sets* its keys to the value, *scales*
them by it, or *mixes* an hourly profile toward a flat one by the value (0 = as given, 1 = flat).

The screen (:mod:`sim.studies.morris`), history matching (:mod:`sim.studies.history`) and
the ensembles (:mod:`sim.studies.ensemble`) all move the scenario through
:meth:`Ranges.apply`, so one parameter set means the same scenario everywhere. Points in the
*unit* cube ``[0, 1]^k`` map to values by each factor's kind (:meth:`Factor.natural`).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.world.numbers import Float
from sim.world.scenario import Scenario, set_dotted
from sim.world.scenario_files import read_yaml_file
from sim.world.schema.names import ScenarioError
from sim.world.schema.problems import validation_problems

MAX_FACTORS = 40
"""The most factors a ranges file may name (a Morris screen costs r x (k + 1) runs)."""


def get_key(data: Any, key: str) -> Any:
    """The value at dotted *key* of nested mappings."""
    for part in key.split("."):
        data = data[part]
    return data


def expand_keys(data: Any, pattern: str) -> list[str]:
    """The dotted keys of *data* matching *pattern* whose values are numbers (``*`` = any one key)."""
    keys = [("", data)]
    for part in pattern.split("."):
        nxt = []
        for prefix, node in keys:
            if not isinstance(node, dict):
                continue
            names = list(node) if part == "*" else [part] if part in node else []
            nxt += [(f"{prefix}.{n}" if prefix else n, node[n]) for n in names if node[n] is not None]
        keys = nxt
    return [k for k, v in keys if isinstance(v, int | float) and not isinstance(v, bool)]


class ParameterChange(BaseModel):
    """How one number changes a scenario: keys set to it, keys scaled by it, or a profile mixed."""

    model_config = ConfigDict(extra="forbid")
    set: list[str] | None = Field(default=None, description="dotted keys set to the value ('*' = any)")
    scale: list[str] | None = Field(default=None, description="dotted keys multiplied by the value")
    mix: str | None = Field(default=None, description="an hourly profile mixed toward *toward*")
    toward: list[Float] | None = Field(default=None, description="24 weights the profile is mixed toward")
    renormalise: bool = Field(default=False, description="keep the sibling shares summing to 1")
    integer: bool = Field(default=False, description="round the value (lanes, places) before use")

    @model_validator(mode="after")
    def _one_way(self) -> ParameterChange:
        if sum(x is not None for x in (self.set, self.scale, self.mix)) != 1:
            raise ValueError("give exactly one of set, scale, mix")
        if self.mix is not None and (
            self.toward is None
            or len(self.toward) != 24
            or min(self.toward) < 0
            or not 0 < sum(self.toward) < math.inf
        ):
            raise ValueError("mix needs toward: 24 non-negative hourly weights with a positive, finite sum")
        return self

    def changes(self, base: dict[str, Any], value: float, source: str = "ranges") -> dict[str, Any]:
        """Dotted-key changes that give *value*, relative to the scenario data *base*."""
        if self.integer:
            value = round(value)
        out: dict[str, Any] = {}
        if self.mix is not None:
            profile = np.asarray(get_key(base, self.mix), dtype=float)
            toward = np.asarray(self.toward, dtype=float)
            mixed = (1 - value) * profile / profile.sum() + value * toward / toward.sum()
            return {self.mix: [round(float(x) * 24, 5) for x in mixed]}
        for pattern in self.set or self.scale or []:
            keys = expand_keys(base, pattern)
            if not keys:
                raise ScenarioError(source, [(pattern, "no number in the scenario matches this key")])
            for key in keys:
                if self.scale is not None:
                    old = get_key(base, key)
                    scaled = float(old) * value
                    # Counts (lanes, places) stay whole; a count that was positive stays at least 1.
                    out[key] = (
                        max(1 if old > 0 else 0, round(scaled)) if isinstance(old, int) else round(scaled, 5)
                    )
                elif self.renormalise:
                    parent, _, leaf = key.rpartition(".")
                    shares = dict(get_key(base, parent))
                    rest = 1 - float(shares[leaf])
                    for k in shares:
                        shares[k] = value if k == leaf else float(shares[k]) * (1 - value) / rest
                    rounded = {k: round(v, 6) for k, v in shares.items()}
                    # Rounding each share can leave the sum 1 +- 1.5e-6, beyond what the scenario
                    # accepts: the largest other share takes the remainder.
                    others = [k for k in rounded if k != leaf]
                    if others:
                        big = max(others, key=lambda k: rounded[k])
                        rest_sum = sum(v for k, v in rounded.items() if k != big)
                        rounded[big] = round(1 - rest_sum, 6)
                    out[parent] = rounded
                else:
                    out[key] = value
        return out


_SOURCE_MARKS = ("FF", "ASSUMPTION", "INFERENCE", "FITTED")


class Factor(ParameterChange):
    """One unknown: the keys it moves, its plausible range and why that range."""

    what: str = Field(min_length=1, max_length=400, description="what the factor is, in a line")
    low: Float = Field()
    high: Float = Field()
    kind: Literal["uniform", "log-uniform"] = Field(
        default="uniform", description="how values are spread over the range"
    )
    source: str = Field(
        min_length=1,
        max_length=600,
        description="a row of ../shared/field-facts.md (FF ...), or ASSUMPTION/INFERENCE with a reason",
    )

    @model_validator(mode="after")
    def _range(self) -> Factor:
        if self.low > self.high:
            raise ValueError(f"low {self.low:g} is above high {self.high:g}")
        if self.kind == "log-uniform" and self.low <= 0:
            raise ValueError("a log-uniform range needs low > 0")
        if not any(mark in self.source for mark in _SOURCE_MARKS):
            raise ValueError(
                "source must cite the field facts (FF ...) or say ASSUMPTION or INFERENCE and why"
            )
        if self.mix is not None and not (self.low >= 0 and self.high <= 1):
            raise ValueError("a mix runs from 0 (as given) to 1 (all toward): low and high within 0-1")
        return self

    @property
    def is_point(self) -> bool:
        """True when the range is a single value (the factor is known)."""
        return self.low == self.high

    def natural(self, u: np.ndarray | float) -> np.ndarray:
        """The values at unit positions *u* (0 = low, 1 = high) by the factor's kind."""
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        if self.kind == "log-uniform":
            lo, hi = math.log(self.low), math.log(self.high)
            return np.exp(lo + u * (hi - lo))
        return self.low + u * (self.high - self.low)

    def unit(self, value: np.ndarray | float) -> np.ndarray:
        """The unit positions of *value* (the inverse of :meth:`natural`); 0 for a point range."""
        value = np.asarray(value, dtype=float)
        if self.is_point:
            return np.zeros_like(value)
        if self.kind == "log-uniform":
            lo, hi = math.log(self.low), math.log(self.high)
            return (np.log(value) - lo) / (hi - lo)
        return (value - self.low) / (self.high - self.low)


class Ranges(BaseModel):
    """The factors of a ranges file, in the file's order."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(default="ranges", max_length=120)
    about: str = Field(default="", max_length=2000, description="what the ranges cover, and what not")
    factors: dict[str, Factor] = Field(min_length=1, max_length=MAX_FACTORS)

    _source: str = "<ranges>"

    @model_validator(mode="after")
    def _names(self) -> Ranges:
        bad = [n for n in self.factors if not n.replace("_", "").isalnum() or not n.isascii()]
        if bad:
            raise ValueError(f"factor names are letters, digits and '_': {', '.join(map(repr, bad))}")
        return self

    @property
    def source(self) -> str:
        """The file the ranges came from, for messages."""
        return self._source

    @property
    def names(self) -> list[str]:
        """Factor names in order."""
        return list(self.factors)

    def digest(self) -> str:
        """SHA-256 of the ranges' content (not of the file's bytes: comments do not count)."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def check(self, scenario: Scenario) -> None:
        """Every key pattern must match a number of *scenario*; errors name the factor and key."""
        base = scenario.to_dict()
        problems = []
        for name, f in self.factors.items():
            for pattern in [*(f.set or []), *(f.scale or [])]:
                if not expand_keys(base, pattern):
                    problems.append(
                        (f"factors.{name}", f"no number of scenario {scenario.name!r} matches {pattern!r}")
                    )
            if f.mix is not None:
                try:
                    profile = get_key(base, f.mix)
                except (KeyError, TypeError):
                    profile = None
                if not isinstance(profile, list) or len(profile) != 24:
                    problems.append(
                        (f"factors.{name}.mix", f"{f.mix!r} is not a 24-hour profile of the scenario")
                    )
        if problems:
            raise ScenarioError(self.source, problems, what="ranges file")

    def natural(self, unit: np.ndarray) -> np.ndarray:
        """Points of the unit cube (rows) as factor values (same shape)."""
        unit = np.atleast_2d(np.asarray(unit, dtype=float))
        return np.column_stack([f.natural(unit[:, j]) for j, f in enumerate(self.factors.values())])

    def unit(self, values: np.ndarray) -> np.ndarray:
        """Factor values (rows) as points of the unit cube."""
        values = np.atleast_2d(np.asarray(values, dtype=float))
        return np.column_stack([f.unit(values[:, j]) for j, f in enumerate(self.factors.values())])

    def latin_hypercube(self, m: int, seed: int) -> np.ndarray:
        """*m* points of the unit cube, a Latin hypercube (each factor's range cut in *m* strata)."""
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=len(self.factors), seed=np.random.default_rng(seed)).random(m)

    def changes(self, scenario: Scenario, values: Mapping[str, float] | Sequence[float]) -> dict[str, Any]:
        """The dotted-key changes that put *scenario* at *values* (by factor name, or in order).

        Factors apply in the file's order, each on the scenario as the earlier ones left it, so two
        factors that mix the same profile compose instead of the second undoing the first.
        """
        if not isinstance(values, Mapping):
            values = dict(zip(self.names, values, strict=True))
        unknown = [k for k in values if k not in self.factors]
        if unknown:
            raise ScenarioError(
                self.source, [(k, "not a factor of the ranges file") for k in unknown], what="ranges file"
            )
        data = scenario.to_dict()
        out: dict[str, Any] = {}
        for name, f in self.factors.items():
            if name in values:
                step = f.changes(data, float(values[name]), f"{self.source} factors.{name}")
                for key, value in step.items():
                    set_dotted(data, key, value, self.source)
                out.update(step)
        return out

    def apply(
        self, scenario: Scenario, values: Mapping[str, float] | Sequence[float], name: str | None = None
    ) -> Scenario:
        """*scenario* with every factor at its value in *values*."""
        return scenario.with_changes(self.changes(scenario, values), name=name)

    def table(self, values: np.ndarray) -> Any:
        """Rows of factor values as a DataFrame with one column per factor."""
        import pandas as pd

        return pd.DataFrame(np.atleast_2d(values), columns=self.names)


def validate_ranges(data: Any, source: str = "<ranges>") -> Ranges:
    """Plain data as :class:`Ranges`; raise :class:`ScenarioError` naming the file and every bad key."""
    if not isinstance(data, Mapping):
        raise ScenarioError(source, [("", "must be a mapping with 'factors'")], what="ranges file")
    try:
        ranges = Ranges.model_validate(dict(data))
    except ValidationError as err:
        raise ScenarioError(source, validation_problems(err, Ranges), what="ranges file") from None
    ranges._source = source
    return ranges


def load_ranges(path: str | Path) -> Ranges:
    """Read a ranges file through the same guards as a scenario file (size, UTF-8, YAML limits)."""
    path = Path(path)
    source = str(path)
    if not path.exists():
        raise ScenarioError(source, [("", "no such file")], what="ranges file")
    try:
        data = read_yaml_file(path, source)
    except ScenarioError as err:
        raise ScenarioError(err.source, err.problems, what="ranges file") from None
    return validate_ranges(data, source)

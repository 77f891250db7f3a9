"""The numbers a scenario may hold: finite, and never a boolean standing in for a number.

pydantic reads ``true`` as 1 for an integer and 1.0 for a float, so ``lanes: true`` would give
one lane; and it lets ``.inf`` and ``.nan`` through a float unless told not to. ``Int`` and
``Float`` refuse both; an integer is still accepted where a float is expected (``mean: 3``).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    if isinstance(value, float) and not math.isfinite(value):
        # Said before the bounds are checked: "greater than 0 (got nan)" would not say what is wrong.
        raise ValueError("must be a finite number (not .inf or .nan)")
    return value


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number (not .inf or .nan)")
    return value


Int = Annotated[int, BeforeValidator(_not_bool)]
"""An integer; ``true``/``false`` are refused."""

Float = Annotated[float, BeforeValidator(_not_bool), AfterValidator(_finite)]
"""A finite float; ``true``/``false``, infinities and NaN are refused; integers are accepted."""

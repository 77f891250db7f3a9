"""``bordersim schema``: the JSON Schema of scenario files."""

from __future__ import annotations

import argparse
import json
from typing import Any

from sim.world.scenario_files import (
    scenario_schema,
)


def command(args: argparse.Namespace) -> int:
    """Run ``bordersim schema`` with the parsed *args*; the exit status."""
    if args.state:
        from sim.world.state_files import state_schema

        print(state_schema())
        return 0
    print(json.dumps(scenario_schema(), indent=2))
    return 0


def add_parser(sub: Any) -> None:
    """Add the ``schema`` subcommand and its arguments to *sub*."""
    p = sub.add_parser(
        "schema", help="print the JSON Schema of scenario files (--state: the state files' columns)"
    )
    p.add_argument(
        "--state",
        action="store_true",
        help="print the columns of STATE and DECLARED (bordersim forecast), as Markdown, instead",
    )
    p.set_defaults(func=command)

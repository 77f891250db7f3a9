"""Build-time pages of the docs: the scenario schema from the code (``bordersim schema``)."""

from __future__ import annotations

import json
from typing import Any

MARK = "<!-- scenario-schema -->"


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """Put the JSON Schema of scenario files where a page holds :data:`MARK`."""
    if MARK not in markdown:
        return markdown
    from sim.world.scenario_files import scenario_schema

    return markdown.replace(MARK, "```json\n" + json.dumps(scenario_schema(), indent=2) + "\n```")

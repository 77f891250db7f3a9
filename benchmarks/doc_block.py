"""Writing a benchmark's table into a page of the docs, between the page's markers."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_block(page: Path | str, block: str, marker: str) -> None:
    """Write *block* (a table and the command that made it) between *page*'s *marker* markers
    (``<!-- marker:start -->`` and ``<!-- marker:end -->``), as every generated table of the docs is."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from sim.studies.library import put_in_readme

    page = Path(page)
    page.write_text(put_in_readme(block, page.read_text(encoding="utf-8"), marker), encoding="utf-8")

"""A run's per-truck minutes drawn a block of trucks at a time, as the run reaches them, and given
back once every truck of a block is done with them.

Each truck's service, platform, travel and route-change minutes are read only while it is in the
system. Drawn up front for every truck, they held 68 MiB of a year's run from its start to its
end (14 arrays of a float a truck). Here each lives in an anonymous memory map of its own, which
takes memory only where it is written: a block of :data:`BLOCK_TRUCKS` trucks is drawn when the
run's source is about to start its first truck (:meth:`DrawBlocks.ensure`), and its pages are
given back to the system (``madvise(MADV_DONTNEED)``) when the last of its trucks is done with
them (:meth:`DrawBlocks.done`): its process has ended and, for a declaration under the
platform's review, its declaration is approved.

The numbers are those drawn all at once: each draw is an element-wise transform of its named
stream's uniforms, and numpy's ``Generator.random`` gives the same uniforms in blocks as in one
call (``tests/test_draw_blocks.py`` holds whole runs to it). Off Linux (:data:`CAN_GIVE_BACK`)
the arrays are ordinary numpy arrays and nothing is given back: the same numbers, more memory.
"""

from __future__ import annotations

import mmap
import sys
from collections.abc import Callable

import numpy as np

BLOCK_TRUCKS = 8192
"""Trucks drawn and given back together: 64 KiB of float64 an array, a whole number of pages on
every page size in use (4, 16 and 64 KiB), so that a block's pages are its own."""

CAN_GIVE_BACK = (
    sys.platform.startswith("linux")
    and all(hasattr(mmap, k) for k in ("MADV_DONTNEED", "MAP_PRIVATE", "MAP_ANONYMOUS"))
    and hasattr(mmap.mmap, "madvise")
)
"""Whether this system gives a block's pages back: Linux, where ``MADV_DONTNEED`` frees a private
map's pages at once and they read as zeros after. Elsewhere (macOS takes it as a hint only) the
arrays are ordinary numpy arrays."""


class DrawBlocks:
    """The per-truck arrays a run draws block by block, and what each block still waits for.

    :attr:`fill` ``(a, b)`` draws trucks ``a`` to ``b - 1`` into the arrays made by :meth:`floats`;
    it is called on consecutive blocks, in order. :meth:`expect` says how many times each truck
    will be reported done (:meth:`done`) before its block may be given back.
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self.filled = 0
        """Trucks drawn so far: ``0`` to ``filled - 1``."""
        self.fill: Callable[[int, int], None] = lambda a, b: None
        self._maps: list[tuple[mmap.mmap, int, int]] = []  # (map, bytes a row, rows)
        self._initial: list[tuple[np.ndarray, float]] = []
        self._left: list[int] = []
        self.given_back = 0
        """Blocks given back so far."""
        self.arrays: list[np.ndarray] = []
        """The arrays made by :meth:`floats` (their bytes are reserved, not all held)."""

    def expect(self, needs: np.ndarray) -> None:
        """Truck *i* will be reported done *needs[i]* times (at least once: its process's end)."""
        starts = np.arange(0, self.n, BLOCK_TRUCKS)
        self._left = np.add.reduceat(needs.astype(np.int64), starts).tolist() if self.n else []

    def floats(self, rows: int = 1, initial: float = 0.0) -> np.ndarray:
        """A new array of *rows* x n floats (a vector for one row), taking memory as blocks are
        drawn; *initial* (0 or NaN) is what a block's items read before the run writes them. Made
        before the first block is drawn (a block already drawn would keep 0)."""
        if self.filled:
            raise RuntimeError("DrawBlocks.floats after blocks were drawn")
        padded = -(-max(self.n, 1) // BLOCK_TRUCKS) * BLOCK_TRUCKS
        if CAN_GIVE_BACK:
            # Private: pages given back are freed, and read as zeros after (a shared map's pages
            # would stay in use, only unmapped).
            mm = mmap.mmap(-1, rows * padded * 8, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
            self._maps.append((mm, padded * 8, rows))
            whole = np.frombuffer(mm, dtype=np.float64).reshape(rows, padded)
        else:
            whole = np.zeros((rows, padded))
        out = whole[:, : self.n]
        out = out[0] if rows == 1 else out
        if initial != 0.0:
            self._initial.append((out, initial))
        self.arrays.append(out)
        return out

    def ensure(self, i: int) -> int:
        """Draw every block up to truck *i*'s; return the first truck not yet drawn."""
        end = min((i // BLOCK_TRUCKS + 1) * BLOCK_TRUCKS, self.n)
        if end > self.filled:
            for array, value in self._initial:
                array[..., self.filled : end] = value
            self.fill(self.filled, end)
            self.filled = end
        return self.filled

    def finish(self) -> None:
        """Draw the blocks no truck reached (a run stopped before its horizon): the arrays the
        tables read (a truck's crossing mode) are then whole."""
        if self.filled < self.n:
            self.ensure(self.n - 1)

    def done(self, i: int) -> None:
        """Truck *i* is done with its draws once more; the last of its block gives the block back."""
        b = i // BLOCK_TRUCKS
        left = self._left
        left[b] -= 1
        if not left[b]:
            self.given_back += 1
            start = b * BLOCK_TRUCKS * 8
            for mm, row_bytes, rows in self._maps:
                for r in range(rows):
                    mm.madvise(mmap.MADV_DONTNEED, r * row_bytes + start, BLOCK_TRUCKS * 8)

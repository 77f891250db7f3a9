"""A finished run's truck log: each time column by name, the mostly empty ones kept compact.

While a run goes, every time column of the truck log is an array as long as the trucks (the model
writes into it by truck number). Once it has run, many columns are empty for most trucks: no truck
uses the paper-declaration counter when every truck declares online, and in the baseline about 8%
of trucks are inspected, 14% quarantined and 17% parked. :class:`TruckLog` keeps such a column as
the numbers of the trucks that have a time and their times (12 bytes a truck that has one, instead
of 8 a truck): a year's baseline log keeps 66 MiB of its 108. Reading it gives the
column whole, NaN where a truck has no time, the same values bit for bit.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping

import numpy as np

SPARSE_MAX_SHARE = 0.5
"""A column kept compact when at most this share of trucks have a time in it (compact takes 12
bytes a truck that has one: it saves memory below two thirds)."""


class TruckLog(Mapping[str, np.ndarray]):
    """The truck log's time columns (model minutes, NaN where a step did not happen) of a run that
    has ended, read by name as the dict of arrays the model filled: ``log["departure_min"]``.

    A column most trucks have a time in is read as that array itself (a read-only view, not a
    copy); a column at most :data:`SPARSE_MAX_SHARE` of trucks have one in is kept as those trucks
    and their times, and made whole when read (a new read-only array each time). Every column is
    read-only either way, so that a write into one can neither change the log nor be lost.
    :meth:`take` reads some trucks of a column without making it whole."""

    def __init__(self, times: Mapping[str, np.ndarray], *, consume: bool = False) -> None:
        """Keep the columns of *times*; with *consume*, take each out of the dict *times* as it is
        kept, so that a column made compact is freed at once where nothing else holds it (a
        finished model's log, once the model is gone: a year's log is then never held twice)."""
        self._names = list(times)
        self._n = len(times[self._names[0]]) if self._names else 0
        for name in self._names:  # every column checked before any is taken out
            if len(times[name]) != self._n:
                raise ValueError(f"truck log column {name!r}: {len(times[name])} trucks, not {self._n}")
        if consume and not isinstance(times, MutableMapping):
            raise TypeError("consume: the columns must be in a dict to take them out of")
        self._dense: dict[str, np.ndarray] = {}
        self._sparse: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        index_type = np.int32 if self._n < 2**31 else np.int64
        for name in self._names:
            column = times.pop(name) if consume else times[name]
            have = np.flatnonzero(~np.isnan(column))
            if have.size <= SPARSE_MAX_SHARE * self._n:
                self._sparse[name] = (have.astype(index_type), column[have])
            else:
                self._dense[name] = column

    def __getitem__(self, name: str) -> np.ndarray:
        return self.take(name, slice(None))

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def is_compact(self, name: str) -> bool:
        """Whether column *name* is kept compact (reading it makes a new array)."""
        if name not in self._dense and name not in self._sparse:
            raise KeyError(name)
        return name in self._sparse

    def take(self, name: str, rows: slice | np.ndarray) -> np.ndarray:
        """Column *name* of the trucks *rows* (a slice, truck numbers or a mask, as numpy indexes
        an array): ``log[name][rows]``, without making a compact column whole. Read-only."""
        dense = self._dense.get(name)
        if dense is not None:
            return read_only(dense[rows])
        trucks, values = self._sparse[name]
        if isinstance(rows, slice):
            start, stop, step = rows.indices(self._n)
            if step == 1:
                stop = max(stop, start)
                lo, hi = np.searchsorted(trucks, [start, stop])
                out = np.full(stop - start, np.nan)
                out[trucks[lo:hi] - start] = values[lo:hi]
                return read_only(out)
            rows = np.arange(start, stop, step)
        rows = np.asarray(rows)
        if rows.dtype == bool:
            if rows.shape != (self._n,):
                raise IndexError(f"a mask of {rows.shape} for {self._n} trucks")
            rows = np.flatnonzero(rows)
        if not np.issubdtype(rows.dtype, np.integer):
            raise IndexError("rows: a slice, truck numbers (integers) or a mask")
        flat = rows.ravel().astype(np.int64)
        if flat.size and (flat.min() < -self._n or flat.max() >= self._n):
            raise IndexError(f"a truck number out of range for {self._n} trucks")
        flat[flat < 0] += self._n
        out = np.full(flat.size, np.nan)
        if trucks.size:
            at = np.minimum(np.searchsorted(trucks, flat), trucks.size - 1)
            has = trucks[at] == flat
            out[has] = values[at[has]]
        out = out.reshape(rows.shape)
        return out[()] if out.ndim == 0 else read_only(out)  # one truck: its number, as numpy

    def nbytes(self) -> int:
        """Bytes of the arrays the log keeps."""
        return sum(a.nbytes for a in self._dense.values()) + sum(
            t.nbytes + v.nbytes for t, v in self._sparse.values()
        )


def read_only(column: np.ndarray) -> np.ndarray:
    """*column* as a read-only view (the array itself stays writable for whoever owns it); a
    single number as it is."""
    if not isinstance(column, np.ndarray):  # one truck's time, read by its number
        return column
    view = column.view()
    view.flags.writeable = False
    return view


def take(log: Mapping[str, np.ndarray], name: str, rows: slice | np.ndarray) -> np.ndarray:
    """Column *name* of the trucks *rows* of a truck log, a :class:`TruckLog` or a dict of whole
    arrays (a run's log read while it is paused), read-only either way."""
    if isinstance(log, TruckLog):
        return log.take(name, rows)
    return read_only(log[name][rows])

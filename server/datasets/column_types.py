"""The dtype and missing-value count a whole-file pandas parse gives a CSV column read in chunks.

pandas infers a column's dtype from all of its values at once: int64, float64 when numbers
and missing values mix, bool, object for booleans with missing values, text otherwise. Which
one it picks depends only on which kinds of value occur in the column, not on how many or in
what order. So each chunk is reduced to the kinds of value it holds (`chunk_kinds`), and the
kinds of the whole column are turned into a dtype by letting pandas parse one value of each
kind (`dtype_of`): the rules stay pandas' own.

Integers beyond int64 are the exception: pandas then retries the column as uint64 or Python
ints, and the outcome (even whether missing-value markers count as missing) can depend on
the order of the values. A column of such integers and non-negative int64 ones is uint64 in
any order; any other column holding one (or, for a text chunk, possibly holding one) is
marked `exact`, and the caller reads it again, whole. tests/server/test_dataset_validation.py
checks all this against whole-file parses, so a pandas upgrade that changes it shows there.
"""

import io
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

# One CSV token of each kind of value; pandas infers the same dtype from them as from the data.
INTEGER = "0"
NEGATIVE = "-1"  # next to LARGE, makes the column `exact`
LARGE = "18446744073709551615"  # an integer beyond int64 that fits uint64
FRACTION = "0.5"  # any other number: a float64 chunk's non-missing values
MISSING = "NA"  # one of pandas' default missing-value markers
BOOLEAN = "True"
TEXT = "x"
_LONG_INTEGER = r"\s*[+-]?\d{19,}\s*"  # every integer outside int64 has at least 19 digits
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


@dataclass
class ColumnTally:
    """What the chunks read so far say about one column."""

    nulls: int = 0
    kinds: set[str] = field(default_factory=set)
    unknown: bool = False  # a chunk's values did not tell which kinds of token they were

    def add(self, values: pd.Series) -> None:
        """Count the missing values of one chunk's column and note the kinds it holds."""
        if values.empty:
            return
        nulls = int(values.isna().sum())
        self.nulls += nulls
        kinds = chunk_kinds(values, nulls)
        if kinds is None:
            self.unknown = True
        else:
            self.kinds |= kinds

    @property
    def exact(self) -> bool:
        """Whether the column needs a whole-column parse: its kinds do not decide its type."""
        return self.unknown or (LARGE in self.kinds and not self.kinds <= {LARGE, INTEGER})

    def dtype(self) -> str:
        """The dtype of the whole column (only meaningful when not `exact`)."""
        return dtype_of(frozenset(self.kinds))


def chunk_kinds(values: pd.Series, nulls: int) -> set[str] | None:
    """The kinds of value in one chunk's column; None when its values do not tell."""
    missing = {MISSING} if nulls else set()
    dtype = values.dtype
    if dtype == np.int64:
        return {INTEGER, NEGATIVE} if values.min() < 0 else {INTEGER}
    if dtype == np.uint64:  # at least one value beyond int64, none negative or missing
        return {LARGE}
    if dtype == np.float64:  # the first non-integer settles it, even next to huge integers
        return missing | ({FRACTION} if nulls < len(values) else set())
    if dtype == np.bool_:
        return {BOOLEAN}
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if pd.api.types.is_object_dtype(dtype) and inferred == "boolean":  # with missing values
        return {BOOLEAN} | missing
    if inferred == "string" and not _has_huge_integer(values):
        return {TEXT} | missing
    return None  # Python ints, or text that pandas may have made of huge integers


@lru_cache
def dtype_of(kinds: frozenset[str]) -> str:
    """The dtype pandas gives a CSV column holding values of these kinds (and only those)."""
    text = "column\n" + "".join(f"{kind}\n" for kind in sorted(kinds))
    return str(pd.read_csv(io.StringIO(text), low_memory=False)["column"].dtype)


def _has_huge_integer(values: pd.Series) -> bool:
    """Whether a text column holds an integer outside int64 (pandas may have left it text)."""
    candidates = values[values.str.fullmatch(_LONG_INTEGER, na=False)]
    return any(not _INT64_MIN <= int(token) <= _INT64_MAX for token in candidates)

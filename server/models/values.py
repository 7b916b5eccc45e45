"""One alternative a hyperparameter accepts (a `ValueRule`) and JSON value coercion."""

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ValueKind(StrEnum):
    """The kind of JSON value a rule accepts."""

    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    STRING = "string"
    NULL = "null"


class Rejected(Exception):
    """Raised by `ValueRule.coerce` when the rule does not accept a value."""


@dataclass(frozen=True)
class ValueRule:
    """A kind of value, with an optional numeric range or set of allowed strings."""

    kind: ValueKind
    minimum: float | None = None
    maximum: float | None = None
    minimum_inclusive: bool = False
    maximum_inclusive: bool = False
    allowed: tuple[str, ...] = ()

    def coerce(self, value: Any) -> Any:
        """Return `value` converted to this rule's Python type; raise `Rejected` otherwise."""
        if self.kind is ValueKind.NULL and value is None:
            return None
        if self.kind is ValueKind.BOOL and isinstance(value, bool):
            return value
        if self.kind is ValueKind.STRING and isinstance(value, str):
            if self.allowed and value not in self.allowed:
                raise Rejected
            return value
        if self.kind in (ValueKind.INT, ValueKind.FLOAT) and _is_number(value):
            number: int | float = float(value)
            if self.kind is ValueKind.INT:
                if not float(value).is_integer():
                    raise Rejected
                number = int(value)
            if self._in_range(number):
                return number
        raise Rejected

    def _in_range(self, number: float) -> bool:
        low, high = self.minimum, self.maximum
        if low is not None and (number < low or (number == low and not self.minimum_inclusive)):
            return False
        return high is None or number < high or (number == high and self.maximum_inclusive)

    def describe(self) -> str:
        """A short human-readable form, e.g. "float in (0, inf)" or "'l1' | 'l2'"."""
        if self.allowed:
            return " | ".join(repr(option) for option in self.allowed)
        if self.kind not in (ValueKind.INT, ValueKind.FLOAT):
            return self.kind.value
        if self.minimum is None and self.maximum is None:
            return self.kind.value
        left = "[" if self.minimum_inclusive else "("
        right = "]" if self.maximum_inclusive else ")"
        low = "-inf" if self.minimum is None else _short(self.minimum)
        high = "inf" if self.maximum is None else _short(self.maximum)
        return f"{self.kind.value} in {left}{low}, {high}{right}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _short(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(float(number))


def coerce_any(rules: tuple[ValueRule, ...], value: Any) -> Any:
    """Coerce `value` with the first rule that accepts it, whole numbers trying ints first."""
    ordered = sorted(rules, key=lambda rule: rule.kind is ValueKind.FLOAT)
    for rule in ordered:
        try:
            return rule.coerce(value)
        except Rejected:
            continue
    raise Rejected


def to_json_value(value: Any) -> Any:
    """Return a plain JSON value (None, bool, int, float, str) for a Python/numpy scalar."""
    if value is None or isinstance(value, bool | str):
        return value
    if hasattr(value, "item") and not isinstance(value, int | float):
        return to_json_value(value.item())
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    raise ValueError(f"not a JSON scalar: {value!r}")

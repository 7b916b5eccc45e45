"""Hyperparameter specs derived from scikit-learn's `_parameter_constraints` and defaults.

Only what JSON can express is kept: numeric intervals, bools, strings (free or from a set) and
null. Hidden constraints (internal or deprecated values) are never shown. A parameter whose
alternatives are all inexpressible (callables, estimators, arrays, dicts), or whose default is
not one of its expressible alternatives (a deprecated parameter's sentinel), is left out, as
are the operational parameters in `EXCLUDED` that the service sets itself.
"""

from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Hidden, Interval, Options, RealNotInt

from server.models.docs import parameter_docs
from server.models.values import Rejected, ValueKind, ValueRule, coerce_any, to_json_value

# Set by the service, not by users: the seed comes from the request, parallelism and output
# from the server, and every run is a fresh fit.
EXCLUDED = frozenset({"random_state", "n_jobs", "verbose", "warm_start"})

_TYPE_RULES: dict[Any, ValueRule] = {
    bool: ValueRule(ValueKind.BOOL),
    int: ValueRule(ValueKind.INT),
    Integral: ValueRule(ValueKind.INT),
    float: ValueRule(ValueKind.FLOAT),
    Real: ValueRule(ValueKind.FLOAT),
    RealNotInt: ValueRule(ValueKind.FLOAT),
    str: ValueRule(ValueKind.STRING),
}
_NAMED_RULES: dict[str, tuple[ValueRule, ...]] = {
    "boolean": (ValueRule(ValueKind.BOOL),),
    "verbose": (ValueRule(ValueKind.INT, 0, None, True), ValueRule(ValueKind.BOOL)),
    "random_state": (ValueRule(ValueKind.INT, 0, 2**32 - 1, True, True), ValueRule(ValueKind.NULL)),
}


@dataclass(frozen=True)
class HyperparameterSpec:
    """A settable hyperparameter: its accepted alternatives, default and description."""

    name: str
    rules: tuple[ValueRule, ...]
    default: Any
    description: str

    @property
    def type_summary(self) -> str:
        """The alternatives joined, e.g. "int in [1, inf) | null"."""
        return " | ".join(rule.describe() for rule in self.rules)

    def coerce(self, value: Any) -> Any:
        """Return the value as the estimator should get it; raise `Rejected` if invalid."""
        return coerce_any(self.rules, value)


def rules_for(constraint: Any) -> tuple[ValueRule, ...]:
    """The JSON-expressible alternatives of one scikit-learn constraint (may be none)."""
    if constraint is None:
        return (ValueRule(ValueKind.NULL),)
    if isinstance(constraint, Hidden):
        return ()
    if isinstance(constraint, str):
        return _NAMED_RULES.get(constraint, ())
    if isinstance(constraint, Interval):
        return (_interval_rule(constraint),)
    if isinstance(constraint, Options):
        if constraint.type is not str:
            return ()
        allowed = sorted(constraint.options - constraint.deprecated)
        return (ValueRule(ValueKind.STRING, allowed=tuple(allowed)),)
    rule = _TYPE_RULES.get(constraint) if isinstance(constraint, type) else None
    return (rule,) if rule else ()


def _interval_rule(interval: Interval) -> ValueRule:
    kind = ValueKind.INT if interval.type is Integral else ValueKind.FLOAT
    return ValueRule(
        kind,
        minimum=None if interval.left is None else float(interval.left),
        maximum=None if interval.right is None else float(interval.right),
        minimum_inclusive=interval.left is not None and interval.closed in ("left", "both"),
        maximum_inclusive=interval.right is not None and interval.closed in ("right", "both"),
    )


def derive_specs(estimator: type[BaseEstimator]) -> tuple[HyperparameterSpec, ...]:
    """Every exposable hyperparameter of a scikit-learn estimator class, in declared order."""
    constraints: dict[str, Any] = getattr(estimator, "_parameter_constraints", {})
    defaults = estimator().get_params(deep=False)
    docs = parameter_docs(estimator)
    specs = []
    for name, options in constraints.items():
        if name in EXCLUDED or name not in defaults or not isinstance(options, list):
            continue
        spec = _spec(name, options, defaults[name], docs.get(name, ""))
        if spec is not None:
            specs.append(spec)
    return tuple(specs)


def _spec(name: str, options: list[Any], default: Any, doc: str) -> HyperparameterSpec | None:
    rules = tuple(dict.fromkeys(rule for option in options for rule in rules_for(option)))
    if all(rule.kind is ValueKind.NULL for rule in rules):
        return None
    try:
        default_json = coerce_any(rules, to_json_value(default))
    except (Rejected, ValueError):
        return None
    return HyperparameterSpec(name, rules, default_json, doc)

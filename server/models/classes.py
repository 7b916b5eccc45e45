"""The trainable model classes: scikit-learn estimators, each with its task and specs.

Adding a class is one line in `ESTIMATORS`; the task comes from scikit-learn's
`is_classifier` / `is_regressor`, the hyperparameter specs from its parameter constraints.
"""

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from sklearn.base import BaseEstimator, is_classifier, is_regressor
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.svm import SVC, SVR

from server.errors import FieldViolation, InvalidArgument
from server.models.docs import summary
from server.models.specs import HyperparameterSpec, derive_specs

ESTIMATORS: list[type[BaseEstimator]] = [
    LogisticRegression,
    RandomForestClassifier,
    HistGradientBoostingClassifier,
    GradientBoostingClassifier,
    SVC,
    KNeighborsClassifier,
    Ridge,
    RandomForestRegressor,
    HistGradientBoostingRegressor,
    GradientBoostingRegressor,
    SVR,
    KNeighborsRegressor,
]


class Task(StrEnum):
    """What a model class learns to predict."""

    CLASSIFICATION = "classification"
    REGRESSION = "regression"


@dataclass(frozen=True)
class ModelClass:
    """A trainable estimator class with its task, summary and hyperparameter specs."""

    name: str
    task: Task
    description: str
    estimator: type[BaseEstimator]
    hyperparameters: tuple[HyperparameterSpec, ...]

    def spec(self, name: str) -> HyperparameterSpec | None:
        """The spec of one hyperparameter, or None when it cannot be set."""
        return next((s for s in self.hyperparameters if s.name == name), None)

    def build(self, hyperparameters: dict[str, Any], random_state: int | None) -> BaseEstimator:
        """A fresh estimator with these hyperparameters (and seed, when it takes one)."""
        params = dict(hyperparameters)
        if random_state is not None and "random_state" in self.estimator().get_params():
            params["random_state"] = random_state
        return self.estimator(**params)


def task_of(estimator: type[BaseEstimator]) -> Task:
    """Classification or regression, as scikit-learn tags the class."""
    if is_classifier(estimator()):
        return Task.CLASSIFICATION
    if is_regressor(estimator()):
        return Task.REGRESSION
    raise ValueError(f"{estimator.__name__} is neither a classifier nor a regressor")


@cache
def model_classes() -> dict[str, ModelClass]:
    """Every trainable class by name, in `ESTIMATORS` order (derived once per process)."""
    return {
        cls.__name__: ModelClass(cls.__name__, task_of(cls), summary(cls), cls, derive_specs(cls))
        for cls in ESTIMATORS
    }


def get_model_class(name: str, field: str = "model_class") -> ModelClass:
    """The class called `name`; INVALID_ARGUMENT naming `field` when there is none."""
    found = model_classes().get(name)
    if found is None:
        known = ", ".join(model_classes())
        raise InvalidArgument(
            f"unknown model class {name[:80]!r}",
            [FieldViolation(field, f"must be one of {known}")],
        )
    return found

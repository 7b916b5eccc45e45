"""The scikit-learn `Pipeline` every model is: preprocessing by column kind, then the estimator."""

from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from server.models.frames import NUMBER


def build_pipeline(estimator: BaseEstimator, feature_types: dict[str, str]) -> Pipeline:
    """Numbers: median imputation + scaling; strings: most-frequent imputation + one-hot."""
    numbers = [name for name, kind in feature_types.items() if kind == NUMBER]
    strings = [name for name, kind in feature_types.items() if kind != NUMBER]
    transformers = []
    if numbers:
        numeric = Pipeline(
            [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
        )
        transformers.append(("numbers", numeric, numbers))
    if strings:
        categorical = Pipeline(
            [
                ("impute", SimpleImputer(strategy="most_frequent")),
                ("encode", OneHotEncoder(handle_unknown="ignore")),
            ]
        )
        transformers.append(("strings", categorical, strings))
    # Dense output: every supported estimator (histogram boosting included) accepts it.
    preprocess = ColumnTransformer(transformers, sparse_threshold=0.0)
    return Pipeline([("preprocess", preprocess), ("estimator", estimator)])


def string_steps(pipeline: Pipeline) -> Pipeline | None:
    """The fitted imputer + encoder of the string columns; None when there are none."""
    found: Pipeline | None = pipeline.named_steps["preprocess"].named_transformers_.get("strings")
    return found

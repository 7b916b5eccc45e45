"""Which environment variables each program reads: from its settings classes or its sources."""

import importlib
import inspect
import re
from pathlib import Path

from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from tests.deploy.manifests import ROOT

LITERAL = re.compile(r"\bMLSERVICE_[A-Z0-9_]+\b")


def settings_env_names(settings: type[BaseSettings]) -> set[str]:
    """The variable names a pydantic-settings class reads (prefix + field, or its alias)."""
    prefix = settings.model_config.get("env_prefix", "")
    names: set[str] = set()
    for field_name, field in settings.model_fields.items():
        alias = field.validation_alias or field.alias
        if isinstance(alias, str):
            names.add(alias.upper())
        elif isinstance(alias, AliasChoices):
            names.update(c.upper() for c in alias.choices if isinstance(c, str))
        else:
            names.add(f"{prefix}{field_name}".upper())
    return names


def settings_classes(module_name: str) -> list[type[BaseSettings]]:
    """The BaseSettings subclasses defined in a module (ModuleNotFoundError when absent)."""
    module = importlib.import_module(module_name)
    return [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, BaseSettings) and cls.__module__ == module.__name__
    ]


def literal_env_names(package: Path) -> set[str]:
    """`MLSERVICE_*` names spelled out in a package's sources (for os.environ readers)."""
    return {m for path in package.rglob("*.py") for m in LITERAL.findall(path.read_text())}


def program_env_names(package: str) -> set[str] | None:
    """What a program reads: its `<package>.settings` classes, else names in its sources."""
    try:
        classes = settings_classes(f"{package}.settings")
    except ModuleNotFoundError as error:
        if error.name not in (package, f"{package}.settings"):
            raise
        classes = []
    names = set().union(*(settings_env_names(cls) for cls in classes))
    if not classes and (ROOT / package).is_dir():
        names = literal_env_names(ROOT / package)
    return names or None

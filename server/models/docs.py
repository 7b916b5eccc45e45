"""Descriptions from scikit-learn's numpydoc docstrings: the summary and each parameter's text."""

import inspect
import re

_ROLE = re.compile(r":\w+:`~?([^`<]*?)(?:\s*<[^>]*>)?`")
_LITERAL = re.compile(r"``([^`]*)``")
_PARAM = re.compile(r"^(\w+)\s*:")
_HEADER_UNDERLINE = re.compile(r"^-{3,}\s*$")


def summary(cls: type) -> str:
    """The first line of a class's documentation."""
    doc = inspect.getdoc(cls) or ""
    return _clean(doc.strip().splitlines()[0]) if doc.strip() else ""


def parameter_docs(cls: type) -> dict[str, str]:
    """Each parameter's first paragraph from the docstring's "Parameters" section."""
    lines = _parameters_section((inspect.getdoc(cls) or "").splitlines())
    docs: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines:
        match = _PARAM.match(line)
        if match:
            current = docs.setdefault(match.group(1), [])
        elif current is not None and (line.startswith(" ") or not line.strip()):
            current.append(line.strip())
    return {name: _first_paragraph(text) for name, text in docs.items()}


def _parameters_section(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines[:-1]):
        if line.strip() == "Parameters" and _HEADER_UNDERLINE.match(lines[index + 1]):
            rest = lines[index + 2 :]
            for end, candidate in enumerate(rest[1:], start=1):
                if _HEADER_UNDERLINE.match(candidate) and rest[end - 1].strip():
                    return rest[: end - 1]
            return rest
    return []


def _first_paragraph(lines: list[str]) -> str:
    """The first paragraph, plus the next one when the first ends with ':' (a list follows)."""
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line and not line.startswith(".. "):
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            if not paragraphs[-1][-1].endswith(":") or len(paragraphs) == 2:
                break
            paragraphs.append([])
    return _clean(" ".join(" ".join(p) for p in paragraphs))


def _clean(text: str) -> str:
    return " ".join(_LITERAL.sub(r"\1", _ROLE.sub(r"\1", text)).split())

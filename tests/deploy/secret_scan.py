"""A small credentials scanner: known key formats, and secret-looking assigned values."""

import math
import re
from collections import Counter

KNOWN_FORMATS = {
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
}
ASSIGNMENT = re.compile(
    r"(?i)\b[\w.-]*(?:secret|password|passwd|token|access_key|secret_key|api_key|user_key)[\w.-]*"
    r"[\"']?\s*[:=]\s*[\"']?([^\s\"'`,;}\]]+)"
)
PLACEHOLDER_MARKS = ("change-me", "example", "placeholder", "dummy", "dev-", "-dev", "test", "fake")
REFERENCE_MARKS = ("${", "$(", "{{", "<", "%(")


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def looks_secret(value: str) -> bool:
    """Long, random-looking, mixed-case-and-digits, and neither a placeholder nor a reference."""
    lowered = value.lower()
    if len(value) < 16 or any(m in lowered for m in PLACEHOLDER_MARKS):
        return False
    if any(m in value for m in REFERENCE_MARKS) or re.fullmatch(r"[A-Z0-9_]+", value):
        return False
    classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"\d"))
    return classes == 3 and entropy(value) >= 3.5


def findings(text: str) -> list[str]:
    """What in `text` looks like a credential, one description per hit."""
    found = [f"{name}" for name, pattern in KNOWN_FORMATS.items() if pattern.search(text)]
    found += [
        f"secret-looking value {m.group(1)[:6]}..."
        for m in ASSIGNMENT.finditer(text)
        if looks_secret(m.group(1))
    ]
    return found

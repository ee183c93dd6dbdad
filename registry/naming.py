"""Names and versions: the patterns every surface shares, and semver parsing.

Versions are strict ``MAJOR.MINOR.PATCH`` (no prerelease, build or leading zeros). Parsing goes through
``semantic_version`` so comparisons and ranges use one well-kept implementation.
"""

import re

import semantic_version
from django.core.validators import RegexValidator

NAME_PATTERN = r"^[a-zA-Z0-9_-]+$"
NAME_MAX_LENGTH = 100
VERSION_PATTERN = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$"
VERSION_ID_PATH_PATTERN = r"[a-zA-Z0-9_.-]+"
RESOURCE_IDENTIFIER_PATTERN = r"^[a-zA-Z0-9_/.:-]+$"
RESOURCE_IDENTIFIER_MAX_LENGTH = 400

_VERSION_RE = re.compile(VERSION_PATTERN)


def _whole_string(pattern: str) -> str:
    """The pattern for Python validators: ``$`` also matches before a trailing newline, ``\\Z`` does not."""
    return pattern.removesuffix("$") + r"\Z"


validate_name = RegexValidator(
    _whole_string(NAME_PATTERN), "Use only letters, digits, '_' and '-'.", code="invalid_name"
)
validate_resource_identifier = RegexValidator(
    _whole_string(RESOURCE_IDENTIFIER_PATTERN),
    "Use only letters, digits and '_/.:-'.",
    code="invalid_resource_identifier",
)


# Each number is stored as a 32-bit integer, the whole as at most 64 characters.
VERSION_PART_MAX = 2**31 - 1
VERSION_MAX_LENGTH = 64


def parse_version(text: str) -> semantic_version.Version | None:
    """The strict X.Y.Z version in ``text``, or None when it is not one (or does not fit the database)."""
    if not isinstance(text, str) or len(text) > VERSION_MAX_LENGTH or not _VERSION_RE.fullmatch(text):
        return None  # fullmatch: "$" alone would admit a trailing newline
    parsed = semantic_version.Version(text)
    if max(parsed.major, parsed.minor, parsed.patch) > VERSION_PART_MAX:
        return None
    return parsed


def is_strict_version(text: str) -> bool:
    return parse_version(text) is not None


def validate_version(value: str) -> None:
    from django.core.exceptions import ValidationError

    if not is_strict_version(value):
        raise ValidationError("Version must follow semantic versioning (MAJOR.MINOR.PATCH).", code="invalid_version")

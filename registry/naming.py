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

_VERSION_RE = re.compile(VERSION_PATTERN)

validate_name = RegexValidator(NAME_PATTERN, "Use only letters, digits, '_' and '-'.", code="invalid_name")
validate_resource_identifier = RegexValidator(
    RESOURCE_IDENTIFIER_PATTERN, "Use only letters, digits and '_/.:-'.", code="invalid_resource_identifier"
)


def parse_version(text: str) -> semantic_version.Version | None:
    """The strict X.Y.Z version in ``text``, or None when it is not one."""
    if not isinstance(text, str) or not _VERSION_RE.fullmatch(text):  # "$" alone would admit a trailing newline
        return None
    return semantic_version.Version(text)


def is_strict_version(text: str) -> bool:
    return parse_version(text) is not None


def validate_version(value: str) -> None:
    from django.core.exceptions import ValidationError

    if not is_strict_version(value):
        raise ValidationError("Version must follow semantic versioning (MAJOR.MINOR.PATCH).", code="invalid_version")

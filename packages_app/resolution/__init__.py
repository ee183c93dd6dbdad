"""Dependency resolution: declared requirements in, one version per package of the closure out.

The one resolver used by both API surfaces and the admin:

- ``ranges``: npm-style ranges and the versions they admit;
- ``requirements``: declared references and ranges turned into requirements;
- ``candidates``: the versions a resolution may choose, read in bulk;
- ``solver``: the search (resolvelib) and the resolved closure;
- ``errors``: conflict and cycle reports;
- ``lock``: writing dependencies and the lock of a published version.
"""

from packages_app.resolution.candidates import ROOT_ID
from packages_app.resolution.lock import record_dependencies
from packages_app.resolution.ranges import MAX_RANGE_LENGTH, parse_range
from packages_app.resolution.requirements import Requirement, parse_requirements, requirements_for_publish
from packages_app.resolution.solver import LockedNode, Resolution, resolve

__all__ = [
    "MAX_RANGE_LENGTH",
    "ROOT_ID",
    "LockedNode",
    "Requirement",
    "Resolution",
    "parse_range",
    "parse_requirements",
    "record_dependencies",
    "requirements_for_publish",
    "resolve",
]

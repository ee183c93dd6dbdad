"""Fault tests reuse the v0 API people (modeler, viewer on acme/finance) and upload helper."""

from tests.api_v0.conftest import as_modeler, as_viewer, modeler, viewer  # noqa: F401

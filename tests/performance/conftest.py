"""The v0 people and upload helper."""

from tests.api_v0.conftest import as_modeler, as_viewer, modeler, viewer  # noqa: F401

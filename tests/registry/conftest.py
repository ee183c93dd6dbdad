"""The v0 people (a modeler, a viewer, an admin and a stranger of acme/finance) for the registry tests."""

from tests.api_v0.conftest import admin, as_admin, as_stranger, as_viewer, modeler, stranger, viewer  # noqa: F401

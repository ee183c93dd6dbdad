"""The v0 people and upload helper, and the read cache switched on (it is off without a shared cache)."""

import pytest

from tests.api_v0.conftest import as_modeler, as_viewer, modeler, viewer  # noqa: F401


@pytest.fixture(autouse=True)
def read_cache_on(settings):
    settings.REGISTRY_READ_CACHE_SECONDS = 60

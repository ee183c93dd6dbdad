"""The seeded registry of the security tests, and a token of an acme admin for the schemathesis run."""

import pytest

from registry.models import Role
from tests.factories import UserFactory, make_token
from tests.security.conftest import registry_data  # noqa: F401


@pytest.fixture
def seeded(registry_data):  # noqa: F811
    from tests.schema import test_schemathesis

    test_schemathesis.REAL_PATH_VALUES["componentId"] = str(registry_data["acme"]["component"].pk)
    return registry_data


@pytest.fixture
def token(seeded, grant):
    admin = UserFactory(username="fuzzer", email="fuzzer@example.com")
    grant(seeded["acme"]["organization"], Role.ADMIN, user=admin)
    return make_token(admin)

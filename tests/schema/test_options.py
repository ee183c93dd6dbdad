"""OPTIONS on every API route describes it, never a server error (DRF's metadata used to 500 on v1 PUTs)."""

import pytest
from django.urls import reverse

from tests.security.test_authorization_matrix import PATH_VALUES, _parameters, api_operations

pytestmark = pytest.mark.django_db


def test_options_on_every_api_route_answers_200(seeded, client_for, user, grant):
    grant(seeded["acme"]["organization"], "admin", user=user)
    client = client_for(user)
    acme = seeded["acme"]
    values = {
        **PATH_VALUES,
        "componentId": str(acme["component"].pk),
        "assetId": str(acme["asset"].pk),
        "collectionId": str(acme["collection"].pk),
    }
    failures = []
    for name in sorted({operation.name for operation in api_operations()}):
        operation = next(op for op in api_operations() if op.name == name)
        url = reverse(name, kwargs={parameter: values[parameter] for parameter in _parameters(operation)})
        response = client.options(url)
        if response.status_code != 200:
            failures.append(f"OPTIONS {url}: {response.status_code}")
    assert failures == []

"""Property-based API tests from the OpenAPI schema at /api/schema/ (schemathesis), both surfaces.

Every operation gets a bounded number of generated requests, sent in-process through the WSGI app as
an organization admin with a token, against seeded data: path parameters are either generated or the
real names (so requests reach deep code, not only 404s). No response may be a server error, use an
undocumented status code or content type, or have a body that violates its documented schema.
"""

import hypothesis.strategies as st
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)

# Real names in the seeded registry (see conftest.py), used for about half of the generated cases.
REAL_PATH_VALUES = {
    "org": "acme",
    "organizationId": "acme",
    "project": "finance",
    "projectId": "finance",
    "package": "ledger",
    "version_id": "1.0.0",
    "version": "1.0.0",
    "group": "ci",
    "token": "deploy",
    "user_group_id": "user:bystander@example.com",
    "dependencyProjectId": "payroll",
}
MAX_EXAMPLES = 8


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    if not path_parameters:
        return st.just(path_parameters)
    real = {name: REAL_PATH_VALUES.get(name, value) for name, value in path_parameters.items()}
    return st.sampled_from([path_parameters, real])


@pytest.fixture
def in_process_requests():
    """Keep the test's database connection across in-process requests, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_answers_every_generated_request_as_its_schema_says(case, seeded, token, in_process_requests):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

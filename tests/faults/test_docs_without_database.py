"""The API docs need no database: with PostgreSQL down, Swagger UI, Redoc and the schema still load.

They used to answer 500: serving them authenticated the caller (a session and token lookup, in the database).
"""

import pytest

from tests.faults.live import base_environment, free_port, start_gunicorn


@pytest.fixture(scope="module")
def registry_without_database(tmp_path_factory):
    folder = tmp_path_factory.mktemp("no-database")
    closed = free_port()  # nothing listens there: every connection is refused
    server = start_gunicorn(
        base_environment(folder, DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed}/registry"),
        folder / "gunicorn.log",
    )
    yield server
    server.stop()


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/", "/api/schema/"])
@pytest.mark.parametrize(
    "credentials",
    [{}, {"Cookie": "sessionid=a-staff-session"}, {"Authorization": "Bearer reg_someone"}],
    ids=["anonymous", "session", "token"],
)
def test_the_api_docs_load_while_the_database_is_down(registry_without_database, path, credentials):
    response = registry_without_database.get(path, headers=credentials)
    assert response.status == 200, response.body[:500]
    assert response.body


def test_an_api_request_while_the_database_is_down_is_503_in_the_envelope(registry_without_database):
    response = registry_without_database.get("/api/v0/organizations", headers={"Authorization": "Bearer reg_x"})
    assert response.status == 503
    assert response.json()["code"] == "DATABASE_UNAVAILABLE"


def test_readyz_names_the_refused_database_without_its_address(registry_without_database):
    response = registry_without_database.get("/readyz")
    assert response.status == 503
    assert response.json()["checks"]["database"] == {"status": "fail", "error": "connection refused"}
    assert "127.0.0.1" not in response.body.decode()

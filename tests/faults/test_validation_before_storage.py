"""A publish refused for its metadata is refused before its file is stored: no blob is left to sweep."""

import pytest

from packages_app.models import Artifact, Package
from tests.api_v0.conftest import upload
from tests.factories import PackageFactory

pytestmark = pytest.mark.django_db


def blob_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.fixture
def refused_without_a_blob(as_modeler, artifact_storage_in_tmp):
    """``refused(**upload_kwargs)`` uploads and checks the 400 VALIDATION_FAILED left storage untouched."""

    def refused(**kwargs) -> dict:
        before = blob_files(artifact_storage_in_tmp)
        response = upload(as_modeler, **kwargs)
        assert response.status_code == 400, response.content
        assert response.json()["code"] == "VALIDATION_FAILED"
        assert blob_files(artifact_storage_in_tmp) == before
        assert not Artifact.objects.exists()
        return response.json()

    return refused


def test_a_package_name_over_100_characters_is_refused_before_the_file_is_stored(refused_without_a_blob):
    body = refused_without_a_blob(package="p" * 101)
    assert "packageName" in body["details"]["fields"]


def test_a_resource_identifier_taken_by_another_package_is_refused_before_the_file_is_stored(
    refused_without_a_blob, project
):
    PackageFactory(project=project, name="other", resource_identifier="shared/id")
    body = refused_without_a_blob(package_part='{"resourceIdentifier": "shared/id"}')
    assert "resourceIdentifier" in body["details"]["fields"]
    assert not Package.objects.filter(name="ledger").exists()


def test_a_resource_identifier_in_the_wrong_format_is_refused_before_the_file_is_stored(refused_without_a_blob):
    body = refused_without_a_blob(package_part='{"resourceIdentifier": "has spaces"}')
    assert "package.resourceIdentifier" in body["details"]["fields"]


def test_a_replication_count_out_of_range_is_refused_before_the_file_is_stored(refused_without_a_blob):
    body = refused_without_a_blob(package_part='{"replicationCount": 11}')
    assert "package.replicationCount" in body["details"]["fields"]


def test_an_update_of_an_existing_package_to_a_taken_identifier_is_refused_before_the_file_is_stored(
    refused_without_a_blob, as_modeler, project
):
    assert upload(as_modeler, version=None).status_code == 201
    PackageFactory(project=project, name="other", resource_identifier="shared/id")
    body = refused_without_a_blob(version="1.0.0", package_part='{"resourceIdentifier": "shared/id"}')
    assert "resourceIdentifier" in body["details"]["fields"]

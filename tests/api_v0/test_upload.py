"""The seed endpoint: POST .../packages/{package} creates or updates a package and publishes a version."""

import hashlib
import random

import pytest

from packages_app.models import Artifact, Package, UsedVersionNumber, Version, artifact_key
from tests.api_v0.conftest import archive_for, package_url, seed_package_part, upload

pytestmark = pytest.mark.django_db

TIMESTAMP = "2026-11-24T10:00:00.000000Z"


def test_the_seed_request_creates_the_package_and_answers_the_package_json(as_modeler, project):
    response = upload(as_modeler, version="1.0.0")
    assert response.status_code == 201
    body = response.json()
    assert body.pop("createdAt").endswith("Z")
    assert body.pop("updatedAt").endswith("Z")
    # The golden shape: exactly the seed's Package fields.
    assert body == {
        "name": "ledger",
        "latestVersion": "1.0.0",
        "description": "The general ledger",
        "replicationCount": 1,
        "resourceIdentifier": "acme/finance/ledger",
        "indexStatus": "unknown",
    }


def test_the_published_version_records_its_author_and_manifest(as_modeler, modeler, project):
    upload(as_modeler, version="1.0.0")
    version = Version.objects.get(package__name="ledger", version="1.0.0")
    assert version.author == modeler
    assert version.manifest["name"] == "ledger"


def test_the_blob_is_stored_under_its_sha256_key(as_modeler, project, artifact_storage_in_tmp):
    data = archive_for("1.0.0")
    upload(as_modeler, version="1.0.0", data=data)
    sha256 = hashlib.sha256(data).hexdigest()
    artifact = Artifact.objects.get()
    assert (artifact.sha256, artifact.md5, artifact.size) == (sha256, hashlib.md5(data).hexdigest(), len(data))
    assert (artifact_storage_in_tmp / artifact_key(sha256)).read_bytes() == data


def test_the_package_name_in_the_path_wins_over_the_json(as_modeler, project):
    response = upload(as_modeler, package="ledger", package_part=seed_package_part(name="something-else"))
    assert response.json()["name"] == "ledger"
    assert not Package.objects.filter(name="something-else").exists()


def test_metadata_only_update_answers_200_and_changes_the_package(as_modeler, project):
    upload(as_modeler, version="1.0.0")
    response = upload(
        as_modeler, version=None, package_part=seed_package_part(description="Renamed", replicationCount=3)
    )
    assert response.status_code == 200
    assert response.json()["description"] == "Renamed"
    assert response.json()["replicationCount"] == 3
    assert response.json()["latestVersion"] == "1.0.0"


def test_a_package_without_a_version_is_created_with_no_latest_version(as_modeler, project):
    response = upload(as_modeler, version=None)
    assert response.status_code == 201
    assert response.json()["latestVersion"] is None


def test_a_new_version_of_an_existing_package_answers_201(as_modeler, project):
    upload(as_modeler, version="1.0.0")
    response = upload(as_modeler, version="1.1.0")
    assert response.status_code == 201
    assert response.json()["latestVersion"] == "1.1.0"


def test_resending_the_same_version_with_the_same_bytes_is_a_200_no_op(as_modeler, project):
    upload(as_modeler, version="1.0.0")
    before = Version.objects.get()
    response = upload(as_modeler, version="1.0.0")
    assert response.status_code == 200
    after = Version.objects.get()
    assert (after.pk, after.updated_at) == (before.pk, before.updated_at)
    assert Artifact.objects.count() == 1


def test_the_same_version_with_other_bytes_is_409_version_exists(as_modeler, project):
    upload(as_modeler, version="1.0.0")
    response = upload(as_modeler, version="1.0.0", data=archive_for("1.0.0", description="changed"))
    assert response.status_code == 409
    assert response.json()["code"] == "VERSION_EXISTS"
    assert response.json()["details"]["version"] == "1.0.0"


def test_a_deleted_version_number_is_never_reused(as_modeler, project):
    upload(as_modeler, version="1.0.0")
    Version.objects.filter(version="1.0.0").delete()
    response = upload(as_modeler, version="1.0.0")
    assert response.status_code == 409
    assert response.json()["code"] == "VERSION_EXISTS"


def test_a_deleted_and_recreated_package_cannot_reuse_its_predecessors_numbers(as_modeler, project):
    upload(as_modeler, version="1.0.0")
    Package.objects.filter(name="ledger").delete()
    response = upload(as_modeler, version="1.0.0")
    assert response.status_code == 409
    assert UsedVersionNumber.objects.filter(package_name="ledger", version="1.0.0").count() == 1


def test_identical_bytes_in_two_packages_share_one_artifact(as_modeler, project):
    data = archive_for("1.0.0", "shared")
    upload(as_modeler, package="ledger", version="1.0.0", data=data)
    upload(as_modeler, package="budget", version="1.0.0", data=data)
    assert Version.objects.count() == 2
    assert Artifact.objects.count() == 1


def test_a_backport_does_not_change_the_latest_version(as_modeler, project):
    upload(as_modeler, version="2.0.0")
    response = upload(as_modeler, version="1.5.0")
    assert response.status_code == 201
    assert response.json()["latestVersion"] == "2.0.0"


def test_latest_version_orders_by_semver_not_text(as_modeler, project):
    upload(as_modeler, version="9.0.0")
    response = upload(as_modeler, version="10.0.0")
    assert response.json()["latestVersion"] == "10.0.0"


def test_a_version_published_archived_is_not_latest(as_modeler, project):
    upload(as_modeler, version="1.0.0")
    response = upload(as_modeler, version="2.0.0", archiveStatus="archive")
    assert response.status_code == 201
    assert response.json()["latestVersion"] == "1.0.0"
    assert Version.objects.get(version="2.0.0").archive_status == "archive"


def test_a_wrong_md5_is_400_checksum_mismatch_and_stores_nothing(as_modeler, project, artifact_storage_in_tmp):
    data = archive_for("1.0.0")
    response = upload(as_modeler, version="1.0.0", data=data, md5="0" * 32)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "CHECKSUM_MISMATCH"
    assert body["details"]["expected"] == "0" * 32
    assert body["details"]["computed"] == hashlib.md5(data).hexdigest()
    assert not Package.objects.exists()
    assert not Artifact.objects.exists()
    assert not any(p.is_file() for p in artifact_storage_in_tmp.rglob("*"))


@pytest.mark.parametrize("malformed", ["abc", "0" * 31, "0" * 33, "z" * 32, "0" * 30 + " x", "md5:" + "0" * 32])
def test_a_malformed_md5_is_400_validation_failed_naming_md5hash_and_stores_nothing(
    as_modeler, project, artifact_storage_in_tmp, malformed
):
    response = upload(as_modeler, version="1.0.0", md5=malformed)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "VALIDATION_FAILED"
    assert list(body["details"]["fields"]) == ["md5Hash"]
    assert body["details"]["fields"]["md5Hash"] == ["must be the md5 of packageFile as 32 hexadecimal characters"]
    assert not Package.objects.exists()
    assert not Artifact.objects.exists()
    assert not any(p.is_file() for p in artifact_storage_in_tmp.rglob("*"))


def test_a_well_formed_md5_of_other_bytes_is_still_a_checksum_mismatch(as_modeler, project):
    data = archive_for("1.0.0")
    other = hashlib.md5(data + b"!").hexdigest()
    response = upload(as_modeler, version="1.0.0", data=data, md5=other)
    assert response.status_code == 400
    assert response.json()["code"] == "CHECKSUM_MISMATCH"
    assert response.json()["details"]["expected"] == other


def test_the_md5_may_be_sent_in_upper_case(as_modeler, project):
    data = archive_for("1.0.0")
    response = upload(as_modeler, version="1.0.0", data=data, md5=hashlib.md5(data).hexdigest().upper())
    assert response.status_code == 201


def test_the_md5_may_be_sent_in_base64(as_modeler, project):
    import base64

    data = archive_for("1.0.0")
    response = upload(as_modeler, version="1.0.0", data=data, md5=base64.b64encode(hashlib.md5(data).digest()).decode())
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"plain text, not an archive", "neither a zip nor a tar.gz"),
        (archive_for("1.0.0", extra_files={"publisher.json": "{not json"}), "not valid JSON"),
        (archive_for("1.0.0", extra_files={"publisher.json": "[1, 2]"}), "must be a JSON object"),
    ],
)
def test_a_file_that_is_not_a_valid_package_archive_is_400_invalid_archive(as_modeler, project, data, reason):
    response = upload(as_modeler, version="1.0.0", data=data)
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_ARCHIVE"
    assert reason in response.json()["message"]
    assert not Version.objects.exists()


def test_an_archive_without_a_root_publisher_json_is_400_invalid_archive(as_modeler, project):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("nested/publisher.json", "{}")
    response = upload(as_modeler, version="1.0.0", data=buffer.getvalue())
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_ARCHIVE"
    assert "no publisher.json" in response.json()["message"]


def test_a_tar_gz_archive_is_accepted(as_modeler, project):
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        manifest = b'{"name": "ledger"}'
        info = tarfile.TarInfo("publisher.json")
        info.size = len(manifest)
        archive.addfile(info, io.BytesIO(manifest))
    response = upload(as_modeler, version="1.0.0", data=buffer.getvalue())
    assert response.status_code == 201
    assert Artifact.objects.get().media_type == "application/gzip"


@pytest.mark.parametrize("bad", ["1.0", "01.0.0", "1.0.0-beta", "v1.0.0", ""])
def test_a_version_that_is_not_strict_semver_is_400_invalid_version(as_modeler, project, bad):
    response = upload(as_modeler, version="1.0.0", version_part=f'{{"id": "{bad}"}}')
    assert response.status_code == 400
    assert response.json()["code"] in {"INVALID_VERSION", "VALIDATION_FAILED"}
    assert "version" in response.json()["message"].lower()
    assert not Version.objects.exists()


@pytest.mark.parametrize(
    ("part", "field"),
    [
        ('{"replicationCount": 0}', "package.replicationCount"),
        ('{"replicationCount": 11}', "package.replicationCount"),
        ('{"replicationCount": "many"}', "package.replicationCount"),
        ('{"resourceIdentifier": "has spaces"}', "package.resourceIdentifier"),
        ("{not json", "package"),
        ("[1]", "package"),
    ],
)
def test_bad_package_metadata_is_400_naming_the_field(as_modeler, project, part, field):
    response = upload(as_modeler, version="1.0.0", package_part=part)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "VALIDATION_FAILED"
    assert body["message"].startswith(field)
    assert not Package.objects.exists()


def test_a_malformed_version_part_is_400_naming_it(as_modeler, project):
    response = upload(as_modeler, version="1.0.0", version_part="{oops")
    assert response.status_code == 400
    assert response.json()["message"].startswith("version")


@pytest.mark.parametrize("bad", ["bad.name", "sp%20ace", "x" * 101])
def test_an_invalid_package_name_in_the_path_is_400_naming_it(as_modeler, project, bad):
    response = as_modeler.post(package_url(bad), {"package": "{}"}, format="multipart")
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_FAILED"
    assert list(response.json()["details"]["fields"]) == ["packageName"]
    assert not Package.objects.exists()


def test_reading_a_package_with_an_invalid_name_is_404(as_modeler, project):
    assert as_modeler.get(package_url("bad.name")).status_code == 404


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(as_modeler, project, settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    settings.REGISTRY_MAX_UPLOAD_BYTES = 1000
    response = upload(as_modeler, version="1.0.0", data=b"x" * (2 * 1024 * 1024))
    assert response.status_code == 413
    assert response.json()["details"] == {"maxBytes": 1000}
    assert list(tmp_path.iterdir()) == []


def test_a_version_without_a_file_is_400_naming_the_missing_part(as_modeler, project):
    response = as_modeler.post(
        package_url(), {"package": seed_package_part(), "version": '{"id": "1.0.0"}'}, format="multipart"
    )
    assert response.status_code == 400
    assert list(response.json()["details"]["fields"]) == ["packageFile"]


def test_a_resource_identifier_taken_by_another_package_is_400(as_modeler, project):
    upload(as_modeler, package="ledger", version=None)
    response = upload(as_modeler, package="budget", version=None, package_part=seed_package_part(name="budget"))
    assert response.status_code == 400
    assert response.json()["message"].startswith("resourceIdentifier")


def test_an_upload_over_the_size_limit_is_413_and_leaves_no_temporary_file(as_modeler, project, settings, tmp_path):
    temp_dir = tmp_path / "uploads"
    temp_dir.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(temp_dir)
    data = archive_for("1.0.0", extra_files={"big.bin": bytes(range(256)) * 4096})
    settings.REGISTRY_MAX_UPLOAD_BYTES = len(data) - 1
    response = upload(as_modeler, version="1.0.0", data=data)
    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert list(temp_dir.iterdir()) == []
    assert not Package.objects.exists()


def test_an_upload_at_the_size_limit_is_accepted(as_modeler, project, settings):
    data = archive_for("1.0.0")
    settings.REGISTRY_MAX_UPLOAD_BYTES = len(data)
    assert upload(as_modeler, version="1.0.0", data=data).status_code == 201


def test_a_viewer_cannot_publish(as_viewer, project):
    response = upload(as_viewer, version="1.0.0")
    assert response.status_code == 403
    assert response.json()["code"] == "FORBIDDEN"


def test_a_read_only_token_cannot_publish(client_for, modeler, project):
    response = upload(client_for(modeler, read_only=True), version="1.0.0")
    assert response.status_code == 403


def test_a_caller_who_cannot_read_the_project_gets_404(as_stranger, project):
    response = upload(as_stranger, version="1.0.0")
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


def test_a_caller_who_cannot_read_the_project_gets_404_for_its_existing_package_too(as_stranger, package):
    response = upload(as_stranger, package=package.name, version="1.0.0")
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
    assert not package.versions.exists()


def test_an_anonymous_caller_gets_401(api_client, project):
    response = upload(api_client, version="1.0.0")
    assert response.status_code == 401


def test_a_package_modeler_may_publish_to_that_package_only(client_for, grant, package, project):
    from tests.factories import UserFactory

    person = UserFactory(username="pkgmod")
    grant(package, "modeler", user=person)
    client = client_for(person)
    assert upload(client, package="ledger", version="1.0.0").status_code == 201
    assert upload(client, package="other", version="1.0.0").status_code == 403


def test_publishing_enqueues_indexing_of_the_new_version_after_commit(
    as_modeler, project, django_capture_on_commit_callbacks, monkeypatch
):
    from packages_app import tasks

    enqueued = []
    monkeypatch.setattr(tasks.index_version_task, "delay", lambda version_id: enqueued.append(version_id))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        upload(as_modeler, version="1.0.0")
    assert enqueued == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert enqueued == [Version.objects.get().pk]


def test_an_identical_retry_enqueues_nothing(as_modeler, project, django_capture_on_commit_callbacks):
    upload(as_modeler, version="1.0.0")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        upload(as_modeler, version="1.0.0")
    assert callbacks == []


def test_the_project_path_word_environments_is_an_alias(as_modeler, project):
    response = upload(as_modeler, version="1.0.0", base="/api/v0/organizations/acme/environments/finance")
    assert response.status_code == 201
    assert Package.objects.filter(project=project, name="ledger").exists()


def test_a_package_another_writer_creates_just_before_ours_is_joined_not_refused(as_modeler, project, monkeypatch):
    # The other writer's row lands between our lookup (none) and our insert: the unique index decides,
    # and we lock theirs and publish into it, where a check by query would have answered 400.
    from packages_app import services

    default_identifier = services.default_resource_identifier

    def created_meanwhile(project, package_name):
        identifier = default_identifier(project, package_name)
        Package.objects.create(project=project, name=package_name, resource_identifier=identifier)
        return identifier

    monkeypatch.setattr(services, "default_resource_identifier", created_meanwhile)
    response = upload(as_modeler, version="1.0.0")
    assert response.status_code == 201
    assert Package.objects.get().versions.get().version == "1.0.0"


def test_a_package_name_with_a_trailing_newline_is_400_naming_it(as_modeler, project):
    # Python's "$" matches before a final newline; the database's check does not, nor may the validator.
    response = upload(as_modeler, package="ledger%0A", version=None, package_part='{"description": "x"}')
    assert response.status_code == 400
    assert list(response.json()["details"]["fields"]) == ["packageName"]
    assert not Package.objects.exists()


def test_every_publish_answers_with_the_latest_version_a_fresh_read_shows(as_modeler, project):
    # The answer's latestVersion is worked out in the publish transaction, not read again: it must agree.
    rng = random.Random(8)
    numbers = [f"{major}.{minor}.{patch}" for major in range(4) for minor in range(3) for patch in range(2)]
    for number in rng.sample(numbers, 14):
        archived = {"archiveStatus": "archive"} if rng.random() < 0.3 else {}
        response = upload(as_modeler, version=number, **archived)
        assert response.status_code == 201, response.content
        assert response.json()["latestVersion"] == as_modeler.get(package_url()).json()["latestVersion"]


@pytest.mark.django_db(transaction=True)  # commits, so the inline (brokerless) indexing runs before the answer
def test_the_answer_of_a_brokerless_publish_shows_the_index_status_a_fresh_read_shows(as_modeler, project):
    response = upload(as_modeler, version="1.0.0")
    assert response.status_code == 201
    assert response.json()["indexStatus"] == as_modeler.get(package_url()).json()["indexStatus"] == "indexed"

import pytest
from django.urls import reverse

from packages_app.demo import build_malloy_archive
from packages_app.models import ArchiveStatus, Version

pytestmark = pytest.mark.django_db


def package_page(client, package):
    return client.get(reverse("admin:packages_app_package_change", args=[package.pk]))


def test_version_history_is_in_semver_order_newest_first(staff_client, publish):
    for number in ["9.0.0", "10.0.0", "1.2.0", "1.10.0"]:
        version = publish("ledger", number)

    response = package_page(staff_client, version.package)

    assert [v.version for v in response.context["version_history"]] == ["10.0.0", "9.0.0", "1.10.0", "1.2.0"]
    page = response.content.decode()
    assert page.index('data-version="10.0.0"') < page.index('data-version="9.0.0"')


def test_version_history_counts_the_dependents_of_each_version(staff_client, publish):
    old = publish("core", "1.0.0")
    new = publish("core", "1.1.0")
    publish("ledger", "1.0.0", {"core": "~1.0.0"})
    publish("reports", "1.0.0", {"core": "^1.0.0"})
    publish("billing", "1.0.0", {"core": "^1.1.0"})

    response = package_page(staff_client, old.package)

    counts = {v.version: v.dependents_count for v in response.context["version_history"]}
    assert counts == {old.version: 1, new.version: 2}


def test_version_history_marks_archived_and_latest_versions(staff_client, publish):
    publish("ledger", "1.0.0")
    archived = publish("ledger", "2.0.0")
    Version.objects.filter(pk=archived.pk).update(archive_status=ArchiveStatus.ARCHIVE)

    page = package_page(staff_client, archived.package).content.decode()

    row_2 = page[page.index('data-version="2.0.0"') : page.index('data-version="1.0.0"')]
    row_1 = page[page.index('data-version="1.0.0"') :].split("</tr>")[0]
    assert "Archived" in row_2
    assert "latest" not in row_2
    assert "latest" in row_1


def test_each_version_has_a_download_link_serving_its_archive(staff_client, publish):
    version = publish("ledger", "1.0.0")
    download = reverse("admin:packages_app_version_download", args=[version.pk])

    page = package_page(staff_client, version.package).content.decode()
    response = staff_client.get(download)

    assert download in page
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body == build_malloy_archive("ledger", "1.0.0")
    assert response["ETag"] == f'"{version.artifact.sha256}"'
    assert "ledger-1.0.0.zip" in response["Content-Disposition"]


def test_package_page_query_count_does_not_grow_with_its_versions(staff_client, publish, django_assert_max_num_queries):
    for minor in range(30):
        version = publish("ledger", f"1.{minor}.0")

    with django_assert_max_num_queries(10):
        response = package_page(staff_client, version.package)

    assert len(response.context["version_history"]) == 30


def test_downloading_a_version_with_no_copy_left_is_a_503_that_says_so_not_a_crash(
    staff_client, publish, artifact_storage_in_tmp
):
    version = publish("ledger", "1.0.0")
    for blob in artifact_storage_in_tmp.rglob(version.artifact.sha256):
        blob.unlink()

    response = staff_client.get(reverse("admin:packages_app_version_download", args=[version.pk]))

    assert response.status_code == 503
    assert version.artifact.sha256 in response.content.decode()


def test_downloading_a_version_whose_primary_copy_is_missing_serves_a_replica(
    staff_client, publish, artifact_storage_in_tmp
):
    from packages_app.replication import replicate_artifact

    version = publish("ledger", "1.0.0")
    version.package.replication_count = 2
    version.package.save()
    replicate_artifact(artifact_id=version.artifact_id)
    for blob in artifact_storage_in_tmp.rglob(version.artifact.sha256):
        blob.unlink()

    response = staff_client.get(reverse("admin:packages_app_version_download", args=[version.pk]))

    assert response.status_code == 200
    assert len(b"".join(response.streaming_content)) == version.artifact.size

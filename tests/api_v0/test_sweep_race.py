"""A publish reusing a blob already in storage never races the orphan sweep into a missing file."""

import io
import os
import threading
import time

import pytest
from django.db import connections

from packages_app import blobs, publishing
from packages_app.blobs import digest_stream, sweep_orphan_blobs
from packages_app.models import Artifact, Version, artifact_key
from tests.api_v0.conftest import archive_for, upload

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_republish_of_an_old_rowless_blob_keeps_its_blob_when_the_sweep_runs_meanwhile(
    as_modeler, project, artifact_storage_in_tmp, monkeypatch
):
    # What a failed publish of these bytes left an hour ago: the blob, and no artifact row.
    data = archive_for("1.0.0")
    digests = digest_stream(io.BytesIO(data))
    blobs.store_blob(stream=io.BytesIO(data), key=artifact_key(digests.sha256), size=digests.size)
    blob = next(path for path in artifact_storage_in_tmp.rglob("*") if path.is_file())
    past = time.time() - 7200
    os.utime(blob, (past, past))
    assert not Artifact.objects.exists()

    record_dependencies = publishing.record_dependencies

    def sweep_meanwhile(**kwargs):  # the hourly sweep runs, on its own connection, mid-publish
        def sweep():
            try:
                sweep_orphan_blobs()
            finally:
                connections.close_all()

        thread = threading.Thread(target=sweep)
        thread.start()
        thread.join()
        return record_dependencies(**kwargs)

    monkeypatch.setattr(publishing, "record_dependencies", sweep_meanwhile)
    assert upload(as_modeler, version="1.0.0", data=data).status_code == 201
    assert Version.objects.get().artifact.sha256 == digests.sha256
    assert blob.exists()

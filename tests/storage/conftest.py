"""A real S3 protocol server (moto's server mode) on loopback for the whole session; no boto mocking."""

import shutil
import socket
import subprocess
import sys
import time
import uuid

import boto3
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    if shutil.which("moto_server") is None and sys.modules.get("moto") is None:
        pytest.importorskip("moto", reason="moto[server] is not installed")
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60  # a safety bound on a loaded machine, not a speed check
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("moto server did not start")
    yield endpoint
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def s3_storages(settings, s3_endpoint):
    """Point the primary and both replica locations at fresh buckets on the S3 server."""
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    suffix = uuid.uuid4().hex[:8]
    buckets = {location: f"{location}-{suffix}" for location in settings.REGISTRY_STORAGE_LOCATIONS}
    for bucket in buckets.values():
        client.create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        **{
            location: {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": bucket,
                    "endpoint_url": s3_endpoint,
                    "region_name": "us-east-1",
                    "access_key": "test",
                    "secret_key": "test",
                    "file_overwrite": False,
                    "querystring_auth": True,
                    "querystring_expire": settings.REGISTRY_SIGNED_URL_SECONDS,
                    "signature_version": "s3v4",
                },
            }
            for location, bucket in buckets.items()
        },
    }
    return client, buckets

"""The seed page's own curl command, with real values filled in, works verbatim against a live server."""

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from packages_app.models import Version
from tests.api_v0.conftest import archive_for
from tests.factories import make_token

pytestmark = [
    pytest.mark.django_db(transaction=True),  # the live server thread must see committed rows
    pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl"),
]

SEED_CURL = Path(__file__).resolve().parent / "fixtures" / "credible-create-or-update-package.curl"


def seed_curl_command() -> str:
    """The curl command exactly as the seed page prints it (kept in the repository, with a comment line above it)."""
    text = SEED_CURL.read_text()
    match = re.search(r"^curl --request POST.*?--form 'md5Hash=<string>'$", text, re.S | re.M)
    assert match, f"{SEED_CURL.name} no longer holds the curl command"
    return match.group(0)


def with_real_values(command: str, *, base_url: str, token: str, archive: Path, md5: str) -> str:
    replacements = {
        "https://{organization}.admin.credibledata.com": base_url,
        "{organizationName}": "acme",
        "{projectName}": "finance",
        "{packageName}": "ledger",
        "<token>": token,
        '"name": "<string>"': '"name": "ledger"',
        '"latestVersion": "<string>"': '"latestVersion": "1.0.0"',
        '"description": "<string>"': '"description": "The general ledger"',
        '"resourceIdentifier": "<string>"': '"resourceIdentifier": "acme/finance/ledger"',
        '"id": "<string>"': '"id": "1.0.0"',
        "@example-file": f"@{archive}",
        "md5Hash=<string>": f"md5Hash={md5}",
    }
    for placeholder, value in replacements.items():
        assert placeholder in command, placeholder
        command = command.replace(placeholder, value)
    assert "<string>" not in command
    return command


@pytest.fixture
def seed_setting(live_server, grant, project, tmp_path):
    from tests.factories import UserFactory

    person = UserFactory(username="seed")
    grant(project, "modeler", user=person)
    archive = tmp_path / "example-file"
    archive.write_bytes(archive_for("1.0.0"))
    return live_server.url, make_token(person), archive


def test_the_seed_curl_command_creates_the_package_and_version(seed_setting):
    base_url, token, archive = seed_setting
    md5 = hashlib.md5(archive.read_bytes()).hexdigest()
    command = with_real_values(seed_curl_command(), base_url=base_url, token=token, archive=archive, md5=md5)
    result = subprocess.run(
        ["bash", "-c", command + " --silent --show-error --write-out '\n%{http_code}'"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    body, _, status = result.stdout.rpartition("\n")
    assert status == "201", body
    package = json.loads(body)
    assert package["name"] == "ledger"
    assert package["resourceIdentifier"] == "acme/finance/ledger"
    # The seed publishes with "archiveStatus": "archive", so the version exists but is not latest.
    assert package["latestVersion"] is None
    version = Version.objects.select_related("artifact").get(package__name="ledger", version="1.0.0")
    assert version.archive_status == "archive"
    assert version.artifact.md5 == md5

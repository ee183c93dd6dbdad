"""The README's "first publish in five minutes", run as written against a live server, so it cannot drift.

The walkthrough is every ```sh block between ``<!-- walkthrough -->`` and ``<!-- /walkthrough -->`` in
README.md. They run in order in one bash, from the checkout, as a reader runs them in one terminal; the only
change is the registry's address, which the README sets in one line the test points at its own server.
"""

import json
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
ADDRESS_LINE = "export REGISTRY=http://127.0.0.1:8000"
BLOCK_MARK = "::walkthrough block {}::"

pytestmark = [
    pytest.mark.skipif(shutil.which("curl") is None, reason="the walkthrough needs curl"),
    pytest.mark.skipif(shutil.which("md5sum") is None, reason="the walkthrough needs md5sum"),
]


def walkthrough_blocks() -> list[str]:
    text = README.read_text()
    match = re.search(r"<!-- walkthrough -->(.*?)<!-- /walkthrough -->", text, re.S)
    assert match, "README.md has no <!-- walkthrough --> ... <!-- /walkthrough --> section"
    blocks = re.findall(r"^```sh\n(.*?)^```$", match.group(1), re.S | re.M)
    assert blocks, "the walkthrough section holds no ```sh blocks"
    return blocks


def run_walkthrough(blocks: list[str], *, registry, timeout: int = 300) -> dict[str, str]:
    """Run the blocks in one bash (stopping at the first failure) and return each block's output by its text."""
    script = ["set -eo pipefail"]
    for number, block in enumerate(blocks):
        script += [
            f"printf '\\n%s\\n' '{BLOCK_MARK.format(number)}'",
            block.replace(ADDRESS_LINE, f"export REGISTRY={registry.url}"),
        ]
    result = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=registry.checkout,
        env=registry.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, (
        f"the walkthrough stopped (exit {result.returncode}):\n{result.stdout}\n"
        f"server log:\n{registry.log.read_text()[-4000:]}"
    )
    outputs = re.split(r"^::walkthrough block (\d+)::$", result.stdout, flags=re.M)
    by_number = {int(number): output for number, output in zip(outputs[1::2], outputs[2::2], strict=True)}
    assert sorted(by_number) == list(range(len(blocks))), result.stdout
    return {blocks[number]: output for number, output in by_number.items()}


def output_of(outputs: dict[str, str], command: str) -> str:
    """The output of the one block whose text contains ``command``."""
    matches = [output for block, output in outputs.items() if command in block]
    assert len(matches) == 1, f"{len(matches)} walkthrough blocks contain {command!r}"
    return matches[0]


def json_documents(output: str) -> list:
    """The JSON documents curl printed one after another (its bodies end without a newline)."""
    decoder, documents, position = json.JSONDecoder(), [], 0
    while position < len(output.rstrip()):
        while output[position].isspace():
            position += 1
        document, position = decoder.raw_decode(output, position)
        documents.append(document)
    return documents


def api_get(registry, path: str, token: str):
    request = urllib.request.Request(f"{registry.url}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def walkthrough(live_registry):
    if not (live_registry.checkout / ".venv" / "bin" / "activate").is_file():
        pytest.skip("the walkthrough activates the checkout's .venv, which `make run` / `make test` create")
    blocks = walkthrough_blocks()
    assert any(ADDRESS_LINE in block for block in blocks), f"the walkthrough no longer sets {ADDRESS_LINE!r}"
    # The demo is loaded first (as `make run` does), so a walkthrough name the demo holds would fail here.
    return run_walkthrough(blocks, registry=live_registry)


@pytest.fixture(scope="module")
def staff_token(live_registry):
    """A token of the demo's staff user, to check what the walkthrough left behind, independently of it."""
    return live_registry.manage("issue_token", "admin", "--quiet").strip()


FLIGHTS = "/api/v0/organizations/tutorial/projects/analytics/packages/flights"


def test_the_organization_and_project_are_created_with_curl(walkthrough):
    organization, project = json_documents(output_of(walkthrough, '/api/v0/organizations"'))
    assert (organization["name"], project["name"]) == ("tutorial", "analytics")


def test_the_curl_publish_answers_201_with_the_new_package(walkthrough):
    output = output_of(walkthrough, "--form 'version=")
    body, _, status = output.strip().rpartition("\n")
    assert status == "HTTP 201", output
    package = json.loads(body)
    assert (package["name"], package["latestVersion"]) == ("flights", "1.0.0")


def test_the_published_version_is_indexed_with_its_sources_and_views(walkthrough):
    detail, contents = json_documents(output_of(walkthrough, "/contents?kind="))
    assert (detail["id"], detail["indexStatus"]) == ("1.0.0", "indexed")
    entries = {(entry["kind"], entry["name"]) for entry in contents}
    assert {("source", "flights"), ("view", "by_carrier"), ("measure", "flight_count")} <= entries


def test_the_cli_publishes_lists_and_finds_the_package(walkthrough):
    output = output_of(walkthrough, "registry-cli versions")
    assert "Indexed tutorial/analytics/flights@1.1.0" in output
    assert re.search(r"^1\.1\.0\s.*indexed", output, re.M), output
    assert re.search(r"^1\.0\.0\s.*indexed", output, re.M), output
    assert re.search(r"flight_count\s+tutorial/analytics/flights@1\.1\.0", output), output


def test_the_dependency_is_resolved_to_the_highest_match_and_shown_as_a_tree(walkthrough):
    output = output_of(walkthrough, "--tree")
    assert "Indexed tutorial/analytics/dashboards@1.0.0" in output
    assert re.search(r"^dashboards@1\.0\.0$", output, re.M), output
    assert re.search(r"flights@1\.1\.0\s+\(\^1\.0\.0\)", output), output


def test_what_the_walkthrough_published_is_on_the_server_and_indexed(walkthrough, live_registry, staff_token):
    versions = api_get(live_registry, f"{FLIGHTS}/versions", staff_token)
    assert {(v["id"], v["indexStatus"]) for v in versions} == {("1.0.0", "indexed"), ("1.1.0", "indexed")}
    graph = api_get(
        live_registry,
        "/api/v0/organizations/tutorial/projects/analytics/packages/dashboards/versions/1.0.0/graph",
        staff_token,
    )
    assert [(edge["from"], edge["to"]) for edge in graph["edges"]] == [("dashboards@1.0.0", "flights@1.1.0")]

"""Server errors become one readable line with the code, details laid out, and a documented exit code."""

import json

import httpx
import pytest
from registry_cli.errors import CliError, ExitCode, error_from_response, render_error


@pytest.mark.parametrize(
    ("status", "exit_code"),
    [
        (400, ExitCode.INVALID),
        (401, ExitCode.AUTH),
        (403, ExitCode.AUTH),
        (404, ExitCode.NOT_FOUND),
        (409, ExitCode.CONFLICT),
        (413, ExitCode.INVALID),
        (422, ExitCode.INVALID),
        (429, ExitCode.UNAVAILABLE),
        (500, ExitCode.UNAVAILABLE),
    ],
)
def test_each_http_status_maps_to_its_documented_exit_code(status, exit_code):
    assert error_from_response(status, {"code": "X", "message": "m"}).exit_code == exit_code


def test_a_v0_error_renders_as_one_line_with_its_code():
    error = error_from_response(409, {"code": "VERSION_EXISTS", "message": "Package version 1.0.0 already exists"})

    assert render_error(error) == ["VERSION_EXISTS: Package version 1.0.0 already exists"]


def test_a_v1_error_envelope_is_read_the_same_way():
    body = {"error": {"code": "VERSION_EXISTS", "message": "Package version 1.0.0 already exists", "details": {}}}

    error = error_from_response(409, body)

    assert (error.code, error.message, error.exit_code) == ("VERSION_EXISTS", body["error"]["message"], 5)


def test_a_body_that_is_not_an_error_envelope_still_gives_a_code_and_the_reason():
    error = error_from_response(502, None, "Bad Gateway")

    assert render_error(error) == ["HTTP_502: Bad Gateway"]
    assert error.exit_code == ExitCode.UNAVAILABLE


def test_a_dependency_conflict_lists_who_required_what():
    error = error_from_response(
        409,
        {
            "code": "INVALID_PACKAGE_DEPENDENCY",
            "message": "Incompatible package versions",
            "details": {
                "conflicts": [
                    {
                        "package": "core",
                        "required": {"by": "app@1.0.0", "version": "1.0.0"},
                        "provided": {"by": "lib@1.0.0", "version": "1.2.0"},
                    }
                ]
            },
        },
    )

    assert render_error(error) == [
        "INVALID_PACKAGE_DEPENDENCY: Incompatible package versions",
        "  conflict on core:",
        "    required 1.0.0 by app@1.0.0",
        "    provided 1.2.0 by lib@1.0.0",
    ]


def test_a_conflict_with_a_list_of_requirements_and_available_versions_is_laid_out():
    error = CliError(
        "INVALID_PACKAGE_DEPENDENCY",
        "No version of core satisfies every requirement",
        exit_code=ExitCode.CONFLICT,
        details={
            "conflicts": [
                {
                    "package": "core",
                    "requirements": [{"by": "app@1.0.0", "range": "^1.0.0"}, {"by": "lib@2.0.0", "range": "^2.0.0"}],
                    "available": ["1.0.0", "1.4.0"],
                }
            ]
        },
    )

    assert render_error(error)[1:] == [
        "  conflict on core:",
        "    requirements:",
        "      - ^1.0.0 by app@1.0.0",
        "      - ^2.0.0 by lib@2.0.0",
        "    available: 1.0.0, 1.4.0",
    ]


def test_a_cycle_is_shown_as_a_closed_path():
    error = error_from_response(
        409,
        {
            "code": "CIRCULAR_DEPENDENCY",
            "message": "Package dependency cycle detected",
            "details": {"cycle": ["a@1.0.0", "b@1.0.0", "a@1.0.0"]},
        },
    )

    assert render_error(error)[1] == "  cycle: a@1.0.0 -> b@1.0.0 -> a@1.0.0"


def test_validation_errors_show_each_field():
    error = error_from_response(
        400, {"code": "VALIDATION_FAILED", "message": "version.id: bad", "details": {"fields": {"version.id": ["bad"]}}}
    )

    assert render_error(error) == ["VALIDATION_FAILED: version.id: bad", "  version.id: bad"]


def test_json_mode_prints_the_error_as_a_json_document_on_stdout(run_cli, mock_server):
    mock_server(lambda request: httpx.Response(404, json={"code": "NOT_FOUND", "message": "Package 'x' was not found"}))

    result = run_cli("info", "acme/finance/x", "--json")

    assert result.exit_code == ExitCode.NOT_FOUND
    assert json.loads(result.stdout) == {
        "error": {
            "code": "NOT_FOUND",
            "message": "Package 'x' was not found",
            "details": {},
            "status": 404,
            "exitCode": 4,
        }
    }


def test_a_malformed_package_reference_is_a_usage_error(run_cli):
    result = run_cli("info", "acme/finance")

    assert result.exit_code == ExitCode.USAGE == 2
    assert "ORG/PROJECT/PACKAGE" in result.stderr


def test_publishing_a_version_that_is_not_strict_semver_is_refused_before_any_request(run_cli, package_dir):
    result = run_cli(
        "publish", str(package_dir), "--to", "acme/finance", "--version", "1.0", "--server", "http://x.test"
    )

    assert result.exit_code == ExitCode.USAGE
    assert result.stderr.startswith("INVALID_VERSION: ")

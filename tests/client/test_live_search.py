"""``registry-cli search`` against a live server."""

import pytest

from tests.factories import make_version

pytestmark = pytest.mark.django_db(transaction=True)  # the live server thread must see committed rows


def test_search_finds_an_indexed_source_and_shows_where_it_is(cli, package_dir, package):
    assert cli("publish", str(package_dir), "--to", "acme/finance/ledger", "--wait").exit_code == 0

    result = cli("search", "entries", "--kind", "source")  # ledger.malloy defines `source: entries`

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["KIND", "NAME", "PACKAGE", "WHERE"]
    assert lines[1].split()[:3] == ["source", "entries", "acme/finance/ledger@1.0.0"]
    assert lines[1].split()[3].startswith("ledger.malloy:")


def test_search_json_is_the_list_of_results(cli, package):
    make_version(package, "1.0.0")

    result = cli("search", "ledger", "--json")

    assert result.exit_code == 0, result.stderr
    assert {"kind": "package", "name": "ledger"}.items() <= result.json()[0].items()


def test_search_with_nothing_found_says_so(cli, package):
    result = cli("search", "zzz-nothing-matches")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "No matches"


def test_search_with_an_unknown_kind_is_refused_with_exit_6(cli, package):
    result = cli("search", "orders", "--kind", "nonsense")

    assert result.exit_code == 6
    assert result.error[0].startswith("VALIDATION_FAILED: ")

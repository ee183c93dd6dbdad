import pytest
from django.core.management import call_command

from packages_app.models import Package, Version
from registry.models import Organization

pytestmark = pytest.mark.django_db


def test_the_demo_command_builds_a_registry_and_runs_twice_without_error(capsys):
    call_command("load_demo")
    first = capsys.readouterr().out
    counts = (Organization.objects.count(), Package.objects.count(), Version.objects.count())
    call_command("load_demo")
    second = capsys.readouterr().out
    assert counts[0] == 2
    assert counts[1] >= 5
    assert counts[2] >= 10
    assert (Organization.objects.count(), Package.objects.count(), Version.objects.count()) == counts
    assert "admin / " in first  # the generated password, shown once
    assert "admin / " not in second

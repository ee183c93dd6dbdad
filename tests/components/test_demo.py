import pytest
from django.core.management import call_command

from components_app.models import Component
from packages_app.models import Version

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_component_in_every_status_and_published_packages(capsys):
    call_command("load_demo")
    statuses = set(Component.objects.filter(project__name="storefront").values_list("status", flat=True))
    assert statuses == {"draft", "modified", "published", "deleted"}
    assert Version.objects.filter(package__name="storefront", version="1.0.0").exists()
    assert Version.objects.get(package__name="storefront").dependencies.get().package.name == "design"


def test_loading_the_demo_twice_leaves_the_components_as_they_were(capsys):
    call_command("load_demo")
    before = sorted(Component.objects.values_list("name", "status", "version"))
    call_command("load_demo")
    assert sorted(Component.objects.values_list("name", "status", "version")) == before

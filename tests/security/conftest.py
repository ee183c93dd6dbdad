"""A registry with two organizations holding private data, and the people of the authorization matrix.

``acme`` is the organization under test; ``globex`` is another organization whose admin must learn
nothing about ``acme``. Every private text field holds a marker string, so a test can check that not a
byte of it reaches someone who may not read it.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from components_app import services as components
from registry.models import OrganizationGroup, Role
from tests.api_v1.conftest import CARD_SOURCE
from tests.conftest import ReadingClient
from tests.factories import OrganizationFactory, ProjectFactory, UserFactory, make_token, make_version

ACME_SECRET = "acme-private-7f3a91"
GLOBEX_SECRET = "globex-private-c04e62"


def _fill_organization(*, name: str, secret: str, author) -> dict:
    organization = OrganizationFactory(name=name, description=f"{secret} org")
    project = ProjectFactory(organization=organization, name="finance", description=f"{secret} project")
    other_project = ProjectFactory(organization=organization, name="payroll", description=f"{secret} project 2")
    from tests.factories import PackageFactory

    package = PackageFactory(project=project, name="ledger", description=f"{secret} package")
    make_version(package, "1.0.0", author=author, description=f"{secret} version")
    component = components.create_component(
        project=project, name="ProductCard", type="view", content=f"// {secret}\n{CARD_SOURCE}", author=author
    )
    asset = components.upload_asset(
        component=component, file=SimpleUploadedFile("notes.json", f'{{"note": "{secret} asset"}}'.encode())
    )
    collection = components.create_collection(project=project, name=f"{secret} collection")
    components.publish_package(project=project, version="1.0.0", description=f"{secret} components", author=author)
    # A second published component so payroll's package exists for the dependency below.
    components.create_component(
        project=other_project, name="Payslip", type="view", content=f"// {secret}\n{CARD_SOURCE}", author=author
    )
    components.publish_package(project=other_project, version="1.0.0", author=author)
    components.add_project_dependency(project=project, depends_on=other_project, version="1.0.0")
    return {
        "organization": organization,
        "project": project,
        "package": package,
        "component": component,
        "asset": asset,
        "collection": collection,
    }


@pytest.fixture
def registry_data(db, grant):
    """acme and globex, each with a project, a package with a version, components and a dependency."""
    author = UserFactory(username="author", email="author@example.com")
    acme = _fill_organization(name="acme", secret=ACME_SECRET, author=author)
    globex = _fill_organization(name="globex", secret=GLOBEX_SECRET, author=author)
    bystander = UserFactory(username="bystander", email="bystander@example.com")
    for scope in (acme["organization"], acme["project"], acme["package"]):
        grant(scope, Role.VIEWER if scope is not acme["organization"] else Role.MEMBER, user=bystander)
    ci, _ = Group.objects.get_or_create(name="ci")
    OrganizationGroup.objects.get_or_create(organization=acme["organization"], group=ci)  # acme's group
    return {"acme": acme, "globex": globex}


def _client(secret: str | None) -> APIClient:
    client = ReadingClient()
    if secret is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def personas(registry_data, grant):
    """name -> an API client: the six callers of the authorization matrix."""
    acme, globex = registry_data["acme"]["organization"], registry_data["globex"]["organization"]
    viewer = UserFactory(username="viewer", email="viewer@example.com")
    grant(acme, Role.MEMBER, user=viewer)
    modeler = UserFactory(username="modeler", email="modeler@example.com")
    grant(acme, Role.MODELER, user=modeler)
    acme_admin = UserFactory(username="acme-admin", email="acme-admin@example.com")
    grant(acme, Role.ADMIN, user=acme_admin)
    other_admin = UserFactory(username="globex-admin", email="globex-admin@example.com")
    grant(globex, Role.ADMIN, user=other_admin)
    lapsed = UserFactory(username="lapsed", email="lapsed@example.com")
    grant(acme, Role.ADMIN, user=lapsed)
    return {
        "anonymous": _client(None),
        "viewer": _client(make_token(viewer)),
        "modeler": _client(make_token(modeler)),
        "other_org_admin": _client(make_token(other_admin)),
        # An acme admin's read-only token: reads as an admin, every write refused.
        "read_only_token": _client(make_token(acme_admin, read_only=True)),
        # An acme admin's token that has expired: nothing at all.
        "expired_token": _client(make_token(lapsed, expires_at=timezone.now() - timedelta(minutes=1))),
    }

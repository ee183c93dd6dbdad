"""factory_boy factories for the domain model. Versions go through the real services."""

import io

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from packages_app.blobs import digest_stream, store_artifact
from packages_app.demo import build_malloy_archive
from packages_app.models import Package, PackageGrant
from packages_app.publishing import create_version
from packages_app.services import default_resource_identifier
from registry.models import Grant, Organization, Project, Role
from registry.tokens import issue_token


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"group{n}")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"org{n}")
    display_name = factory.LazyAttribute(lambda o: o.name.title())


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"project{n}")


class PackageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Package

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"package{n}")
    resource_identifier = factory.LazyAttribute(lambda o: default_resource_identifier(o.project, o.name))


class GrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grant

    role = Role.VIEWER


class PackageGrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PackageGrant

    role = Role.VIEWER


def grant_on(scope, role, *, user=None, group=None):
    """Give ``user`` (or ``group``) ``role`` on an organization, project or package: a Grant, or for a
    package a PackageGrant."""
    if isinstance(scope, Package):
        return PackageGrantFactory(package=scope, user=user, group=group, role=role)
    key = "organization" if isinstance(scope, Organization) else "project"
    return GrantFactory(**{key: scope}, user=user, group=group, role=role)


def make_version(package: Package, version: str, *, author=None, archive: bytes | None = None, **kwargs):
    """Publish ``version`` of ``package`` through the storage and version services."""
    data = archive if archive is not None else build_malloy_archive(package.name, version)
    stream = io.BytesIO(data)
    artifact = store_artifact(stream=stream, digests=digest_stream(stream), media_type="application/zip")
    return create_version(package=package, version=version, artifact=artifact, author=author, **kwargs)


def make_token(user, **kwargs) -> str:
    kwargs.setdefault("name", f"token-{user.username}-{kwargs.get('read_only', False)}")
    _, secret = issue_token(user=user, **kwargs)
    return secret

"""Build a small but real demo registry. Safe to run again: what exists is left as it is."""

import io
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from components_app.demo import load_component_demo
from packages_app.demo import build_malloy_archive
from packages_app.models import Package, Version
from packages_app.resolution import record_dependencies, requirements_for_publish, resolve
from packages_app.services import create_version, default_resource_identifier, digest_stream, store_artifact
from registry.models import Grant, Organization, Project, Role

ORGANIZATIONS = {
    "acme": {
        "display_name": "Acme Analytics",
        "projects": {
            "finance": ["ledger", "revenue", "forecast"],
            "marketing": ["campaigns"],
        },
    },
    "globex": {
        "display_name": "Globex Corporation",
        "projects": {"ops": ["inventory", "shipping"]},
    },
}
VERSIONS = ["1.0.0", "1.1.0", "2.0.0"]
# publisher.json dependencies per (project, package) and version, resolved and locked at publish time.
# Packages above are created in this order, so every dependency exists before its dependents.
DEPENDENCIES = {
    ("finance", "revenue"): {
        "1.0.0": {"ledger": "^1.0.0"},
        "1.1.0": {"ledger": "~1.1.0"},
        "2.0.0": {"ledger": "^2.0.0"},
    },
    ("finance", "forecast"): {
        "1.0.0": {"revenue": "^1.0.0", "ledger": "^1.0.0"},
        "1.1.0": {"revenue": "^1.0.0", "ledger": ">=1.0.0 <2.0.0"},
        "2.0.0": {"revenue": "^2.0.0", "ledger": "*"},
    },
    ("marketing", "campaigns"): {"1.1.0": {"finance/revenue": "^1.1.0"}, "2.0.0": {"finance/forecast": "^2.0.0"}},
    ("ops", "shipping"): {"2.0.0": {"inventory": "^2.0.0"}},
}


class Command(BaseCommand):
    help = "Load a small demo registry: organizations, projects, packages with versions, users and grants."

    def handle(self, *args, **options):
        User = get_user_model()
        staff_password = None
        staff = User.objects.filter(username="admin").first()
        if staff is None:
            staff_password = secrets.token_urlsafe(12)
            staff = User.objects.create_superuser("admin", "admin@example.com", staff_password)

        analysts, _ = Group.objects.get_or_create(name="acme-analysts")
        viewer, _ = User.objects.get_or_create(username="viewer", defaults={"email": "viewer@example.com"})
        viewer.groups.add(analysts)

        for org_name, spec in ORGANIZATIONS.items():
            organization, _ = Organization.objects.get_or_create(
                name=org_name, defaults={"display_name": spec["display_name"]}
            )
            for project_name, package_names in spec["projects"].items():
                project, _ = Project.objects.get_or_create(organization=organization, name=project_name)
                for package_name in package_names:
                    self._package_with_versions(project, package_name, staff)

        acme = Organization.objects.get(name="acme")
        Grant.objects.get_or_create(organization=acme, group=analysts, defaults={"role": Role.MEMBER})
        # Component projects (v1), one component in each status, published through the v1 services.
        load_component_demo(organization=acme, author=staff)

        self.stdout.write(self.style.SUCCESS("Demo registry ready: " + self._summary()))
        if staff_password:
            self.stdout.write(
                f"Staff login for /admin/: admin / {staff_password}  (shown once; change it with "
                "`manage.py changepassword admin`)"
            )
        else:
            self.stdout.write("Staff user 'admin' already existed; its password was left unchanged.")

    @transaction.atomic
    def _package_with_versions(self, project: Project, name: str, author) -> None:
        package, _ = Package.objects.get_or_create(
            project=project,
            name=name,
            defaults={
                "description": f"Demo {name} models",
                "resource_identifier": default_resource_identifier(project, name),
            },
        )
        package = Package.objects.select_for_update().get(pk=package.pk)
        existing = set(package.versions.values_list("version", flat=True))
        for version in VERSIONS:
            if version in existing:
                continue
            declared = DEPENDENCIES.get((project.name, name), {}).get(version)
            requirements = requirements_for_publish(
                project=project, package_name=name, version=version, declared=declared, user=author
            )
            data = build_malloy_archive(name, version, dependencies=declared)
            stream = io.BytesIO(data)
            artifact = store_artifact(stream=stream, digests=digest_stream(stream), media_type="application/zip")
            created = create_version(
                package=package, version=version, artifact=artifact, author=author, description=f"{name} {version}"
            )
            resolution = resolve(root_label=created.label, requirements=requirements, root_package_id=package.pk)
            record_dependencies(version=created, requirements=requirements, resolution=resolution)

    @staticmethod
    def _summary() -> str:
        return (
            f"{Organization.objects.count()} organizations, {Project.objects.count()} projects, "
            f"{Package.objects.count()} packages, {Version.objects.count()} versions"
        )

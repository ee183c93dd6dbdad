"""Build a small but real demo registry, published through the same services as the API.

Safe to run again: what exists is left as it is and nothing is published twice. Every run prints a
fresh modeler API token for the demo (tokens are stored as digests, so an earlier one cannot be shown).
"""

import io
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db.models import Count
from django.utils import timezone

from components_app.demo import load_component_demo
from packages_app.blobs import digest_stream
from packages_app.demo import build_malloy_archive
from packages_app.models import IndexStatus, Package, UsedVersionNumber, Version
from packages_app.services import PackageChanges, UploadedArchive, publish_package
from packages_app.tasks import schedule_indexing
from registry.models import Grant, Organization, Project, Role
from registry.services import issue_user_token, set_grant

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


# The demo's publisher: a modeler of acme, whose token is printed on every run.
DEMO_MODELER = "modeler"
DEMO_MODELER_EMAIL = "modeler@example.com"


class Command(BaseCommand):
    help = (
        "Load a small demo registry: organizations, projects, packages with indexed and locked versions, "
        "users and grants. Prints the staff login once and a new modeler API token on every run."
    )

    def handle(self, *args, **options):
        staff, staff_password = self._staff()
        analysts, _ = Group.objects.get_or_create(name="acme-analysts")
        viewer, _ = get_user_model().objects.get_or_create(username="viewer", defaults={"email": "viewer@example.com"})
        viewer.groups.add(analysts)

        demo_versions = Version.objects.filter(package__project__organization__name__in=ORGANIZATIONS)
        before = demo_versions.count()
        # Versions an older load_demo left unindexed (it did not publish through the publish service).
        never_indexed = list(demo_versions.filter(index_status=IndexStatus.UNKNOWN).values_list("pk", flat=True))
        for org_name, spec in ORGANIZATIONS.items():
            organization, _ = Organization.objects.get_or_create(
                name=org_name, defaults={"display_name": spec["display_name"]}
            )
            for project_name, package_names in spec["projects"].items():
                project, _ = Project.objects.get_or_create(organization=organization, name=project_name)
                for package_name in package_names:
                    self._publish_missing_versions(project, package_name, staff)

        acme = Organization.objects.get(name="acme")
        Grant.objects.get_or_create(organization=acme, group=analysts, defaults={"role": Role.MEMBER})
        # Component projects (v1), one component in each status, published through the v1 services.
        load_component_demo(organization=acme, author=staff)
        published = demo_versions.count() - before
        for version_id in never_indexed:  # indexing claims each version first, so a repeat is harmless
            schedule_indexing(version_id)
        secret = self._modeler_token(acme)

        state = "published " + (f"{published} versions now" if published else "nothing: the demo was already loaded")
        self.stdout.write(self.style.SUCCESS(f"Demo registry ready: {self._summary()} ({state})."))
        self.stdout.write(f"Index status of the demo versions: {self._index_summary(demo_versions)}.")
        for label, error in self._failed(demo_versions):
            self.stderr.write(f"Indexing failed for {label}: {error}")
        if staff_password:
            self.stdout.write(
                f"Staff login for /admin/: admin / {staff_password}  (shown once; change it with "
                "`manage.py changepassword admin`)"
            )
        else:
            self.stdout.write("Staff user 'admin' already existed; its password was left unchanged.")
        self.stdout.write(
            f"Modeler API token for acme (user {DEMO_MODELER}; a new one on every run, earlier ones stay valid): "
            f"{secret}"
        )

    @staticmethod
    def _staff():
        User = get_user_model()
        staff = User.objects.filter(username="admin").first()
        if staff is not None:
            return staff, None
        password = secrets.token_urlsafe(12)
        return User.objects.create_superuser("admin", "admin@example.com", password), password

    @staticmethod
    def _publish_missing_versions(project: Project, name: str, author) -> None:
        """Publish the demo versions this package has never had, as a v0 upload does."""
        used = set(
            UsedVersionNumber.objects.filter(project=project, package_name=name.lower()).values_list(
                "version", flat=True
            )
        )
        is_new = not Package.objects.named(project, name).exists()
        for version in VERSIONS:
            if version in used:
                continue
            declared = DEPENDENCIES.get((project.name, name), {}).get(version)
            stream = io.BytesIO(build_malloy_archive(name, version, dependencies=declared))
            digests = digest_stream(stream)
            publish_package(
                project=project,
                name=name,
                author=author,
                changes=PackageChanges(description=f"Demo {name} models") if is_new else PackageChanges(),
                version=version,
                upload=UploadedArchive(stream=stream, digests=digests),
                md5_hash=digests.md5,
            )
            is_new = False

    @staticmethod
    def _modeler_token(organization: Organization) -> str:
        """A new token of the demo modeler (created once, a modeler of ``organization``)."""
        User = get_user_model()
        modeler, created = User.objects.get_or_create(username=DEMO_MODELER, defaults={"email": DEMO_MODELER_EMAIL})
        if created:
            modeler.set_unusable_password()  # it works through its tokens
            modeler.save(update_fields=["password"])
        set_grant(scope=organization, user_group_id=f"user:{modeler.username}", role=Role.MODELER)
        # Token names match ^[a-zA-Z0-9_-]+$ (Credible's rule); one per run, so the time names it.
        _, secret = issue_user_token(user=modeler, name=f"load_demo-{timezone.now():%Y%m%d-%H%M%S-%f}")
        return secret

    @staticmethod
    def _summary() -> str:
        return (
            f"{Organization.objects.count()} organizations, {Project.objects.count()} projects, "
            f"{Package.objects.count()} packages, {Version.objects.count()} versions"
        )

    @staticmethod
    def _index_summary(versions) -> str:
        counts = dict(versions.order_by().values_list("index_status").annotate(n=Count("pk")))
        parts = [f"{counts[status]} {status}" for status in IndexStatus.values if counts.get(status)]
        waiting = counts.get(IndexStatus.UNKNOWN, 0) + counts.get(IndexStatus.INDEXING, 0)
        note = ""
        if waiting:  # in-process (no broker) every version is indexed by now, unless indexing broke
            note = (
                " (to retry, reindex them in the admin)"
                if settings.CELERY_TASK_ALWAYS_EAGER
                else " (queued for the workers)"
            )
        return (", ".join(parts) or "no versions") + note

    @staticmethod
    def _failed(versions) -> list[tuple[str, str]]:
        failed = versions.filter(index_status=IndexStatus.FAILED).select_related("package")
        return [(version.label, version.index_error) for version in failed]

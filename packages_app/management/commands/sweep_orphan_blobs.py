"""Remove stored blobs and artifact rows that no version references (what failed uploads leave behind)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from packages_app.blobs import sweep_orphan_blobs


class Command(BaseCommand):
    help = "Delete artifacts and blobs no version references, older than the grace window."

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace-seconds",
            type=int,
            default=None,
            help=f"Leave anything younger alone (default REGISTRY_ORPHAN_GRACE_SECONDS={settings.REGISTRY_ORPHAN_GRACE_SECONDS}).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Only list what would be deleted.")

    def handle(self, *args, grace_seconds, dry_run, **options):
        report = sweep_orphan_blobs(grace_seconds=grace_seconds, dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        for sha256 in report.artifacts_deleted:
            self.stdout.write(f"{verb} artifact sha256:{sha256}")
        for key in report.blobs_deleted:
            self.stdout.write(f"{verb} blob {key}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {len(report.artifacts_deleted)} artifacts and {len(report.blobs_deleted)} blobs"
            )
        )

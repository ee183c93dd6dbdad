from django.apps import AppConfig


class PackagesAppConfig(AppConfig):
    name = "packages_app"
    verbose_name = "Packages"

    def ready(self) -> None:
        from packages_app import models
        from packages_app.services import outside_dependents, release_packages_of_projects
        from registry import hooks

        hooks.register_grants_inside_projects(
            hooks.GrantsInsideProjects(
                item_model=models.Package,
                field="package",
                grant_model=models.PackageGrant,
                request_model=models.PackagePermissionRequest,
            )
        )
        hooks.register_projects_deletion_step(release_packages_of_projects)
        hooks.register_projects_deletion_blocker(
            lambda projects: [
                f"{label} depends on it"
                for label in outside_dependents(models.Package.objects.filter(project__in=projects))
            ]
        )
        hooks.register_models_deleted_with_their_owner(
            models.Version,
            models.UsedVersionNumber,
            models.Dependency,
            models.LockEntry,
            models.IndexEntry,
            models.Artifact,
            models.ArtifactReplica,
        )

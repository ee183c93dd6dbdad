from django.apps import AppConfig


class ComponentsAppConfig(AppConfig):
    name = "components_app"
    verbose_name = "Components"

    def ready(self) -> None:
        from components_app import models
        from components_app.services import purge_components_of_projects
        from registry import hooks

        # After packages_app's step (INSTALLED_APPS order): published snapshots protect package versions.
        hooks.register_projects_deletion_step(purge_components_of_projects)
        hooks.register_models_deleted_with_their_owner(
            models.ComponentVersion, models.PackageComponent, models.Component
        )

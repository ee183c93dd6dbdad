from django.apps import AppConfig


class PackagesAppConfig(AppConfig):
    name = "packages_app"
    verbose_name = "Packages"

    def ready(self) -> None:
        from packages_app.services import release_packages_of_projects
        from registry import hooks

        hooks.register_projects_deletion_step(release_packages_of_projects)

from django.apps import AppConfig


class ComponentsAppConfig(AppConfig):
    name = "components_app"
    verbose_name = "Components"

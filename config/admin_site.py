"""The staff console's admin site: the stock Django admin with a registry dashboard on its index page."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class RegistryAdminSite(admin.AdminSite):
    site_header = "Package Registry"
    site_title = "Package Registry admin"
    index_title = "Registry dashboard"
    index_template = "admin/registry_index.html"

    def index(self, request, extra_context=None):
        from packages_app.admin_selectors import dashboard_summary  # the dashboard reads every app

        return super().index(request, {**(extra_context or {}), "dashboard": dashboard_summary()})


class RegistryAdminConfig(AdminConfig):
    """Installed instead of ``django.contrib.admin`` so ``admin.site`` is the registry's site."""

    default_site = "config.admin_site.RegistryAdminSite"

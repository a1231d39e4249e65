"""App configs that live in the project package (it is not an app itself)."""

from django.contrib.admin.apps import AdminConfig


class ServiceAdminConfig(AdminConfig):
    """django.contrib.admin with the service's own site (title, second factor): backend.admin_site."""

    default_site = "backend.admin_site.ServiceAdminSite"

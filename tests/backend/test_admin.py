"""Every admin list and add page renders for staff (no 500 in the back office)."""

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.roles import Role
from tests.factories import PensionerFactory, StaffFactory

pytestmark = pytest.mark.django_db

MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.fixture
def superuser_client(client):
    PensionerFactory()
    user = StaffFactory(is_superuser=True, roles=[Role.ADMIN])
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_the_changelist_renders(superuser_client, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert superuser_client.get(url).status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_read_only_models_refuse_the_add_page(superuser_client, model):
    model_admin = admin.site._registry[model]
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    response = superuser_client.get(url)
    assert response.status_code == (200 if model_admin.has_add_permission(response.wsgi_request) else 403)


def test_the_audit_log_cannot_be_added_or_changed_in_the_admin(superuser_client):
    from accounts.models import AuditEvent

    model_admin = admin.site._registry[AuditEvent]
    request = superuser_client.get(reverse("admin:index")).wsgi_request
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)

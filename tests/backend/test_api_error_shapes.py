"""Errors a careless client runs into still answer the one JSON shape, in Chinese."""

import pytest
import yaml
from rest_framework.test import APIClient

from accounts.roles import Role
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

PAGINATED_LISTS = [
    "/api/v1/assistant/pensioners",
    "/api/v1/cases",
    "/api/v1/death-reports",
    "/api/v1/monthly-reports",
    "/api/v1/overpayments",
    "/api/v1/pensioners/{pensioner_id}/payments",
    "/api/v1/certification/history",
    "/api/v1/chatbot/messages",
    "/api/v1/me/access-log",
]


@pytest.fixture(scope="module")
def schema(django_db_blocker):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/")
    return yaml.safe_load(response.content)


@pytest.mark.parametrize("path", PAGINATED_LISTS)
def test_paginated_lists_are_documented_as_pages(schema, path):
    body = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert body["$ref"].startswith("#/components/schemas/Paginated"), body
    page = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert {"count", "next", "previous", "results"} <= set(page["properties"])


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_unknown_api_urls_answer_json_for_every_method(method):
    client = APIClient(enforce_csrf_checks=True)
    response = getattr(client, method)("/api/v1/no-such-thing", {}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_session_post_without_the_csrf_header_is_a_csrf_error_not_a_permission_error():
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(StaffFactory(roles=[Role.CASEWORKER]))
    response = client.post("/api/v1/auth/logout-all", {}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert "CSRF" in response.json()["message"]
    assert "没有权限" not in response.json()["message"]


def test_a_null_body_is_answered_in_chinese(api_client):
    response = api_client.post("/api/v1/auth/code", "null", content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    text = str(body)
    assert "No data provided" not in text
    assert "请求内容" in text


def test_a_csrf_failure_under_api_is_json(rf):
    from backend.api.errors import csrf_failure_view

    response = csrf_failure_view(rf.post("/api/v1/anything"), reason="CSRF cookie not set.")
    assert response.status_code == 403
    assert b"csrf_failed" in response.content

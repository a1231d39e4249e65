"""One error shape for the whole API, and no 500 on bad input."""

import pytest

from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def assert_error_shape(response, status, code):
    body = response.json()
    assert response.status_code == status
    assert set(body) >= {"code", "message", "fields"}
    assert body["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), body["message"]


def test_malformed_json_is_a_clear_400(api_client):
    response = api_client.post("/api/v1/auth/code", "{not json", content_type="application/json")
    assert_error_shape(response, 400, "malformed_request")


def test_missing_fields_are_listed(api_client):
    response = api_client.post("/api/v1/auth/login", {}, format="json")
    assert_error_shape(response, 400, "invalid")
    assert set(response.json()["fields"]) == {"phone", "code"}


def test_wrong_types_are_a_400_not_a_500(api_client):
    response = api_client.post("/api/v1/auth/login", {"phone": ["x"], "code": {"a": 1}}, format="json")
    assert_error_shape(response, 400, "invalid")


def test_an_unknown_url_is_a_json_404(api_client):
    assert_error_shape(api_client.get("/api/v1/no-such-thing"), 404, "not_found")


def test_a_wrong_method_is_a_405():
    assert_error_shape(client_for(UserFactory()).delete("/api/v1/me"), 405, "method_not_allowed")


def test_an_invalid_token_is_a_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-real-token")
    assert_error_shape(api_client.get("/api/v1/me"), 401, "authentication_failed")


def test_a_huge_phone_is_refused(api_client):
    response = api_client.post("/api/v1/auth/code", {"phone": "1" * 10000}, format="json")
    assert_error_shape(response, 400, "invalid")


def test_an_out_of_range_page_is_a_clear_404():
    from tests.factories import PensionerFactory, pensioner_user

    client = client_for(pensioner_user(PensionerFactory()))
    assert_error_shape(client.get("/api/v1/certification/history?page=999"), 404, "not_found")


def test_the_openapi_schema_and_docs_are_served(api_client):
    schema = api_client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    assert "/api/v1/certification/status" in schema.json()["paths"]
    assert api_client.get("/api/docs/").status_code == 200


def test_an_unknown_api_url_is_json_even_in_debug_mode(api_client, settings):
    settings.DEBUG = True
    assert_error_shape(api_client.get("/api/v1/no-such-thing"), 404, "not_found")


def test_a_database_that_is_restarting_is_a_503_with_retry_after_not_a_500():
    from unittest import mock

    from django.db import OperationalError

    from tests.factories import PensionerFactory, pensioner_user

    user = pensioner_user(PensionerFactory())
    down = OperationalError("FATAL:  the database system is shutting down")
    with mock.patch("selfservice.apis.certification_status", side_effect=down):
        response = client_for(user).get("/api/v1/certification/status")
    assert_error_shape(response, 503, "service_unavailable")
    assert response["Retry-After"] == "5"

"""Throw random input at every operation in the OpenAPI schema: never a 500, always the error shape.

The operations come from the live schema, so endpoints added later are fuzzed too.
"""

from __future__ import annotations

import json

import pytest
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.roles import Role
from accounts.services import user_add_role
from tests.conftest import client_for
from tests.factories import PensionerFactory, RelativeLinkFactory, pensioner_user

pytestmark = pytest.mark.django_db

SKIP_PREFIXES = ("/api/v1/sms/",)  # signature-checked webhooks have their own tests
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False),
    st.text(max_size=300),
    st.sampled_from(["", "0", "-1", "13800138000", "11010119491001001X", "<script>", "' OR 1=1 --", "😀" * 50]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _operations() -> list[tuple[str, str, list[str]]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = []
    for path, item in schema["paths"].items():
        if path.startswith(SKIP_PREFIXES):
            continue
        for method, operation in item.items():
            fields: list[str] = []
            body = operation.get("requestBody", {}).get("content", {})
            for content in body.values():
                fields += list(content.get("schema", {}).get("properties", {}))
                ref = content.get("schema", {}).get("$ref")
                if ref:
                    component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
                    fields += list(component.get("properties", {}))
            params = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"]
            operations.append((method.upper(), path, sorted(set(fields)) + [f"?{p}" for p in params]))
    return operations


OPERATIONS = _operations()


def test_the_schema_lists_the_core_operations():
    paths = {path for _method, path, _fields in OPERATIONS}
    assert {"/api/v1/auth/login", "/api/v1/certification/status", "/api/v1/me"} <= paths


@pytest.fixture
def actor_client():
    pensioner = PensionerFactory()
    pensioner_user(pensioner)
    relative = RelativeLinkFactory(pensioner=pensioner).relative
    user_add_role(user=relative, role=Role.VILLAGE_ASSISTANT)
    return client_for(relative)


@pytest.mark.parametrize(("method", "path", "fields"), OPERATIONS, ids=[f"{m} {p}" for m, p, _f in OPERATIONS])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_input_never_causes_a_server_error(actor_client, method, path, fields, data):
    url = path
    while "{" in url:
        start, end = url.index("{"), url.index("}")
        url = (
            url[:start]
            + str(data.draw(st.one_of(st.integers(-5, 10**12), st.text("abc-_%", min_size=1, max_size=8))))
            + url[end + 1 :]
        )
    body_fields = [f for f in fields if not f.startswith("?")]
    query = {f[1:]: data.draw(st.text(max_size=20)) for f in fields if f.startswith("?") and data.draw(st.booleans())}
    payload = data.draw(st.fixed_dictionaries({}, optional=dict.fromkeys(body_fields, json_values)) | json_values)
    if query:
        from urllib.parse import urlencode

        url += "?" + urlencode(query)
    response = actor_client.generic(method, url, json.dumps(payload), content_type="application/json")
    assert response.status_code < 500, (method, url, payload, response.content[:300])
    if response.status_code >= 400:
        body = response.json()
        assert {"code", "message"} <= set(body), body

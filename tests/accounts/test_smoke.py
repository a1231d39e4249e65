import pytest

from tests.conftest import client_for
from tests.factories import PensionerFactory, pensioner_user


@pytest.mark.django_db
def test_a_pensioner_reads_their_own_status():
    pensioner = PensionerFactory()
    response = client_for(pensioner_user(pensioner)).get("/api/v1/certification/status")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "certified"

import pytest
from django.core.management import call_command

from accounts.models import Pensioner, User
from selfservice.selectors import certification_status

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_covers_every_state(capsys):
    call_command("seed_demo", pensioners=60)
    first = (Pensioner.objects.count(), User.objects.count())
    call_command("seed_demo", pensioners=60)
    assert (Pensioner.objects.count(), User.objects.count()) == first == (60, first[1])
    states = {certification_status(pensioner=p).state for p in Pensioner.objects.select_related("last_certification")}
    assert states == {"certified", "due_soon", "overdue", "suspended", "deceased"}
    assert "13800000001" in capsys.readouterr().out

import pytest
from django.db import transaction

from backend.locks import lock_key, session_lock, transaction_lock

pytestmark = pytest.mark.django_db


def test_the_key_is_stable_and_fits_in_a_bigint():
    assert lock_key("one-time-code:+8613800138000") == lock_key("one-time-code:+8613800138000")
    assert -(2**63) <= lock_key("x") < 2**63
    assert lock_key("a") != lock_key("b")


@pytest.mark.django_db(transaction=True)
def test_a_transaction_lock_outside_a_transaction_is_a_programming_error():
    with pytest.raises(RuntimeError):
        transaction_lock("x")


def test_both_locks_can_be_taken_and_released():
    with transaction.atomic():
        transaction_lock("x")
    with session_lock("y"), session_lock("z"):
        pass

"""Factories for the notifications tests (the shared ones live in tests/factories.py)."""

from __future__ import annotations

import factory
from django.utils import timezone

from notifications.models import SmsOutbox


class SmsOutboxFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SmsOutbox

    recipient = factory.Sequence(lambda n: f"+86137{n:08d}")
    kind = "notice"
    template = "notice"
    text = factory.Sequence(lambda n: f"【人社局】测试通知{n}")
    reason = factory.Sequence(lambda n: f"test:{n}")
    send_after = factory.LazyFunction(timezone.now)

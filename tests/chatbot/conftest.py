"""People for chatbot conversations: a pensioner with an account, a daughter linked to both
parents, and a stranger whose data must never appear."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Pensioner, RelativeLink, User
from accounts.roles import Role
from tests.conftest import client_for
from tests.factories import PensionerFactory, RelativeLinkFactory, UserFactory, pensioner_user


@dataclass
class Family:
    mother: Pensioner
    father: Pensioner
    daughter: User
    mother_user: User
    stranger: Pensioner


@pytest.fixture
def family(db) -> Family:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    mother = PensionerFactory(name="王秀英", sex="F", next_due=today + datetime.timedelta(days=200))
    father = PensionerFactory(name="李建国", sex="M", next_due=today + datetime.timedelta(days=12))
    mother_user = pensioner_user(mother)
    daughter = UserFactory(roles=[Role.RELATIVE])
    for parent in (mother, father):
        RelativeLinkFactory(relative=daughter, pensioner=parent, relationship=RelativeLink.Relationship.CHILD)
    stranger = PensionerFactory(name="张桂兰", sex="F", next_due=today - datetime.timedelta(days=40))
    return Family(mother=mother, father=father, daughter=daughter, mother_user=mother_user, stranger=stranger)


class Chat:
    """A logged-in app user talking to the bot through the real API."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.client: APIClient = client_for(user)
        self.last: dict = {}

    def say(self, text: str = "", payload: str = "", **extra) -> dict:  # type: ignore[no-untyped-def]
        response = self.client.post(
            "/api/v1/chatbot/messages", {"text": text, "payload": payload, **extra}, format="json"
        )
        assert response.status_code == 200, response.json()
        self.last = response.json()
        return self.last

    def tap(self, payload: str) -> dict:
        labels = {b["payload"]: b["label"] for b in self.last.get("reply", {}).get("buttons", [])}
        assert payload in labels, (payload, labels)
        return self.say(labels[payload], payload)

    @property
    def payloads(self) -> list[str]:
        return [b["payload"] for b in self.last["reply"]["buttons"]]

    @property
    def text(self) -> str:
        return self.last["reply"]["text"]

    @property
    def state(self) -> str:
        return self.last["state"]

    @property
    def action(self) -> dict | None:
        return self.last["reply"]["action"]


@pytest.fixture
def chat_as():  # type: ignore[no-untyped-def]
    return Chat

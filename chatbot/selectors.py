"""Reads for the chatbot: who a message may talk about, offices, history, callback requests."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from accounts.lookups import phone_index
from accounts.models import Pensioner, Region, RelativeLink, User
from accounts.selectors import (
    CAPABILITIES,
    Capability,
    Relationship,
    pensioners_in_scope,
    relative_links_of,
    scope_q,
    user_is_staff_member,
)
from chatbot.models import CallbackRequest, Channel, Message


@dataclass
class Audience:
    """Whose personal data a conversation may disclose, decided once per message.

    ``people`` is the only source of personal answers: whom the user may act for
    (``Capability.ACT_FOR``: the pensioner themself and approved relatives) in the app, or the
    pensioners whose registered phone sent the SMS. Nobody else is ever looked up, whatever name
    or ID number the text contains. What the asker may do for each of them is decided by
    ``accounts.selectors.CAPABILITIES`` (:meth:`may`).
    """

    user: User | None
    phone: str
    channel: str
    people: list[Pensioner] = field(default_factory=list)
    own_ids: frozenset[int] = frozenset()
    links: dict[int, RelativeLink] = field(default_factory=dict)

    def is_own(self, pensioner: Pensioner) -> bool:
        return pensioner.pk in self.own_ids

    def person(self, pensioner_id: int | str | None) -> Pensioner | None:
        try:
            wanted = int(pensioner_id)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
        return next((p for p in self.people if p.pk == wanted), None)

    def relationships(self, pensioner: Pensioner) -> frozenset[Relationship]:
        """How the asker stands to one of their people (nobody else: the empty set)."""
        found = set()
        if pensioner.pk in self.own_ids:
            found.add(Relationship.SELF)
        if pensioner.pk in self.links:
            found.add(Relationship.RELATIVE)
        return frozenset(found)

    def may(self, pensioner: Pensioner, capability: Capability) -> bool:
        return bool(self.relationships(pensioner) & CAPABILITIES[capability])

    def people_who_may(self, capability: Capability) -> list[Pensioner]:
        return [p for p in self.people if self.may(p, capability)]

    @property
    def own(self) -> list[Pensioner]:
        return [p for p in self.people if p.pk in self.own_ids]

    @property
    def relatives(self) -> list[Pensioner]:
        return [p for p in self.people if p.pk in self.links]


def audience_for_user(*, user: User) -> Audience:
    """An app user: the people they act for, with the link that makes each a relative."""
    people = list(
        pensioners_in_scope(actor=user, capability=Capability.ACT_FOR)
        .select_related("last_certification", "region")
        .order_by("pk")
    )
    links = {
        link.pensioner_id: link
        for link in relative_links_of(relative=user).filter(
            status=RelativeLink.Status.APPROVED, pensioner__in=[p.pk for p in people]
        )
    }
    own = frozenset(p.pk for p in people if p.user_id == user.pk)
    return Audience(
        user=user,
        phone=user.phone or "",
        channel=Channel.APP,
        people=people,
        own_ids=own,
        links={pk: link for pk, link in links.items() if pk not in own},
    )


def audience_for_phone(*, phone: str) -> Audience:
    """An SMS sender: the account with this phone if there is one, otherwise the pensioners who
    registered this number (a couple may share one phone). Unknown numbers get no personal data."""
    user = User.objects.filter(phone_bidx=phone_index(phone), is_active=True).first() if phone else None
    if user is not None:
        audience = audience_for_user(user=user)
        audience.channel = Channel.SMS
        audience.phone = phone
        on_record = Pensioner.objects.filter(phone_bidx=phone_index(phone)).exclude(
            pk__in=[p.pk for p in audience.people]
        )
        extra = list(on_record.select_related("last_certification", "region"))
        audience.people += extra
        audience.own_ids = audience.own_ids | {p.pk for p in extra}
        return audience
    people = (
        list(Pensioner.objects.filter(phone_bidx=phone_index(phone)).select_related("last_certification", "region"))
        if phone
        else []
    )
    return Audience(user=None, phone=phone, channel=Channel.SMS, people=people, own_ids=frozenset(p.pk for p in people))


@dataclass(frozen=True)
class Office:
    name: str
    address: str
    phone: str


def service_office_for(*, region: Region | None) -> Office | None:
    """The nearest office up the region chain that published an address or a phone number."""
    node = region
    hops = 0
    while node is not None and hops < 6:
        if node.service_address or node.service_phone:
            return Office(name=node.name, address=node.service_address, phone=node.service_phone)
        node = node.parent
        hops += 1
    return None


def messages_of_user(*, user: User) -> QuerySet[Message]:
    """The app history of one user, newest first (all their app conversations)."""
    return (
        Message.objects.filter(conversation__user=user, conversation__channel=Channel.APP)
        .select_related("conversation")
        .order_by("-created_at", "-id")
    )


def callback_requests_in_scope(*, actor: User) -> QuerySet[CallbackRequest]:
    """Staff see requests of their region's subtree; superusers see all; others none.

    Calling back is casework (``Capability.CASEWORK``, staff only). Staff scope is a region
    subtree; on a request that is its own ``region`` (the pensioner's, or the caller's when the
    request is about nobody on record), so the filter is taken on the request itself.
    """
    queryset = CallbackRequest.objects.select_related("region", "pensioner", "user", "handled_by")
    scope, _joins_many = scope_q(actor=actor, capability=Capability.CASEWORK)
    if not scope:
        return queryset  # an empty Q is scope_q's "everything" (a superuser)
    if user_is_staff_member(actor) and actor.region is not None and actor.region.level <= Region.Level.CITY:
        # Requests from numbers we cannot place (unknown SMS senders) go to city and province staff.
        scope |= Q(region__isnull=True)
    return queryset.filter(scope)


def open_callback_request(*, phone: str, since) -> CallbackRequest | None:  # type: ignore[no-untyped-def]
    return (
        CallbackRequest.objects.filter(
            phone_bidx=phone_index(phone), status=CallbackRequest.Status.OPEN, created_at__gte=since
        )
        .order_by("-created_at")
        .first()
    )

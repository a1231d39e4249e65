from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from enum import StrEnum
from typing import TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditEvent, Pensioner, Region, RelativeLink, User, VillageAssignment
from accounts.roles import STAFF_ROLES, Role
from backend.api.errors import NotFoundError

_M = TypeVar("_M", bound=Model)


def user_roles(user: User) -> frozenset[str]:
    """Group names, fetched once per request object and cached on it."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_role_cache", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            cached = cached | {Role.ADMIN}
        user._role_cache = cached  # type: ignore[attr-defined]  # a per-request cache, not a field
    return cached


def user_has_role(user: User, role: Role) -> bool:
    return role in user_roles(user)


def user_is_staff_member(user: User) -> bool:
    return bool(user_roles(user) & STAFF_ROLES)


def region_subtree_q(region: Region, *, field: str = "region") -> Q:
    """Q for rows whose region lies in ``region``'s subtree (the division code prefix)."""
    return Q(**{f"{field}__code__startswith": region.prefix})


class Relationship(StrEnum):
    """How an actor stands to a pensioner. One person may stand in several at once."""

    SELF = "self"
    RELATIVE = "relative"  # an approved RelativeLink
    VILLAGE_ASSISTANT = "village_assistant"  # assigned to the pensioner's village
    GRID_WORKER = "grid_worker"  # social-service staff assigned to the pensioner's village/community
    STAFF = "staff"  # back office, inside their region subtree


class Capability(StrEnum):
    """What someone may do for a pensioner. ``CAPABILITIES`` says which relationship may do it."""

    READ_STATUS = "read_status"  # status, history, the chatbot's answers about them
    READ_MONEY = "read_money"  # payments, held months, overpayments
    CERTIFY_BY_FACE = "certify_by_face"  # a selfie: oneself, or an approved relative (proxy)
    REPORT_DEATH = "report_death"
    ACT_FOR = "act_for"  # offered in the app and the chatbot as "whom I act for"
    CASEWORK = "casework"  # open, accept, review cases; upload staff evidence; enroll faces
    VILLAGE_REPORT = "village_report"  # file the village's monthly report; list the village's people for it
    RECORD_VISIT = "record_visit"  # record an on-site/counter certification; work the visit queue


_EVERYONE = frozenset(Relationship)

#: The one table of who may do what for a pensioner. Every API, admin and selector asks it.
CAPABILITIES: dict[Capability, frozenset[Relationship]] = {
    Capability.READ_STATUS: _EVERYONE,
    # The village assistant's job is reporting, not money.
    Capability.READ_MONEY: frozenset({Relationship.SELF, Relationship.RELATIVE, Relationship.STAFF}),
    Capability.CERTIFY_BY_FACE: frozenset({Relationship.SELF, Relationship.RELATIVE}),
    # Nobody reports their own death.
    Capability.REPORT_DEATH: frozenset(
        {Relationship.RELATIVE, Relationship.VILLAGE_ASSISTANT, Relationship.GRID_WORKER, Relationship.STAFF}
    ),
    Capability.ACT_FOR: frozenset({Relationship.SELF, Relationship.RELATIVE}),
    Capability.CASEWORK: frozenset({Relationship.STAFF}),
    Capability.VILLAGE_REPORT: frozenset({Relationship.VILLAGE_ASSISTANT}),
    Capability.RECORD_VISIT: frozenset({Relationship.VILLAGE_ASSISTANT, Relationship.GRID_WORKER, Relationship.STAFF}),
}

#: Relationships that come from a VillageAssignment, and the role that must go with the assignment.
_ASSIGNED: dict[Relationship, Role] = {
    Relationship.VILLAGE_ASSISTANT: Role.VILLAGE_ASSISTANT,
    Relationship.GRID_WORKER: Role.GRID_WORKER,
}


def _assigned_in(allowed: frozenset[Relationship], roles: frozenset[str]) -> bool:
    """Whether ``allowed`` reaches the actor through their assigned villages."""
    return any(relationship in allowed and role in roles for relationship, role in _ASSIGNED.items())


def _join(path: str, field: str) -> str:
    return f"{path}__{field}" if path else field


def scope_q(*, actor: User, capability: Capability = Capability.READ_STATUS, path: str = "") -> tuple[Q, bool]:
    """The rows ``actor`` may reach for ``capability``, as a filter on any model with a pensioner.

    ``path`` is the lookup from the model to ``Pensioner`` ("" on Pensioner itself,
    "pensioner" on a Case). Returns the filter and whether it joins to-many relations (then the
    caller must deduplicate; ``scoped`` does). A superuser on a staff capability gets everything.
    """
    allowed = CAPABILITIES[capability]
    roles = user_roles(actor)
    scope = Q(pk__in=[])
    joins_many = False
    if not roles:
        return scope, False
    if Relationship.SELF in allowed and Role.PENSIONER in roles:
        scope |= Q(**{_join(path, "user"): actor})
    if Relationship.RELATIVE in allowed and roles & {Role.RELATIVE, Role.PENSIONER}:
        scope |= Q(
            **{
                _join(path, "relative_links__relative"): actor,
                _join(path, "relative_links__status"): RelativeLink.Status.APPROVED,
            }
        )
        joins_many = True
    if _assigned_in(allowed, roles):
        scope |= Q(**{_join(path, "region__village_assignments__user"): actor})
        joins_many = True
    if Relationship.STAFF in allowed and roles & STAFF_ROLES:
        if actor.is_superuser:
            return Q(), False
        if actor.region is not None:
            scope |= region_subtree_q(actor.region, field=_join(path, "region"))
    return scope, joins_many


def scoped(
    queryset: QuerySet[_M], *, actor: User, capability: Capability = Capability.READ_STATUS, path: str = ""
) -> QuerySet[_M]:
    """``queryset`` narrowed to what ``actor`` may reach; each row once."""
    scope, joins_many = scope_q(actor=actor, capability=capability, path=path)
    if joins_many:
        # Joins through to-many relations can repeat rows; a subquery keeps the outer query simple.
        return queryset.filter(pk__in=queryset.model._default_manager.filter(scope).values("pk"))
    return queryset.filter(scope)


def region_scope_q(*, actor: User, capability: Capability, path: str = "") -> Q:
    """The regions ``actor`` may reach for ``capability``, as a filter on any model with a region.

    For village-level records (a village's monthly report, the list of villages): the assigned
    villages of a village assistant, the region subtree of staff; relationships to one person
    (self, relative) reach no region. ``path`` is the lookup from the model to ``Region`` (""
    on Region itself, "village" on a monthly report). Rows never repeat: a user is assigned to a
    village at most once. A superuser on a staff capability gets everything.
    """
    allowed = CAPABILITIES[capability]
    roles = user_roles(actor)
    scope = Q(pk__in=[])
    if _assigned_in(allowed, roles):
        scope |= Q(**{_join(path, "village_assignments__user"): actor})
    if Relationship.STAFF in allowed and roles & STAFF_ROLES:
        if actor.is_superuser:
            return Q()
        if actor.region is not None:
            scope |= Q(**{_join(path, "code__startswith"): actor.region.prefix})
    return scope


def pensioners_in_scope(*, actor: User, capability: Capability = Capability.READ_STATUS) -> QuerySet[Pensioner]:
    """Every pensioner ``actor`` may reach for ``capability`` (by default: see at all)."""
    return scoped(Pensioner.objects.all(), actor=actor, capability=capability)


def relationships_to(*, actor: User, pensioner: Pensioner) -> frozenset[Relationship]:
    """How ``actor`` stands to one pensioner, in at most two small queries."""
    roles = user_roles(actor)
    found: set[Relationship] = set()
    if Role.PENSIONER in roles and pensioner.user_id == actor.pk:
        found.add(Relationship.SELF)
    if (
        roles & {Role.RELATIVE, Role.PENSIONER}
        and pensioner.user_id != actor.pk
        and relative_link_is_approved(relative=actor, pensioner=pensioner)
    ):
        found.add(Relationship.RELATIVE)
    assigned = {relationship for relationship, role in _ASSIGNED.items() if role in roles}
    if assigned and actor.village_assignments.filter(village_id=pensioner.region_id).exists():
        found |= assigned
    if roles & STAFF_ROLES and (
        actor.is_superuser or (actor.region is not None and pensioner.region.code.startswith(actor.region.prefix))
    ):
        found.add(Relationship.STAFF)
    return frozenset(found)


def actor_may(*, actor: User, pensioner: Pensioner, capability: Capability) -> bool:
    return bool(relationships_to(actor=actor, pensioner=pensioner) & CAPABILITIES[capability])


def pensioner_get_for_actor(
    *, actor: User, pensioner_id: int | str, capability: Capability = Capability.READ_STATUS
) -> Pensioner:
    """The pensioner if ``actor`` may reach them for ``capability``; 404 otherwise, so existence
    never leaks."""
    try:
        pk = int(pensioner_id)
    except (TypeError, ValueError):
        raise NotFoundError() from None
    pensioner = (
        pensioners_in_scope(actor=actor, capability=capability)
        .select_related("last_certification", "region")
        .filter(pk=pk)
        .first()
    )
    if pensioner is None:
        raise NotFoundError()
    return pensioner


def pensioner_of_user(*, user: User) -> Pensioner | None:
    """The registry row of a pensioner who logged in, if any.

    Token authentication already loads it with the user (``accounts.auth``); otherwise one query
    with one join and no ordering (``user`` is unique, so ``get`` is exact).
    """
    if User.pensioner.is_cached(user):
        return getattr(user, "pensioner", None)
    try:
        return Pensioner.objects.select_related("last_certification").get(user_id=user.pk)
    except Pensioner.DoesNotExist:
        return None


def relative_link_is_approved(*, relative: User, pensioner: Pensioner) -> bool:
    return RelativeLink.objects.filter(
        relative=relative, pensioner=pensioner, status=RelativeLink.Status.APPROVED
    ).exists()


def pensioners_actable(*, actor: User) -> QuerySet[Pensioner]:
    """Who the app offers to act for: myself and my approved relatives (not a whole village)."""
    return pensioners_in_scope(actor=actor, capability=Capability.ACT_FOR).order_by("pk")


def relative_links_of(*, relative: User) -> QuerySet[RelativeLink]:
    """The requester's decided links. A pending request is not shown: it exists only when the ID number
    and name matched, so listing it would tell the requester that the pair is in the registry."""
    return (
        RelativeLink.objects.filter(relative=relative)
        .exclude(status=RelativeLink.Status.PENDING)
        .select_related("pensioner")
        .order_by("-requested_at")
    )


def link_requests_for_me(*, user: User) -> QuerySet[RelativeLink]:
    """Pending requests to act for the pensioner this user is, newest first (for their own app)."""
    return (
        RelativeLink.objects.filter(pensioner__user=user, status=RelativeLink.Status.PENDING)
        .select_related("relative")
        .order_by("-requested_at", "-id")
    )


# --- Whom to text about a pensioner --------------------------------------------------------


def relative_phones(*, pensioner_ids: Iterable[int]) -> dict[int, list[tuple[int, str]]]:
    """Approved relatives with a phone, per pensioner: ``{pensioner_id: [(user_id, phone), ...]}``."""
    ids = list(pensioner_ids)
    found: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if not ids:
        return found
    rows = RelativeLink.objects.filter(
        pensioner_id__in=ids,
        status=RelativeLink.Status.APPROVED,
        relative__phone__isnull=False,
        relative__is_active=True,
    ).values_list("pensioner_id", "relative_id", "relative__phone")
    for pensioner_id, user_id, phone in rows.order_by("pensioner_id", "relative_id"):
        if phone:
            found[pensioner_id].append((user_id, phone))
    return found


def village_assistant_phones(*, village_ids: Iterable[int]) -> dict[int, list[tuple[int, str]]]:
    """Assistants assigned to each village who have a phone: ``{village_id: [(user_id, phone), ...]}``."""
    ids = list(set(village_ids))
    found: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if not ids:
        return found
    rows = VillageAssignment.objects.filter(
        village_id__in=ids, user__phone__isnull=False, user__is_active=True
    ).values_list("village_id", "user_id", "user__phone")
    for village_id, user_id, phone in rows.order_by("village_id", "user_id"):
        if phone:
            found[village_id].append((user_id, phone))
    return found


# --- PIPL right to know: who read or changed my data ----------------------------------------


def access_log_events(*, user: User) -> QuerySet[AuditEvent]:
    """Events about the person behind ``user``: their registry row (and everything filed under it,
    by ``pensioner_id_ref``) and their own account, newest first."""
    own = Q(target_type=User._meta.label_lower, target_id=str(user.pk))
    pensioner_id = Pensioner.objects.filter(user=user).values_list("pk", flat=True).first()
    if pensioner_id is not None:
        own |= Q(pensioner_id_ref=pensioner_id)
    return (
        AuditEvent.objects.filter(own)
        .select_related("actor", "actor__region")
        .only("id", "created_at", "action", "target_type", "actor", "actor__id", "actor__region__name")
        .order_by("-created_at", "-id")
    )


ROLE_LABELS = {
    Role.ADMIN: _("administrator"),
    Role.REVIEWER: _("reviewer"),
    Role.CASEWORKER: _("caseworker"),
    Role.VILLAGE_ASSISTANT: _("village assistant"),
    Role.RELATIVE: _("family member"),
}


def access_log_actor(*, actor: User | None, subject: User) -> tuple[str, str]:
    """(kind, label) for who acted, masked to role and office: staff names are never shown."""
    if actor is None:
        return "system", str(_("the system"))
    if actor.pk == subject.pk:
        return "self", str(_("you"))
    roles = user_roles(actor)
    for role in (Role.ADMIN, Role.REVIEWER, Role.CASEWORKER):
        if role in roles:
            office = actor.region.name if actor.region is not None else ""
            return "staff", f"{ROLE_LABELS[role]} · {office}" if office else str(ROLE_LABELS[role])
    if Role.VILLAGE_ASSISTANT in roles:
        village = actor.villages.order_by("code").values_list("name", flat=True).first()
        label = ROLE_LABELS[Role.VILLAGE_ASSISTANT]
        return "assistant", f"{label} · {village}" if village else str(label)
    if actor.is_staff:
        return "staff", str(_("service staff"))
    return "relative", str(ROLE_LABELS[Role.RELATIVE])

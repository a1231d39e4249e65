from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import Pensioner, Region, RelativeLink, User
from accounts.roles import STAFF_ROLES, Role
from backend.api.errors import NotFoundError


def user_roles(user: User) -> frozenset[str]:
    """Group names, fetched once per request object and cached on it."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_role_cache", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            cached = cached | {Role.ADMIN}
        user._role_cache = cached
    return cached


def user_has_role(user: User, role: Role) -> bool:
    return role in user_roles(user)


def user_is_staff_member(user: User) -> bool:
    return bool(user_roles(user) & STAFF_ROLES)


def region_subtree_q(region: Region, *, field: str = "region") -> Q:
    """Q for rows whose region lies in ``region``'s subtree (the division code prefix)."""
    return Q(**{f"{field}__code__startswith": region.prefix})


def pensioners_in_scope(*, actor: User) -> QuerySet[Pensioner]:
    """Every pensioner ``actor`` may see: self, approved links, assigned villages, staff subtree.

    The union of the actor's roles; empty for anyone else. Everything that reads another
    person's data goes through here so the scope rules live in one place.
    """
    roles = user_roles(actor)
    if not roles:
        return Pensioner.objects.none()
    scope = Q(pk__in=[])
    if Role.PENSIONER in roles:
        scope |= Q(user=actor)
    if Role.RELATIVE in roles or Role.PENSIONER in roles:
        scope |= Q(relative_links__relative=actor, relative_links__status=RelativeLink.Status.APPROVED)
    if Role.VILLAGE_ASSISTANT in roles:
        scope |= Q(region__village_assignments__user=actor)
    if roles & STAFF_ROLES:
        if actor.is_superuser:
            return Pensioner.objects.all()
        if actor.region_id is not None:
            region = actor.region
            scope |= region_subtree_q(region)
    if Role.RELATIVE in roles or Role.PENSIONER in roles or Role.VILLAGE_ASSISTANT in roles:
        # Joins through to-many relations can repeat rows; a subquery keeps the outer query simple.
        return Pensioner.objects.filter(pk__in=Pensioner.objects.filter(scope).values("pk"))
    return Pensioner.objects.filter(scope)


def pensioner_get_for_actor(*, actor: User, pensioner_id: int | str) -> Pensioner:
    """The pensioner if in ``actor``'s scope; 404 otherwise, so existence never leaks."""
    try:
        pk = int(pensioner_id)
    except (TypeError, ValueError):
        raise NotFoundError() from None
    pensioner = pensioners_in_scope(actor=actor).select_related("last_certification", "region").filter(pk=pk).first()
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
    return (
        Pensioner.objects.filter(
            Q(user=actor) | Q(relative_links__relative=actor, relative_links__status=RelativeLink.Status.APPROVED)
        )
        .distinct()
        .order_by("pk")
    )


def relative_links_of(*, relative: User) -> QuerySet[RelativeLink]:
    return RelativeLink.objects.filter(relative=relative).select_related("pensioner").order_by("-requested_at")

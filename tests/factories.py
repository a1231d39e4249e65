"""Shared factories. Apps may append their own below (append only)."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.idnumbers import check_digit
from accounts.models import Pensioner, Region, RelativeLink, User, VillageAssignment
from accounts.roles import Role
from accounts.services import user_add_role
from backend.dates import add_months
from selfservice.benefits import benefit_state_for_summary
from selfservice.models import Benefit

_ISSUED_ID_NUMBERS: set[str] = set()


def make_id_number(*, birth: datetime.date | None = None, area: str = "360102", male: bool | None = None) -> str:
    """A valid 18-character ID number (independent of Faker's generator), never issued twice.

    Why the memory: one area and birth date leave 500 numbers of a sex, so a test that makes a few
    hundred people drew the same number now and then (a unique-index failure in a random test).
    """
    for _ in range(1000):
        day = birth or datetime.date(random.randint(1930, 1965), random.randint(1, 12), random.randint(1, 28))
        seq = random.randint(0, 99)
        sex_digit = (
            random.choice([1, 3, 5, 7, 9] if male else [0, 2, 4, 6, 8]) if male is not None else random.randint(0, 9)
        )
        body = f"{area}{day:%Y%m%d}{seq:02d}{sex_digit}"
        number = body + check_digit(body)
        if number not in _ISSUED_ID_NUMBERS:
            _ISSUED_ID_NUMBERS.add(number)
            return number
    raise RuntimeError(f"no unused ID number left for area {area} and birth date {birth}")


class RegionFactory(factory.django.DjangoModelFactory):
    """A full chain province → village; ``RegionFactory()`` returns the village."""

    class Meta:
        model = Region
        django_get_or_create = ("code",)

    level = Region.Level.VILLAGE
    name = factory.Sequence(lambda n: f"村{n}")
    # Township and village parts never 000 (that is the code of the level above).
    code = factory.Sequence(lambda n: f"360102{(n // 100) % 999 + 1:03d}{n % 100 + 1:03d}")

    @factory.lazy_attribute
    def parent(self):  # type: ignore[no-untyped-def]
        if self.level == Region.Level.PROVINCE:
            return None
        parent_level = self.level - 1
        prefix_len = Region.PREFIX_LENGTH[parent_level]
        parent_code = self.code[:prefix_len].ljust(12, "0")
        return RegionFactory(code=parent_code, level=parent_level, name=f"区划{parent_code}")


def village_in(county_prefix: str, n: int) -> Region:
    """Village number ``n`` of a county given by its 6-digit prefix (one township)."""
    return RegionFactory(code=f"{county_prefix}001{n:03d}", level=Region.Level.VILLAGE)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    phone = factory.Sequence(lambda n: f"+86139{n:08d}")
    username = factory.LazyAttribute(lambda o: o.phone or f"staff{random.randint(0, 10**9)}")
    first_name = factory.Faker("name", locale="zh_CN")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        for role in extracted or ():
            user_add_role(user=self, role=Role(role))


class StaffFactory(UserFactory):
    phone = None
    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True
    region = factory.LazyFunction(lambda: RegionFactory(code="360102000000", level=Region.Level.COUNTY))


class PensionerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pensioner
        skip_postgeneration_save = True

    name = factory.Faker("name", locale="zh_CN")
    birth_date = factory.LazyFunction(lambda: datetime.date(random.randint(1930, 1964), random.randint(1, 12), 15))
    sex = "F"
    id_number = factory.LazyAttribute(lambda o: make_id_number(birth=o.birth_date, area=o.region.code[:6], male=False))
    phone = factory.Sequence(lambda n: f"+86138{n:08d}")
    region = factory.SubFactory(RegionFactory)
    benefit_status = Pensioner.BenefitStatus.ACTIVE
    status_since = datetime.date(2015, 1, 1)
    next_due = factory.LazyFunction(lambda: add_months(timezone.localdate(), 6))

    # The person's one benefit (not fields of the person), created to match the summary above.
    benefit_type = Benefit.Kind.ENTERPRISE
    monthly_amount = Decimal("3200.00")
    benefit_start = datetime.date(2015, 1, 1)

    @factory.post_generation
    def benefit(obj: Pensioner, create: bool, extracted: object, **kwargs: object) -> None:
        if not create or extracted is False:
            return
        factory_params = obj._factory_params  # type: ignore[attr-defined]
        Benefit.objects.create(
            pensioner=obj,
            kind=factory_params["benefit_type"],
            monthly_amount=factory_params["monthly_amount"],
            start_date=factory_params["benefit_start"],
            **benefit_state_of(obj),
        )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):  # type: ignore[no-untyped-def]
        params = {name: kwargs.pop(name) for name in BENEFIT_PARAMS}
        obj = super()._create(model_class, *args, **kwargs)
        obj._factory_params = params
        return obj

    @classmethod
    def _build(cls, model_class, *args, **kwargs):  # type: ignore[no-untyped-def]
        for name in BENEFIT_PARAMS:
            kwargs.pop(name)
        return super()._build(model_class, *args, **kwargs)


BENEFIT_PARAMS = ("benefit_type", "monthly_amount", "benefit_start")


def benefit_state_of(pensioner: Pensioner) -> dict[str, object]:
    """The benefit fields that match a person's summary (status, reason, since)."""
    status, reason = benefit_state_for_summary(
        pensioner.benefit_status, pensioner.suspension_reason, deceased=pensioner.deceased_on is not None
    )
    return {"status": status, "status_reason": reason, "status_since": pensioner.status_since}


class RelativeLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RelativeLink

    relative = factory.SubFactory(UserFactory, roles=[Role.RELATIVE])
    pensioner = factory.SubFactory(PensionerFactory)
    relationship = RelativeLink.Relationship.CHILD
    status = RelativeLink.Status.APPROVED


class VillageAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VillageAssignment

    user = factory.SubFactory(UserFactory, roles=[Role.VILLAGE_ASSISTANT])
    village = factory.SubFactory(RegionFactory)


def pensioner_user(pensioner: Pensioner) -> User:
    """Give a registry row its login account with the pensioner role."""
    user = UserFactory(phone=pensioner.phone, username=pensioner.phone, roles=[Role.PENSIONER])
    pensioner.user = user
    pensioner.save(update_fields=["user"])
    return user

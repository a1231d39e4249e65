"""Casework factories and helpers: staff with roles in a region, evidence bytes, cases in any state."""

from __future__ import annotations

import io
import uuid

import factory
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import Region, User
from accounts.roles import Role
from casework import services
from casework.models import Case
from tests.factories import PensionerFactory, RegionFactory, StaffFactory

COUNTY = "360102000000"  # the default county of StaffFactory and of RegionFactory villages
OTHER_COUNTY = "360121000000"
CITY = "360100000000"


def region(code: str) -> Region:
    level = {2: Region.Level.PROVINCE, 4: Region.Level.CITY, 6: Region.Level.COUNTY, 9: Region.Level.TOWNSHIP}
    significant = len(code.rstrip("0"))
    for length, lvl in sorted(level.items()):
        if significant <= length:
            return RegionFactory(code=code, level=lvl)
    return RegionFactory(code=code, level=Region.Level.VILLAGE)


def staff(role: Role, *, region_code: str = COUNTY, **kwargs) -> User:  # type: ignore[no-untyped-def]
    return StaffFactory(roles=[role], region=region(region_code), **kwargs)


def caseworker(**kwargs) -> User:  # type: ignore[no-untyped-def]
    return staff(Role.CASEWORKER, **kwargs)


def reviewer(**kwargs) -> User:  # type: ignore[no-untyped-def]
    return staff(Role.REVIEWER, **kwargs)


def give_amount_setting(user: User) -> User:
    """The duty that excludes case work (岗位分离)."""
    user.user_permissions.add(Permission.objects.get(codename="set_benefit_amount"))
    return User.objects.get(pk=user.pk)  # fresh object: permissions are cached per instance


def jpeg_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, format="JPEG")
    return buffer.getvalue()


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 120, 240)).save(buffer, format="PNG")
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    """A real one-page PDF (a scan as Pillow writes it), which pypdf parses."""
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (250, 250, 250)).save(buffer, format="PDF")
    return buffer.getvalue()


PDF_BYTES = pdf_bytes()


def upload(content: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def evidence_for(user: User, content: bytes | None = None):  # type: ignore[no-untyped-def]
    return services.evidence_upload(uploaded_by=user, upload=upload(content or jpeg_bytes()))


class CaseFactory(factory.django.DjangoModelFactory):
    """An open case; use ``case_in(status)`` for later states so the invariants hold."""

    class Meta:
        model = Case

    pensioner = factory.SubFactory(PensionerFactory)
    category = Case.Category.IMPRISONED
    source = Case.Source.STAFF
    details = factory.LazyFunction(lambda: {"reports": []})


def case_in(status: str, *, category: str = Case.Category.IMPRISONED, pensioner=None):  # type: ignore[no-untyped-def]
    """A case driven through the services to ``status`` by distinct staff; returns (case, acceptor, reviewer)."""
    case = CaseFactory(category=category, **({"pensioner": pensioner} if pensioner else {}))
    maker, checker = caseworker(), reviewer()
    if status == Case.Status.OPEN:
        return case, maker, checker
    case = services.case_accept(case=case, actor=maker)
    if status == Case.Status.ACCEPTED:
        return case, maker, checker
    if status in (Case.Status.APPROVED, Case.Status.CLOSED):
        case = services.case_approve(case=case, actor=checker, checks_confirmed=True)
    else:
        case = services.case_reject(case=case, actor=checker, note="not confirmed")
    if status == Case.Status.CLOSED:
        case = services.case_close(case=case, actor=maker)
    return case, maker, checker


def request_id() -> str:
    return str(uuid.uuid4())


def sms_queued(prefix: str) -> list:
    """SMS rows recorded in the outbox (queued in the caller's transaction, sent by the SMS layer)."""
    from notifications.models import SmsOutbox

    return list(SmsOutbox.objects.filter(reason__startswith=prefix).order_by("id"))

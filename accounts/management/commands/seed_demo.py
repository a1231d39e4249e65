"""Idempotent demo data: one province, a few counties and villages, ~1,000 pensioners in every state."""

from __future__ import annotations

import datetime
import os
import random
import secrets
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.idnumbers import check_digit
from accounts.lookups import id_number_index, phone_index
from accounts.models import Pensioner, Region, RelativeLink, User, VillageAssignment
from accounts.roles import Role
from accounts.services import user_add_role
from backend.discovery import app_modules

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "秀英桂兰玉华建国志强淑珍德明凤英春生桂芳金花永福秀珍国华美兰文华正英明辉"

REGIONS = [
    ("360000000000", "江西省", Region.Level.PROVINCE, None),
    ("360100000000", "南昌市", Region.Level.CITY, "360000000000"),
    ("360102000000", "东湖区", Region.Level.COUNTY, "360100000000"),
    ("360121000000", "南昌县", Region.Level.COUNTY, "360100000000"),
    ("360123000000", "安义县", Region.Level.COUNTY, "360100000000"),
    ("360102001000", "豫章街道", Region.Level.TOWNSHIP, "360102000000"),
    ("360121101000", "莲塘镇", Region.Level.TOWNSHIP, "360121000000"),
    ("360123102000", "石鼻镇", Region.Level.TOWNSHIP, "360123000000"),
    ("360102001001", "豫章社区", Region.Level.VILLAGE, "360102001000"),
    ("360102001002", "墩子塘社区", Region.Level.VILLAGE, "360102001000"),
    ("360121101201", "莲塘村", Region.Level.VILLAGE, "360121101000"),
    ("360121101202", "澄湖村", Region.Level.VILLAGE, "360121101000"),
    ("360123102201", "石鼻村", Region.Level.VILLAGE, "360123102000"),
    ("360123102202", "果田村", Region.Level.VILLAGE, "360123102000"),
]

DEMO_PENSIONER_PHONE = "+8613800000001"
DEMO_RELATIVE_PHONE = "+8613900000001"
DEMO_ASSISTANT_PHONE = "+8613700000001"


def _kept_password() -> str:
    """The staff password of the first run, kept in var/demo-password so a rerun leaves logins valid
    (delete the file, or set DEMO_PASSWORD, for a new one)."""
    path = Path(settings.BASE_DIR) / "var" / "demo-password"
    if path.is_file() and path.read_text().strip():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(9)
    path.write_text(password + "\n")
    path.chmod(0o600)
    return password


class Command(BaseCommand):
    help = "Create demo regions, ~1,000 pensioners in every certification state, relatives, assistants, staff."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--pensioners", type=int, default=1000)
        parser.add_argument(
            "--face-photo",
            default=None,
            help="reference photo enrolled for the demo pensioner by facecheck's demo ('' to skip)",
        )

    @transaction.atomic
    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        today = timezone.localdate()
        regions = self._regions()
        villages = [r for r in regions.values() if r.level == Region.Level.VILLAGE]
        created = self._pensioners(villages, today, options["pensioners"])
        people = self._app_users(villages)
        password = os.environ.get("DEMO_PASSWORD") or _kept_password()
        staff = self._staff(regions, password)
        # Every app above contributes its part through ``<app>.demo.seed_demo`` (discovered, not imported).
        notes = [
            note
            for module in app_modules("demo")
            for note in module.seed_demo(today=today, options=options, stdout=self.stdout) or ()
        ]
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} pensioners created this run)."))
        self.stdout.write(
            "\nLog in to the app API (the code is printed by the console SMS backend in the server log):\n"
            f"  pensioner:          {people['pensioner']}\n"
            f"  relative:           {people['relative']}  (approved to act for the pensioner above)\n"
            f"  village assistant:  {people['assistant']}\n"
            "  curl -X POST localhost:8000/api/v1/auth/code -H 'Content-Type: application/json' "
            '-d \'{"phone": "13800000001"}\'\n'
            "  curl -X POST localhost:8000/api/v1/auth/login -H 'Content-Type: application/json' "
            '-d \'{"phone": "13800000001", "code": "<code>"}\'\n'
            "  then: Authorization: Bearer <token> on /api/v1/certification/status (or Swagger UI /api/docs/)\n"
            + "".join(f"\n{note}\n" for note in notes)
            + f"\nStaff (Django admin at /admin/), password for all: {password}"
            + " (kept across reruns in var/demo-password; delete it or set DEMO_PASSWORD for a new one)\n"
            + "".join(f"  {name:<12} {role}\n" for name, role in staff)
        )

    def _regions(self) -> dict[str, Region]:
        regions: dict[str, Region] = {}
        for code, name, level, parent in REGIONS:
            regions[code], _ = Region.objects.update_or_create(
                code=code,
                defaults={
                    "name": name,
                    "level": level,
                    "parent": regions.get(parent) if parent else None,
                    "service_phone": "0791-12333",
                    "service_address": f"{name}社会保险服务窗口" if level <= Region.Level.COUNTY else "",
                },
            )
        return regions

    def _pensioners(self, villages: list[Region], today: datetime.date, count: int) -> int:
        existing = set(Pensioner.objects.values_list("id_number_bidx", flat=True))
        new_rows = []
        for index in range(count):
            rng = random.Random(f"demo-{index}")  # per person, so skipping existing rows changes nothing else
            village = villages[index % len(villages)]
            birth = datetime.date(rng.randint(1928, 1965), rng.randint(1, 12), rng.randint(1, 28))
            body = f"{village.code[:6]}{birth:%Y%m%d}{index % 1000:03d}"
            id_number = body + check_digit(body)
            name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice([1, 2])))
            bucket = index % 20  # 14 certified, 2 due soon, 2 overdue, 1 suspended, 1 ended
            status, reason, deceased = Pensioner.BenefitStatus.ACTIVE, "", None
            if bucket < 14:
                next_due = today + datetime.timedelta(days=rng.randint(31, 360))
            elif bucket < 16:
                next_due = today + datetime.timedelta(days=rng.randint(0, 30))
            elif bucket < 18:
                next_due = today - datetime.timedelta(days=rng.randint(1, 29))
            elif bucket == 18:
                next_due = today - datetime.timedelta(days=rng.randint(31, 400))
                status, reason = Pensioner.BenefitStatus.SUSPENDED, Pensioner.SuspensionReason.OVERDUE
            else:
                next_due = today - datetime.timedelta(days=rng.randint(1, 200))
                status, deceased = (
                    Pensioner.BenefitStatus.TERMINATED,
                    today - datetime.timedelta(days=rng.randint(40, 300)),
                )
            phone = DEMO_PENSIONER_PHONE if index == 0 else (f"+86135{index:08d}" if rng.random() < 0.8 else None)
            if id_number_index(id_number) in existing:
                continue
            pensioner = Pensioner(
                id_number=id_number,
                name=name,
                birth_date=birth,
                sex="M" if int(id_number[16]) % 2 else "F",
                phone=phone,
                region=village,
                benefit_status=status,
                suspension_reason=reason,
                deceased_on=deceased,
                status_since=today - datetime.timedelta(days=30) if status != "active" else datetime.date(2010, 1, 1),
                next_due=next_due,
            )
            new_rows.append(pensioner)
        Pensioner.objects.bulk_create(new_rows, batch_size=500)
        return len(new_rows)

    def _app_users(self, villages: list[Region]) -> dict[str, str]:
        pensioner = Pensioner.objects.get(phone_bidx=phone_index(DEMO_PENSIONER_PHONE))
        relative, created = User.objects.get_or_create(
            phone_bidx=phone_index(DEMO_RELATIVE_PHONE),
            defaults={"phone": DEMO_RELATIVE_PHONE, "username": "app-demo-relative", "first_name": "李小华"},
        )
        if created:
            relative.set_unusable_password()
            relative.save()
            user_add_role(user=relative, role=Role.RELATIVE)
        RelativeLink.objects.get_or_create(
            relative=relative,
            pensioner=pensioner,
            status=RelativeLink.Status.APPROVED,
            defaults={"relationship": RelativeLink.Relationship.CHILD, "approved_via": "demo"},
        )
        assistant, created = User.objects.get_or_create(
            phone_bidx=phone_index(DEMO_ASSISTANT_PHONE),
            defaults={"phone": DEMO_ASSISTANT_PHONE, "username": "app-demo-assistant", "first_name": "张协办"},
        )
        if created:
            assistant.set_unusable_password()
            assistant.save()
            user_add_role(user=assistant, role=Role.VILLAGE_ASSISTANT)
        for village in villages[:2]:
            VillageAssignment.objects.get_or_create(user=assistant, village=village)
        return {
            "pensioner": f"13800000001 ({pensioner.name})",
            "relative": "13900000001",
            "assistant": f"13700000001 ({villages[0].name}, {villages[1].name})",
        }

    def _staff(self, regions: dict[str, Region], password: str) -> list[tuple[str, str]]:
        accounts = [
            ("admin", Role.ADMIN, "360000000000", True),
            ("caseworker", Role.CASEWORKER, "360102000000", False),
            ("reviewer", Role.REVIEWER, "360102000000", False),
            ("cityreviewer", Role.REVIEWER, "360100000000", False),
        ]
        result = []
        for username, role, region_code, superuser in accounts:
            user, _ = User.objects.get_or_create(username=username)
            user.is_staff = True
            user.is_superuser = superuser
            user.region = regions[region_code]
            user.set_password(password)
            user.save()
            user_add_role(user=user, role=role)
            result.append((username, f"{role.value} @ {regions[region_code].name}"))
        return result

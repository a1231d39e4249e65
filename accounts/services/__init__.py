from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import match_token
from knox.models import AuthToken

from accounts.idnumbers import parse_resident_id
from accounts.lookups import id_number_index, name_index, phone_index
from accounts.models import OneTimeCode, Pensioner, Region, RelativeLink, User
from accounts.phones import normalize_mainland_mobile
from accounts.roles import Role
from accounts.selectors import user_is_staff_member, user_roles

# The audit writes live in accounts.services.audit; every app imports them from here.
from accounts.services.audit import audit_record as audit_record
from accounts.services.audit import audit_record_bulk as audit_record_bulk
from accounts.services.audit import audit_record_bulk_refs as audit_record_bulk_refs
from backend.api.errors import ApplicationError, ConflictError, NotFoundError
from backend.dates import add_months
from backend.locks import transaction_lock
from notifications.services import sms_send
from notifications.sms import SmsKind
from notifications.texts import mask_name

# --- Registry ------------------------------------------------------------------------------


@transaction.atomic
def pensioner_register(
    *,
    id_number: str,
    name: str,
    region: Region,
    entitled_from: datetime.date,
    phone: str | None = None,
    actor: User | None = None,
) -> Pensioner:
    """Add a person to the registry; the first certification is due one cycle after entitlement
    starts. Their benefits are granted by ``selfservice.benefits.benefit_grant``."""
    resident = parse_resident_id(id_number)
    if region.level != Region.Level.VILLAGE:
        raise ApplicationError(_("A pensioner must belong to a village or community."), code="region_not_village")
    if Pensioner.objects.filter(id_number_bidx=id_number_index(resident.number)).exists():
        raise ConflictError(_("This ID number is already registered."), code="id_number_taken")
    pensioner = Pensioner(
        id_number=resident.number,
        name=name.strip(),
        birth_date=resident.birth_date,
        sex=resident.sex,
        phone=normalize_mainland_mobile(phone) if phone else None,
        region=region,
        status_since=entitled_from,
        next_due=add_months(entitled_from, settings.CERTIFICATION_VALIDITY_MONTHS),
    )
    pensioner.full_clean()
    pensioner.save()
    audit_record(actor=actor, action="pensioner.register", target=pensioner)
    return pensioner


# --- Users and roles -----------------------------------------------------------------------


def user_add_role(*, user: User, role: Role) -> None:
    group, _created = Group.objects.get_or_create(name=role.value)
    user.groups.add(group)
    if hasattr(user, "_role_cache"):
        del user._role_cache


@transaction.atomic
def app_user_get_or_create(*, phone: str) -> User:
    """The account behind a phone: an existing user, a pensioner's first login, or a new relative."""
    user = User.objects.filter(phone_bidx=phone_index(phone)).first()
    if user is not None:
        return user
    # The username is not the phone: the phone is encrypted, a username is not (and shows in the admin).
    user = User.objects.create_user(username=f"app-{secrets.token_hex(8)}", phone=phone)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    pensioner = Pensioner.objects.select_for_update().filter(phone_bidx=phone_index(phone), user__isnull=True).first()
    if pensioner is not None:
        pensioner.user = user
        pensioner.save(update_fields=["user"])
        user.first_name = pensioner.name
        user.save(update_fields=["first_name"])
        user_add_role(user=user, role=Role.PENSIONER)
        audit_record(actor=user, action="pensioner.account_linked", target=pensioner)
    else:
        user_add_role(user=user, role=Role.RELATIVE)
    audit_record(actor=user, action="user.register", target=user)
    return user


# --- One-time codes ------------------------------------------------------------------------


def _code_hash(*, phone: str, purpose: str, code: str) -> str:
    message = f"{phone}:{purpose}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _local_midnight(now: datetime.datetime) -> datetime.datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


DEVICE_REQUESTER = "device:"


def _keyed(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def device_key_for(*, phone: str) -> str:
    """Given to a phone's app at login; presented with later code requests it proves "this phone logged
    in here before", which strangers cannot forge, so they cannot spend that phone's login codes."""
    return _keyed(f"login-device:{phone}")[:40]


def code_requester(*, phone: str, ip: str | None = None, device_key: str = "", user: User | None = None) -> str:
    """The budget a code request is counted against (a keyed hash: no address is stored)."""
    if device_key and hmac.compare_digest(device_key.strip(), device_key_for(phone=phone)):
        return DEVICE_REQUESTER + _keyed(f"device:{phone}")[:32]
    if user is not None and user.is_authenticated:
        return "user:" + _keyed(f"user:{user.pk}")[:32]
    return "ip:" + _keyed(f"ip:{ip or '-'}")[:32]


def _too_soon(wait: float) -> ApplicationError:
    return ApplicationError(
        _("A code was just sent. Please wait %(seconds)d seconds before asking again.") % {"seconds": int(wait) + 1},
        code="code_resend_too_soon",
        status_code=429,
        extra={"retry_after": int(wait) + 1},
    )


def _daily_limit_reached() -> ApplicationError:
    return ApplicationError(
        _("Too many codes were requested for this number today. Please try again tomorrow."),
        code="code_daily_limit",
        status_code=429,
    )


@transaction.atomic
def one_time_code_issue(
    *,
    phone: str,
    purpose: str,
    text: str,
    requester: str = "",
    subject_id: int | None = None,
    send_to: str | None = None,
) -> OneTimeCode:
    """Create a code and send it. ``text`` is a translated template with ``%(code)s``.

    Limits are enforced from the stored rows, not a cache, so every worker sees the same counts, and
    only codes actually sent are counted: a refused request spends nobody's budget. Per purpose and
    requester: the resend gap and ``LOGIN_CODE_DAILY_LIMIT``. Per phone and purpose, for requesters
    the phone never logged in from: ``LOGIN_CODE_PHONE_DAILY_LIMIT`` (bounds SMS to a stranger's phone).
    """
    # Serialise issuing per phone with a lock that exists before any code does (select_for_update
    # would lock only rows already there, so simultaneous first requests would all pass).
    transaction_lock(f"one-time-code:{phone}:{purpose}")
    now = timezone.now()
    today = OneTimeCode.objects.filter(
        phone_bidx=phone_index(phone), purpose=purpose, created_at__gte=_local_midnight(now)
    )
    mine = list(today.filter(requester=requester).order_by("-created_at").values_list("created_at", flat=True))
    if mine:
        wait = settings.LOGIN_CODE_RESEND_SECONDS - (now - mine[0]).total_seconds()
        if wait > 0:
            raise _too_soon(wait)
    if len(mine) >= settings.LOGIN_CODE_DAILY_LIMIT:
        raise _daily_limit_reached()
    if not requester.startswith(DEVICE_REQUESTER):
        strangers = today.exclude(requester__startswith=DEVICE_REQUESTER).count()
        if strangers >= settings.LOGIN_CODE_PHONE_DAILY_LIMIT:
            raise _daily_limit_reached()
    code = f"{secrets.randbelow(10**6):06d}"
    record = OneTimeCode.objects.create(
        phone=phone,
        purpose=purpose,
        subject_id=subject_id,
        requester=requester,
        code_hash=_code_hash(phone=phone, purpose=purpose, code=code),
        created_at=now,
        expires_at=now + datetime.timedelta(seconds=settings.LOGIN_CODE_TTL_SECONDS),
    )
    sms_send(
        to=send_to or phone,
        text=text % {"code": code, "minutes": settings.LOGIN_CODE_TTL_SECONDS // 60},
        reason=f"otc:{record.pk}",
        kind=SmsKind.LOGIN_CODE,
    )
    return record


def one_time_code_check(*, phone: str, purpose: str, code: str, subject_id: int | None = None) -> OneTimeCode:
    """Consume the newest live code or raise a specific error. Wrong tries are counted atomically."""
    now = timezone.now()
    record = (
        OneTimeCode.objects.filter(
            phone_bidx=phone_index(phone), purpose=purpose, subject_id=subject_id, consumed_at__isnull=True
        )
        .order_by("-created_at")
        .first()
    )
    if record is None or record.expires_at <= now:
        raise ApplicationError(
            _("The code has expired or was never requested. Please ask for a new code."), code="code_expired"
        )
    if record.attempts >= settings.LOGIN_CODE_MAX_ATTEMPTS:
        raise ApplicationError(
            _("Too many wrong tries. Please ask for a new code."), code="code_attempts_exceeded", status_code=429
        )
    expected = _code_hash(phone=phone, purpose=purpose, code=(code or "").strip())
    if not hmac.compare_digest(expected, record.code_hash):
        OneTimeCode.objects.filter(pk=record.pk).update(attempts=F("attempts") + 1)
        left = settings.LOGIN_CODE_MAX_ATTEMPTS - record.attempts - 1
        if left <= 0:
            raise ApplicationError(
                _("Too many wrong tries. Please ask for a new code."), code="code_attempts_exceeded", status_code=429
            )
        raise ApplicationError(
            _("The code is not correct. You have %(left)d tries left.") % {"left": left},
            code="code_invalid",
            extra={"attempts_left": left},
        )
    consumed = OneTimeCode.objects.filter(pk=record.pk, consumed_at__isnull=True).update(consumed_at=now)
    if consumed != 1:  # the same code raced in twice: only the first wins
        raise ApplicationError(
            _("The code has expired or was never requested. Please ask for a new code."), code="code_expired"
        )
    return record


# --- Login ---------------------------------------------------------------------------------


def login_code_request(*, phone: str, requester: str = "") -> OneTimeCode:
    """``requester`` from :func:`code_requester` (the API passes the client address and device key)."""
    return one_time_code_issue(
        phone=phone,
        purpose=OneTimeCode.Purpose.LOGIN,
        requester=requester,
        text=settings.SMS_SIGNATURE
        + _("Your login code is %(code)s, valid for %(minutes)d minutes. Do not tell anyone."),
    )


def staff_second_factor_check(*, user: User, otp_token: str) -> None:
    """With ``STAFF_OTP_REQUIRED``, staff need a TOTP code as well as the SMS code (django-otp devices).

    Checked after the SMS code, so the answer never tells a stranger whether a phone belongs to staff;
    each wrong TOTP code costs a new SMS code, and django-otp slows repeated failures down.
    """
    if not settings.STAFF_OTP_REQUIRED or not (user.is_staff or user_is_staff_member(user)):
        return
    if not (otp_token or "").strip():
        raise ApplicationError(
            _("Staff accounts also need the 6-digit code from the authenticator app."),
            code="otp_required",
            status_code=401,
        )
    if match_token(user, otp_token.strip()) is None:
        raise ApplicationError(
            _("The authenticator code is not correct. Please ask for a new SMS code and try again."),
            code="otp_invalid",
            status_code=401,
        )


def login_with_code(
    *, phone: str, code: str, otp_token: str = "", request: HttpRequest | None = None
) -> tuple[User, AuthToken, str]:
    """Check the code (and a staff member's second factor) and issue a new per-device token."""
    # Not inside an atomic block: a wrong try must stay counted when the error propagates.
    one_time_code_check(phone=phone, purpose=OneTimeCode.Purpose.LOGIN, code=code)
    user = app_user_get_or_create(phone=phone)
    if not user.is_active:
        raise ApplicationError(
            _("This account is disabled. Please contact the service office."), code="account_disabled", status_code=403
        )
    staff_second_factor_check(user=user, otp_token=otp_token)
    instance, token = AuthToken.objects.create(user=user)
    _token_limit_enforce(user=user)
    audit_record(actor=user, action="auth.login", target=user, request=request, details={"token": instance.token_key})
    return user, instance, token


def _token_limit_enforce(*, user: User) -> None:
    """Beyond the per-user limit the oldest devices are logged out, rather than refusing a new login:
    an old person who changed phones must not be locked out by devices they no longer have."""
    limit = settings.REST_KNOX.get("TOKEN_LIMIT_PER_USER")
    if not limit:
        return
    stale = list(AuthToken.objects.filter(user=user).order_by("-created").values_list("pk", flat=True)[limit:])
    if stale:
        AuthToken.objects.filter(pk__in=stale).delete()


def token_revoke(*, user: User, token_key: str, request: HttpRequest | None = None) -> None:
    deleted, _rows = AuthToken.objects.filter(user=user, token_key=token_key).delete()
    if not deleted:
        raise NotFoundError()
    audit_record(actor=user, action="auth.logout", target=user, request=request, details={"token": token_key})


def token_revoke_all(*, user: User, request: HttpRequest | None = None) -> int:
    deleted, _rows = AuthToken.objects.filter(user=user).delete()
    audit_record(actor=user, action="auth.logout_all", target=user, request=request, details={"count": deleted})
    return int(deleted)


# --- Relative links ------------------------------------------------------------------------


def _pensioner_matching(*, id_number: str, name: str) -> Pensioner | None:
    try:
        resident = parse_resident_id(id_number)
    except Exception:
        return None
    return Pensioner.objects.filter(id_number_bidx=id_number_index(resident.number), name_bidx=name_index(name)).first()


def relative_link_reply_ref(link: RelativeLink) -> str:
    """What the pensioner replies after Y or N to answer this request (the link's number)."""
    return str(link.pk)


def _relative_link_ask_sms(*, link: RelativeLink, pensioner: Pensioner, relative: User) -> None:
    """Ask the pensioner on their own phone, naming who asks (masked). No code: nothing to pass on."""
    if not pensioner.phone:
        return  # confirmed at the service counter by staff (relative_link_decide)
    ref = relative_link_reply_ref(link)
    text = _(
        "%(requester)s (phone ending %(tail)s) asks to handle your pension certification as your "
        "%(relationship)s. To agree, reply Y%(ref)s from this phone; to refuse, reply N%(ref)s. You can also "
        "decide in your own app. This message has no code: never read it out to anyone."
    ) % {
        "requester": mask_name(link.requester_name) or _("Someone"),
        "tail": (relative.phone or "")[-4:],
        "relationship": RelativeLink.Relationship(link.relationship).label,
        "ref": ref,
    }
    sms_send(
        to=pensioner.phone,
        text=settings.SMS_SIGNATURE + text,
        reason=f"relative_link_ask:{link.pk}",
        pensioner_id=pensioner.pk,
    )


@transaction.atomic
def relative_link_request(
    *,
    relative: User,
    id_number: str,
    name: str,
    relationship: str,
    requester_name: str = "",
    request: HttpRequest | None = None,
) -> RelativeLink | None:
    """Ask to act for a pensioner. The caller learns nothing about the registry: whether the ID number
    and name match, or a request already exists, the same thing happens on the outside (an audit
    event, the same answer); the pensioner is asked by SMS only when they match.

    Returns the link for internal callers; the API never shows it.
    """
    pensioner = _pensioner_matching(id_number=id_number, name=name)
    if pensioner is None or pensioner.user_id == relative.pk:
        audit_record(
            actor=relative,
            action="relative_link.request_unmatched",
            target=relative,
            details={"self": pensioner is not None},
            request=request,
        )
        return None
    link = (
        RelativeLink.objects.filter(relative=relative, pensioner=pensioner)
        .exclude(status=RelativeLink.Status.REVOKED)
        .first()
    )
    if link is not None:
        audit_record(actor=relative, action="relative_link.request_repeat", target=link, request=request)
        return link
    try:
        with transaction.atomic():
            link = RelativeLink.objects.create(
                relative=relative,
                pensioner=pensioner,
                relationship=relationship,
                requester_name=requester_name.strip()[:40],
            )
    except IntegrityError:  # the same request raced in twice
        return (
            RelativeLink.objects.filter(relative=relative, pensioner=pensioner)
            .exclude(status=RelativeLink.Status.REVOKED)
            .first()
        )
    if Role.RELATIVE not in user_roles(relative):
        user_add_role(user=relative, role=Role.RELATIVE)
    audit_record(actor=relative, action="relative_link.request", target=link, request=request)
    _relative_link_ask_sms(link=link, pensioner=pensioner, relative=relative)
    return link


def _relative_link_answered_sms(*, link: RelativeLink, approve: bool) -> None:
    """Tell the relative what the pensioner decided (the pensioner chose to answer, so naming them is fine)."""
    relative_phone = link.relative.phone
    if not relative_phone:
        return
    values = {"name": mask_name(link.pensioner.name)}
    text = (
        _("%(name)s agreed: you can now certify for them in the app.")
        if approve
        else _("%(name)s did not agree to your request to act for them.")
    ) % values
    sms_send(
        to=relative_phone,
        text=settings.SMS_SIGNATURE + text,
        reason=f"relative_link_answer:{link.pk}",
        pensioner_id=link.pensioner_id,
    )


@transaction.atomic
def relative_link_pensioner_decide(
    *, link_id: int, pensioner: Pensioner, approve: bool, via: str, request: HttpRequest | None = None
) -> RelativeLink:
    """The pensioner, from their own phone (SMS reply) or their own app, approves or refuses a request.

    ``via`` is ``"sms"`` or ``"app"``. Only a pending request made for this pensioner can be decided;
    anything else is not found.
    """
    link = (
        RelativeLink.objects.select_for_update()
        .select_related("pensioner", "relative")
        .filter(pk=link_id, pensioner=pensioner)
        .first()
    )
    if link is None:
        raise NotFoundError()
    if link.status != RelativeLink.Status.PENDING:
        raise ConflictError(_("This request has already been decided."), code="link_not_pending")
    link.status = RelativeLink.Status.APPROVED if approve else RelativeLink.Status.REVOKED
    link.approved_via = f"pensioner_{via}" if approve else f"declined_{via}"
    link.decided_at = timezone.now()
    link.save(update_fields=["status", "approved_via", "decided_at"])
    audit_record(
        actor=pensioner.user,
        action="relative_link.approve" if approve else "relative_link.decline",
        target=link,
        details={"via": via},
        request=request,
    )
    _relative_link_answered_sms(link=link, approve=approve)
    return link


def relative_link_sms_reply(*, inbound: Any) -> bool:
    """Inbound-SMS handler (registered by ``AccountsConfig.ready``, before the chatbot): a pensioner's
    reply ``Y<number>`` / ``N<number>`` (or a bare Y / N, 同意 / 不同意, when one request is pending)
    decides a link request made for the pensioner whose registered phone sent it."""
    match = SMS_REPLY.fullmatch((inbound.text or "").strip())
    if match is None:
        return False
    try:
        phone = normalize_mainland_mobile(inbound.from_phone)
    except Exception:
        return False
    word, ref = match.group(1).upper(), match.group(2)
    pending = RelativeLink.objects.filter(status=RelativeLink.Status.PENDING, pensioner__phone_bidx=phone_index(phone))
    if ref:
        pending = pending.filter(pk=int(ref))
    links = list(pending.select_related("pensioner")[:2])
    if len(links) != 1:
        return False  # nothing (or more than one thing) to answer: the chatbot takes the text
    link = links[0]
    approve = word in ("Y", "同意")
    try:
        relative_link_pensioner_decide(link_id=link.pk, pensioner=link.pensioner, approve=approve, via="sms")
    except ApplicationError:
        return False
    text = (
        _("You agreed. Your family member can now certify for you.")
        if approve
        else _("You refused. Your family member cannot act for you.")
    )
    sms_send(
        to=phone,
        text=settings.SMS_SIGNATURE + text,
        reason=f"relative_link_reply_ack:{link.pk}",
        kind=SmsKind.REPLY,
        pensioner_id=link.pensioner_id,
    )
    return True


SMS_REPLY = re.compile(r"(?i)(Y|N|同意|不同意)\s*(\d{1,12})?")


@transaction.atomic
def relative_link_decide(
    *, link: RelativeLink, staff: User, approve: bool, request: HttpRequest | None = None
) -> RelativeLink:
    """Staff approve or revoke (the admin action calls this too)."""
    link = RelativeLink.objects.select_for_update().get(pk=link.pk)
    if approve and link.status != RelativeLink.Status.PENDING:
        raise ConflictError(_("This request has already been decided."), code="link_not_pending")
    link.status = RelativeLink.Status.APPROVED if approve else RelativeLink.Status.REVOKED
    link.approved_by = staff
    link.approved_via = "staff" if approve else link.approved_via
    link.decided_at = timezone.now()
    link.save(update_fields=["status", "approved_by", "approved_via", "decided_at"])
    audit_record(
        actor=staff, action="relative_link.approve" if approve else "relative_link.revoke", target=link, request=request
    )
    return link

"""The elder-mode web client at /m/ in a real browser: Playwright driving Debian's chromium.

Needs ``scripts/browser_setup.sh`` (chromium, axe-core); skipped with the reason when either is
missing, and the face tests also when ../shared (models and photos) is absent. Each test logs in with
the code the memory SMS backend received, as a person would with the code on their phone.
Set ``M_SCREENSHOTS=1`` to refresh the pictures under docs/screens/.
"""

from __future__ import annotations

import datetime
import io
import os
import re
import shutil
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.roles import Role
from casework.models import DeathReport, MonthlyReport
from selfservice.models import Certification
from tests.factories import (
    PensionerFactory,
    RelativeLinkFactory,
    UserFactory,
    VillageAssignmentFactory,
    pensioner_user,
    village_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
AXE = REPO / "var" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
FACES = REPO.parent / "shared" / "faces-eastasia-dev" / "images"
SCREENS = REPO / "docs" / "screens"
SAME_REFERENCE = FACES / "cn_chenxing" / "cn_chenxing_01.jpg"
SAME_SELFIE = FACES / "cn_chenxing" / "cn_chenxing_02.jpg"
OTHER_PERSON = FACES / "cn_zhouxun" / "cn_zhouxun_02.jpg"
PHONE_SIZE = {"width": 360, "height": 740}


# -- browser ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def chromium():  # type: ignore[no-untyped-def]
    """One browser for this module, stopped at its end.

    Playwright's sync API keeps an asyncio loop running in this thread while it is started, and Django
    refuses ORM calls from a thread with a running loop. The calls made here are plain synchronous
    ones, so the guard is lifted for this module only and restored with the browser's stop.
    """
    playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not (CHROMIUM.exists() or shutil.which("chromium")):
        pytest.skip(f"chromium not found at {CHROMIUM}: run scripts/browser_setup.sh")
    guard = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    manager = playwright_api.sync_playwright().start()
    try:
        browser = manager.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()
    finally:
        manager.stop()
        if guard is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = guard


SQLITE_AUDIT_NO_DELETE = (
    "CREATE TRIGGER IF NOT EXISTS accounts_auditevent_no_delete BEFORE DELETE ON accounts_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'accounts_auditevent is append-only'); END;"
)


@pytest.fixture(scope="module")
def _audit_trigger_restored(django_db_blocker):  # type: ignore[no-untyped-def]
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute(SQLITE_AUDIT_NO_DELETE)


@pytest.fixture
def _flushable_audit_log(_audit_trigger_restored, transactional_db):  # type: ignore[no-untyped-def]
    """The live server needs committed rows, so each test ends with a flush of every table. PostgreSQL
    flushes with TRUNCATE, which the audit log's row trigger lets through; SQLite deletes rows, which
    the trigger refuses. On SQLite the delete trigger is lifted for the flush only and put back for the
    next test and at the end of the module."""
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(SQLITE_AUDIT_NO_DELETE)
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS accounts_auditevent_no_delete")


@pytest.fixture
def page(chromium, live_server, _flushable_audit_log, settings, tmp_path):  # type: ignore[no-untyped-def]
    """A phone-sized page in Chinese. Fails the test on any dialog (no pop-ups) or script error."""
    settings.MEDIA_ROOT = tmp_path / "media"
    # The page's Content-Security-Policy stays on: a blocked script or style would show as a failure here.
    context = chromium.new_context(viewport=PHONE_SIZE, locale="zh-CN", has_touch=True)
    page = context.new_page()
    page.problems = []  # type: ignore[attr-defined]
    page.on("dialog", lambda dialog: (page.problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.on("pageerror", lambda error: page.problems.append(f"script error: {error}"))
    page.on("console", lambda m: "Content Security Policy" in m.text and page.problems.append(f"CSP: {m.text}"))
    page.base = live_server.url  # type: ignore[attr-defined]
    yield page
    problems = page.problems
    context.close()
    assert problems == []


def expect(locator):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def screen(page, name: str):  # type: ignore[no-untyped-def]
    """The screen once it is shown and its data has loaded."""
    page.locator(f"body[data-ready='{name}']").wait_for(state="attached")
    return page.locator(f"[data-screen='{name}']")


def shoot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    if os.environ.get("M_SCREENSHOTS"):
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def login(page, phone: str, sms_outbox) -> None:  # type: ignore[no-untyped-def]
    page.goto(page.base + "/m/")
    form = screen(page, "login")
    form.locator("input[name=phone]").fill(phone.removeprefix("+86"))
    form.locator("button[type=submit]").click()
    code_screen = screen(page, "code")
    found = re.search(r"\d{6}", sms_outbox[-1].text)
    assert found is not None, sms_outbox[-1].text
    code = found.group(0)
    code_screen.locator("input[name=code]").fill(code)
    code_screen.locator("button[type=submit]").click()
    screen(page, "home")


# -- elder-mode rules, measured in the browser -------------------------------------------------------
ELDER_CHECKS = """
() => {
  const problems = [];
  const shown = (e) => {
    if (e.closest('[hidden], noscript, script, template')) return false;
    const r = e.getBoundingClientRect(), cs = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && cs.display !== 'none';
  };
  const rgba = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const background = (e) => {
    for (let n = e; n; n = n.parentElement) {
      const c = rgba(getComputedStyle(n).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const label = (e) =>
    `${e.tagName.toLowerCase()}.${e.className}「${(e.textContent || e.value || '').trim().slice(0, 20)}」`;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const e = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || seen.has(e) || !shown(e)) continue;
    seen.add(e);
    const cs = getComputedStyle(e), size = parseFloat(cs.fontSize), line = parseFloat(cs.lineHeight);
    if (size < 18) problems.push(`font ${size}px < 18: ${label(e)}`);
    if (!(line / size >= 1.3)) problems.push(`line height ${cs.lineHeight} < 1.3: ${label(e)}`);
    const ratio = (() => {
      const a = lum(rgba(cs.color)), b = lum(background(e));
      return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    })();
    if (ratio < 4.5) problems.push(`contrast ${ratio.toFixed(2)} < 4.5: ${label(e)}`);
  }
  for (const e of document.querySelectorAll('button, a[href], input, textarea, select, label.file, .radios label')) {
    if (!shown(e) || (e.type === 'radio') || (e.type === 'file')) continue;
    const r = e.getBoundingClientRect();
    if (r.width < 60 || r.height < 60)
      problems.push(`target ${Math.round(r.width)}x${Math.round(r.height)} < 60x60: ${label(e)}`);
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1)
    problems.push(`page ${document.documentElement.scrollWidth}px wider than the screen ${window.innerWidth}px`);
  return problems;
}
"""


def assert_elder_mode(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate(ELDER_CHECKS) == []


def axe_serious(page) -> list[str]:  # type: ignore[no-untyped-def]
    if not AXE.exists():
        pytest.skip(f"axe-core not found at {AXE}: run scripts/browser_setup.sh")
    # Evaluated through the DevTools protocol, which the page's CSP does not govern (a script tag would be).
    page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
             .filter((v) => v.impact === 'serious' || v.impact === 'critical')
             .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)"""
    )


# -- people ----------------------------------------------------------------------------------------
@pytest.fixture
def pensioner():  # type: ignore[no-untyped-def]
    person = PensionerFactory(
        name="陈星", region=village_in("360102", 3), next_due=timezone.localdate() + datetime.timedelta(days=20)
    )
    pensioner_user(person)
    return person


@pytest.fixture
def face_ready(settings):  # type: ignore[no-untyped-def]
    """The real face models and photos (skipped when ../shared is absent)."""
    if not Path(settings.FACECHECK_MODEL_DIR).exists():
        pytest.skip(f"face model pack not available at {settings.FACECHECK_MODEL_DIR}")
    if not FACES.exists():
        pytest.skip(f"East-Asian photos not available at {FACES}")
    from facecheck import dedup

    dedup.reset()


def enroll(person) -> None:  # type: ignore[no-untyped-def]
    from facecheck.services import face_template_enroll

    face_template_enroll(pensioner=person, image=SAME_REFERENCE.read_bytes(), enrolled_by=None)


def certificate_photo(tmp_path: Path) -> Path:
    image = Image.new("RGB", (1200, 900), (250, 248, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 60, 1140, 840), outline=(120, 20, 20), width=8)
    for y in range(200, 800, 80):
        draw.line((140, y, 1060, y), fill=(40, 40, 40), width=4)
    path = tmp_path / "certificate.jpg"
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    path.write_bytes(buffer.getvalue())
    return path


# -- tests -----------------------------------------------------------------------------------------
def test_the_first_screen_is_small_local_and_in_chinese(page):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(page.base + "/m/")
    screen(page, "login")
    page.wait_for_load_state("networkidle")
    transferred = page.evaluate(
        """() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
              .reduce((sum, e) => sum + (e.transferSize || e.encodedBodySize || 0), 0)"""
    )
    assert 0 < transferred < 150_000
    assert all(url.startswith((page.base, "data:")) for url in requests)
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert screen(page, "login").locator("h1").inner_text() == "登录"
    assert_elder_mode(page)
    assert axe_serious(page) == []
    shoot(page, "1-login")


def test_log_in_with_the_sms_code_and_see_my_status(page, pensioner, sms_outbox):
    login(page, pensioner.phone, sms_outbox)
    home = screen(page, "home")
    due = pensioner.next_due
    figure = home.locator("[data-slot=due]")
    assert figure.inner_text() == f"{due.year}年{due.month}月{due.day}日"
    assert float(figure.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 30
    assert "天" in home.locator("[data-slot=sentence]").inner_text()  # "N days left" in the one sentence
    primary = home.locator(".status a.primary")
    assert primary.count() == 1 and primary.inner_text() == "现在刷脸认证"
    assert_elder_mode(page)
    assert axe_serious(page) == []
    shoot(page, "2-status")


def test_every_screen_has_a_back_button_and_reflows_at_200_percent_zoom(page, pensioner, sms_outbox):
    login(page, pensioner.phone, sms_outbox)
    page.set_viewport_size({"width": 180, "height": 740})  # a 360 px screen at 200 % zoom
    for name in ["home", "face", "proxy", "link-request", "death", "chat", "history"]:
        page.goto(f"{page.base}/m/#{name}")
        current = screen(page, name)
        if name != "home":
            assert current.locator("button.back").is_visible()
        assert_elder_mode(page)


def test_certify_by_face_with_my_own_photo(page, pensioner, sms_outbox, face_ready):
    enroll(pensioner)
    login(page, pensioner.phone, sms_outbox)
    screen(page, "home").locator(".status a.primary").click()
    face = screen(page, "face")
    assert face.locator("input[type=file]").get_attribute("capture") == "user"
    face.locator("input[type=file]").set_input_files(str(SAME_SELFIE))
    result = screen(page, "face-result")
    assert result.locator("[data-slot=outcome]").get_attribute("class") == "ok"
    assert "认证成功" in result.locator("[data-slot=outcome]").inner_text() or result.locator(".ok").count() == 1
    pensioner.refresh_from_db()
    due = pensioner.next_due
    assert result.locator("[data-slot=due]").inner_text() == f"{due.year}年{due.month}月{due.day}日"
    assert Certification.objects.filter(pensioner=pensioner, method="face").count() == 1
    assert_elder_mode(page)
    shoot(page, "3-face-accepted")


def test_a_photo_of_someone_else_is_refused_with_the_hint_in_big_type(page, pensioner, sms_outbox, face_ready):
    enroll(pensioner)
    login(page, pensioner.phone, sms_outbox)
    page.goto(page.base + "/m/#face")
    screen(page, "face").locator("input[type=file]").set_input_files(str(OTHER_PERSON))
    result = screen(page, "face-result")
    assert result.locator("[data-slot=outcome]").get_attribute("class") == "no"
    hint = result.locator("[data-slot=hint]")
    assert len(hint.inner_text()) > 5
    assert float(hint.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 30
    assert result.locator("[data-slot=again]").is_visible()
    assert not Certification.objects.filter(pensioner=pensioner).exists()
    assert_elder_mode(page)
    assert axe_serious(page) == []
    shoot(page, "4-face-refused")


def test_a_connection_lost_during_upload_is_said_plainly_and_the_retry_certifies_once(
    page, pensioner, sms_outbox, face_ready
):
    enroll(pensioner)
    login(page, pensioner.phone, sms_outbox)

    def lose_the_answer(route):  # type: ignore[no-untyped-def]
        route.fetch()  # the server gets the photo and certifies...
        route.abort("connectionreset")  # ...but the answer never reaches the phone

    page.route("**/api/v1/facecheck/verify", lose_the_answer)
    page.goto(page.base + "/m/#face")
    screen(page, "face").locator("input[type=file]").set_input_files(str(SAME_SELFIE))
    sending = screen(page, "face-send")
    error = sending.locator(".error")
    error.wait_for(state="visible")
    assert "网络" in error.inner_text()
    page.unroute("**/api/v1/facecheck/verify")
    sending.locator("[data-action=face-resend]").click()
    result = screen(page, "face-result")
    assert result.locator("[data-slot=outcome]").get_attribute("class") == "ok"
    assert Certification.objects.filter(pensioner=pensioner).count() == 1


def test_a_retry_after_the_request_never_left_sends_the_same_photo(page, pensioner, sms_outbox, face_ready):
    enroll(pensioner)
    login(page, pensioner.phone, sms_outbox)
    page.route("**/api/v1/facecheck/verify", lambda route: route.abort("internetdisconnected"))
    page.goto(page.base + "/m/#face")
    screen(page, "face").locator("input[type=file]").set_input_files(str(SAME_SELFIE))
    sending = screen(page, "face-send")
    sending.locator(".error").wait_for(state="visible")
    page.unroute("**/api/v1/facecheck/verify")
    sending.locator("[data-action=face-resend]").click()
    assert screen(page, "face-result").locator("[data-slot=outcome]").get_attribute("class") == "ok"
    assert Certification.objects.filter(pensioner=pensioner).count() == 1


def test_certify_for_my_parent_through_an_approved_link(page, pensioner, sms_outbox, face_ready):
    enroll(pensioner)
    relative = UserFactory(roles=[Role.RELATIVE])
    RelativeLinkFactory(relative=relative, pensioner=pensioner)
    login(page, relative.phone, sms_outbox)
    home = screen(page, "home")
    assert home.locator("[data-slot=notice]").is_visible()  # no pension of my own
    home.locator("a[href='#proxy']").click()
    proxy = screen(page, "proxy")
    proxy.locator("button.primary", has_text="陈星").click()
    face = screen(page, "face")
    assert "陈星" in face.locator("h1").inner_text()
    face.locator("input[type=file]").set_input_files(str(SAME_SELFIE))
    assert screen(page, "face-result").locator("[data-slot=outcome]").get_attribute("class") == "ok"
    certification = Certification.objects.get(pensioner=pensioner)
    assert certification.recorded_by == relative


def test_ask_for_a_link_and_the_parent_agrees_by_replying_to_the_sms(page, pensioner, sms_outbox):
    from accounts.models import RelativeLink
    from notifications.services import sms_inbound_receive

    relative = UserFactory(roles=[Role.RELATIVE])
    login(page, relative.phone, sms_outbox)
    page.goto(page.base + "/m/#link-request")
    form = screen(page, "link-request")
    form.locator("input[name=name]").fill(pensioner.name)
    form.locator("input[name=id_number]").fill(pensioner.id_number)
    form.locator("input[name=requester_name]").fill("陈小明")
    form.locator(".radios label:has(input[value=child])").click()
    assert_elder_mode(page)
    form.locator("button[type=submit]").click()
    proxy = screen(page, "proxy")
    assert "老人登记的手机会收到短信" in proxy.locator("[data-slot=empty]").inner_text()
    to_parent = [m for m in sms_outbox if m.to == pensioner.phone]
    assert "陈*明" in to_parent[-1].text and not re.search(r"\d{6}", to_parent[-1].text)
    link = RelativeLink.objects.get(relative=relative)
    sms_inbound_receive(provider_message_id="SMweb1", from_phone=pensioner.phone, to_phone="", text=f"Y{link.pk}")
    page.goto(page.base + "/m/#home")
    page.goto(page.base + "/m/#proxy")
    screen(page, "proxy").locator("button.primary", has_text="陈星").wait_for()
    assert relative.relative_links.get().status == "approved"


def test_a_parent_agrees_to_a_link_request_in_their_own_app(page, pensioner, sms_outbox):
    from accounts.models import RelativeLink

    link = RelativeLinkFactory(pensioner=pensioner, status=RelativeLink.Status.PENDING, requester_name="陈小明")
    login(page, pensioner.phone, sms_outbox)
    home = screen(page, "home")
    requests = home.locator("[data-slot=requests]")
    requests.wait_for()
    assert "陈*明" in requests.inner_text()
    assert_elder_mode(page)
    requests.locator("button[data-decision=approve]").click()
    home.locator("[data-slot=requests]").wait_for(state="hidden")
    link.refresh_from_db()
    assert (link.status, link.approved_via) == ("approved", "pensioner_app")


def test_file_a_zero_report_in_two_taps(page, sms_outbox):
    assignment = VillageAssignmentFactory(village=village_in("360102", 7))
    login(page, assignment.user.phone, sms_outbox)
    screen(page, "home").locator("a[href='#village']").click()  # tap 1
    village = screen(page, "village")
    village.locator(".villages button.primary").click()  # tap 2
    village.locator("[data-slot=done]").wait_for(state="visible")
    expect(village.locator(".villages button.primary")).to_have_count(0)  # filed: nothing left to tap
    expect(village.locator(".villages .ok")).to_have_count(1)
    report = MonthlyReport.objects.get(village=assignment.village)
    assert report.is_zero
    assert_elder_mode(page)
    assert axe_serious(page) == []
    shoot(page, "5-village-zero-report")


def test_a_relative_reports_a_death_with_a_certificate_photo(page, pensioner, sms_outbox, tmp_path):
    relative = UserFactory(roles=[Role.RELATIVE])
    RelativeLinkFactory(relative=relative, pensioner=pensioner)
    login(page, relative.phone, sms_outbox)
    screen(page, "home").locator("a[href='#death']").click()
    screen(page, "death").locator("button", has_text="陈星").click()
    details = screen(page, "death-details")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    details.locator("input[name=date_of_death]").fill(yesterday.isoformat())
    details.locator("input[name=place]").fill("家中")
    details.locator("button[type=submit]").click()
    photo = screen(page, "death-photo")
    photo.locator("input[type=file]").set_input_files(str(certificate_photo(tmp_path)))
    photo.locator("[data-slot=photo-state].ok").wait_for()
    assert_elder_mode(page)
    photo.locator("[data-action=death-send]").click()
    done = screen(page, "death-done")
    report = DeathReport.objects.get(pensioner=pensioner)
    assert str(report.pk) in done.locator("[data-slot=done]").inner_text()
    assert report.date_of_death == yesterday and report.evidence.count() == 1


def test_a_death_report_retried_after_a_lost_answer_is_filed_once(page, pensioner, sms_outbox):
    assignment = VillageAssignmentFactory(village=pensioner.region)
    login(page, assignment.user.phone, sms_outbox)
    page.goto(page.base + "/m/#death")
    death = screen(page, "death")
    death.locator("input[name=search]").fill(pensioner.name)
    death.locator("form button[type=submit]").click()
    death.locator("ul button", has_text="陈星").click()
    details = screen(page, "death-details")
    details.locator("input[name=date_of_death]").fill((timezone.localdate() - datetime.timedelta(days=2)).isoformat())
    details.locator("input[name=place]").fill("县医院")
    details.locator("button[type=submit]").click()

    def lose_the_answer(route):  # type: ignore[no-untyped-def]
        route.fetch()
        route.abort("connectionreset")

    page.route("**/api/v1/death-reports", lose_the_answer)
    photo = screen(page, "death-photo")
    photo.locator("[data-action=death-send]").click()
    photo.locator(".error").wait_for(state="visible")
    assert "网络" in photo.locator(".error").inner_text()
    page.unroute("**/api/v1/death-reports")
    photo.locator("[data-action=death-send]").click()
    screen(page, "death-done")
    assert DeathReport.objects.filter(pensioner=pensioner).count() == 1


def test_chat_with_the_assistant(page, pensioner, sms_outbox):
    login(page, pensioner.phone, sms_outbox)
    screen(page, "home").locator("a[href='#chat']").click()
    chat = screen(page, "chat")
    chat.locator("textarea").fill("我下次什么时候要认证？")
    chat.locator("button[type=submit]").click()
    reply = chat.locator(".chat li.out")
    reply.first.wait_for()
    due = pensioner.next_due
    assert f"{due.month}月{due.day}日" in reply.last.inner_text()
    assert_elder_mode(page)
    assert axe_serious(page) == []


def test_history_lists_my_certifications(page, pensioner, sms_outbox):
    from selfservice.services import certification_record

    certification_record(pensioner=pensioner, method="silent", recorded_by=None)
    login(page, pensioner.phone, sms_outbox)
    page.goto(page.base + "/m/#history")
    records = screen(page, "history").locator(".records li")
    records.first.wait_for()
    assert records.count() == 1 and "有效期至" in records.first.inner_text()

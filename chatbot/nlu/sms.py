"""Pasted notices: a genuine social-insurance SMS or a scam?

People paste what they received and ask "是真的吗". Real notices from 12333 or a local 人社 office
say that certification was done by data matching, that the period was extended, and that nothing
is needed; they give 12333 as the number. Scams want something: click a link, call or add another
contact, give a bank card, password or verification code, pay a fee or move money, and they
threaten with a deadline. Each signal is a reason code the conversation can explain plainly.

A rule table rather than a model: the signals are few, stable and must be explainable ("it asks
for your verification code"), and a wrong "genuine" costs far more than a wrong "unclear", so a
single scam signal that asks for money or secrets is enough.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from chatbot.nlu.normalize import NormalizedText, normalize


class SmsVerdict(StrEnum):
    SCAM = "scam"
    GENUINE = "genuine"
    UNCLEAR = "unclear"


class Reason(StrEnum):
    LINK = "link"  # a web link that is not a government site
    SECRETS = "asks_secrets"  # bank card number, password, verification code
    MONEY = "asks_money"  # transfer, fee, deposit, "safe account"
    THREAT = "threat_deadline"  # act within a deadline or lose the pension / card
    LURE = "unclaimed_money"  # a subsidy or refund "waiting to be claimed"
    OTHER_CONTACT = "other_contact"  # call another number, add WeChat/QQ, download an app, share the screen
    DATA_MATCHING = "data_matching"  # certified by data matching / extended automatically
    NO_ACTION = "no_action_needed"
    OFFICIAL_NUMBER = "official_number"  # 12333 is the only number given
    OFFICIAL_HEADER = "official_header"  # 【…人社…】-style signature


@dataclass(frozen=True)
class SmsCheck:
    verdict: SmsVerdict
    is_notice: bool  # looks like a pasted notice rather than a question of one's own
    reasons: tuple[Reason, ...]
    scam_score: int
    genuine_score: int


_GOV_LINK_RE = re.compile(r"(?:https?://)?[a-z0-9.-]*\.gov\.cn\b", re.IGNORECASE)
_LINK_WORD_RE = re.compile(r"点击链接|点链接|点击下方|登录网址|打开链接|链接")
_SECRETS_RE = re.compile(
    r"(?:提供|回复|告知|填写|输入|发送|发来|报|说出|核对|登记)[^。！？]{0,12}(?:银行卡|卡号|密码|验证码|动态码|cvv|有效期|身份证照片)"
    r"|(?:银行卡|卡号|密码|验证码)[^。！？]{0,8}(?:提供|回复|告知|告诉|填写|输入|发送|发给|给他|给她|核对|登记)"
)
_MONEY_RE = re.compile(
    r"转账|汇款|转到|打到[^。]{0,6}账户|安全账户|手续费|保证金|服务费|工本费|激活费|先交|交钱|缴纳[^。]{0,6}费"
)
_THREAT_RE = re.compile(
    r"(?:逾期|否则|过期|超时|立即|马上|尽快|限时|今日内|当天|[0-9一二两三]+\s*(?:小时|天|日)内|截止)"
    r"[^。！？]{0,24}(?:停发|冻结|作废|注销|取消|失效|停用|追究|收回|清零|放弃|永久)"
)
_LURE_RE = re.compile(
    r"(?:补贴|补助|红包|奖金|退款|退费|返还|补发款|福利)[^。！？]{0,10}(?:未领取|待领取|可领取|请领取|领取|到账)"
)
_CONTACT_RE = re.compile(
    r"加[^。，]{0,4}(?:微信|qq|好友)|下载[^。，]{0,8}(?:app|软件|客户端)|屏幕共享|共享屏幕|视频会议|会议软件|"
    r"联系电话|拨打(?!12333)[0-9(（-]|致电(?!12333)[0-9]",
    re.IGNORECASE,
)
_PHONE_LIKE_RE = re.compile(r"(?<![0-9])(?:0[0-9]{2,3}-?)?[0-9]{7,8}(?![0-9])|(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
_DATA_RE = re.compile(
    r"大数据|数据比对|信息比对|比对认证|就医|医保结算|自动(?:延续|递延|顺延|延期|延长)|顺延|递延|静默认证|无感认证"
)
_NO_ACTION_RE = re.compile(
    r"无需(?:本人)?(?:操作|办理|重复|再次)|不需要(?:本人)?(?:操作|办理)|不用(?:再)?(?:操作|办理)"
)
_HEADER_RE = re.compile(r"^\s*[【\[](?:[^】\]]{0,12})(?:人社|社保|12333|人力资源|社会保险|医保)[^】\]]{0,12}[】\]]")
_NOTICE_RE = re.compile(
    r"^\s*[【\[]|^\s*(?:尊敬的|您好|你好|通知|紧急通知|重要提醒|温馨提示)|短信|通知说|收到一条|发来"
)


def check_sms(raw: object) -> SmsCheck:
    """Scam, genuine or unclear, with the reasons (each one something the reply can say).

    ``raw`` is the message as typed or an already normalised ``NormalizedText``.
    """
    text = raw if isinstance(raw, NormalizedText) else normalize(raw)
    clean = text.clean.lower()
    reasons: list[Reason] = []
    scam = 0
    if (text.has_url and not _GOV_LINK_RE.search(clean)) or (_LINK_WORD_RE.search(clean) and not text.has_url):
        reasons.append(Reason.LINK)
        scam += 2
    for pattern, reason, weight in (
        (_SECRETS_RE, Reason.SECRETS, 3),
        (_MONEY_RE, Reason.MONEY, 3),
        (_THREAT_RE, Reason.THREAT, 2),
        (_LURE_RE, Reason.LURE, 2),
        (_CONTACT_RE, Reason.OTHER_CONTACT, 2),
    ):
        if pattern.search(clean):
            reasons.append(reason)
            scam += weight
    numbers = set(_PHONE_LIKE_RE.findall(clean.replace("12333", " ")))
    if numbers and Reason.OTHER_CONTACT not in reasons and scam:
        reasons.append(Reason.OTHER_CONTACT)
        scam += 1

    genuine = 0
    for pattern, reason, weight in (
        (_DATA_RE, Reason.DATA_MATCHING, 2),
        (_NO_ACTION_RE, Reason.NO_ACTION, 2),
        (_HEADER_RE, Reason.OFFICIAL_HEADER, 1),
    ):
        if pattern.search(clean):
            reasons.append(reason)
            genuine += weight
    if "12333" in clean and not numbers and Reason.LINK not in reasons:
        reasons.append(Reason.OFFICIAL_NUMBER)
        genuine += 1

    # Asking for money or secrets is enough; a threat alone is also how rumours read (unclear).
    wants = {Reason.SECRETS, Reason.MONEY}.intersection(reasons)
    if wants or scam >= 3 or (Reason.LINK in reasons and genuine == 0):
        verdict = SmsVerdict.SCAM
    elif genuine >= 2 and scam == 0:
        verdict = SmsVerdict.GENUINE
    else:
        verdict = SmsVerdict.UNCLEAR
    is_notice = bool(_NOTICE_RE.search(clean)) or genuine >= 2 or scam >= 3
    return SmsCheck(verdict, is_notice, tuple(reasons), scam, genuine)

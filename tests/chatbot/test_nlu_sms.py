"""Pasted notices: genuine 12333-style notices versus scams, with the reasons a reply can give."""

from __future__ import annotations

import pytest

from chatbot.nlu.sms import Reason, SmsVerdict, check_sms

GENUINE = (
    "【人社12333】尊敬的参保人：经大数据比对，已为您办理养老保险待遇资格认证，认证期自动递延12个月，"
    "无需本人操作。如有疑问请拨打12333。"
)


def test_data_matching_notice_with_12333_is_genuine() -> None:
    check = check_sms(GENUINE)
    assert check.verdict == SmsVerdict.GENUINE
    assert {Reason.DATA_MATCHING, Reason.NO_ACTION, Reason.OFFICIAL_NUMBER} <= set(check.reasons)
    assert check.is_notice


def test_link_with_deadline_threat_is_a_scam() -> None:
    check = check_sms("【社保】您的资格认证即将到期，请于24小时内点击 http://rz-shebao.top 完成认证，否则停发养老金")
    assert check.verdict == SmsVerdict.SCAM
    assert {Reason.LINK, Reason.THREAT} <= set(check.reasons)


def test_government_link_alone_is_not_a_scam_signal() -> None:
    check = check_sms("【某市人社】您本期认证已通过信息比对完成，详情见 http://rsj.example.gov.cn ，无需操作。")
    assert Reason.LINK not in check.reasons
    assert check.verdict == SmsVerdict.GENUINE


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("社保局通知：请回复您的银行卡号和短信验证码以完成养老金认证", Reason.SECRETS),
        ("认证需缴纳手续费200元，请转账至指定账户", Reason.MONEY),
        ("尊敬的退休人员，您有一笔高龄补贴待领取，请加工作人员微信办理", Reason.LURE),
    ],
)
def test_asking_for_secrets_money_or_offering_money_is_a_scam(text: str, reason: Reason) -> None:
    check = check_sms(text)
    assert check.verdict == SmsVerdict.SCAM
    assert reason in check.reasons


def test_traditional_script_subsidy_lure_with_another_number_is_a_scam() -> None:
    check = check_sms("您好!某市社保局管理中心通知:你有一份社保補貼金未領取,請及時辦理。聯繫電話:022-12345678。")
    assert check.verdict == SmsVerdict.SCAM
    assert Reason.OTHER_CONTACT in check.reasons


def test_a_deadline_threat_alone_reads_as_a_rumour_not_a_proven_scam() -> None:
    assert check_sms("退休人员注意：本月底前必须认证，否则养老金停发").verdict == SmsVerdict.UNCLEAR


def test_own_question_is_not_a_notice() -> None:
    check = check_sms("我妈刷脸认证一直失败怎么办")
    assert (check.verdict, check.is_notice) == (SmsVerdict.UNCLEAR, False)


def test_12333_inside_a_scam_link_is_not_an_official_number() -> None:
    check = check_sms("点击 http://12333-rz.xyz 立即认证，逾期冻结社保卡")
    assert Reason.OFFICIAL_NUMBER not in check.reasons
    assert check.verdict == SmsVerdict.SCAM

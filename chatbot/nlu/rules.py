"""Rules for the messages where a rule is clearer than a model: short fixed phrases.

A whole message of "取消", "谢谢谢谢", "你好呀" or "转人工" means exactly that, and the
conversation depends on getting them right every time (cancel must always cancel). Anything
longer goes to the classifier, which sees the whole sentence ("谢谢，那我下次什么时候认证").
"""

from __future__ import annotations

import re

from chatbot.nlu.intents import Intent

# Trailing particles and fillers that do not change a short message's meaning.
_PARTICLES_RE = re.compile(r"[啊呀吧呢哦哈嘛啦噢喔哇呐咯嘞]+$")
_LEADING_RE = re.compile(r"^(?:那就|那么|好吧|那|嗯|哦|好)(?=.)")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_LEXICON: dict[Intent, frozenset[str]] = {
    Intent.CANCEL: _words(
        "取消 算了 算 不用了 不办了 不要了 不弄了 退出 停止 结束 撤销 撤回 放弃 中止 返回 重来 重新开始 不报了 "
        "取消吧 算了吧 不了 不做了 不用办了 先不弄了 先不办了 不提交 不确认 别提交 不需要了 停 否"
    ),
    Intent.THANKS: _words(
        "谢谢 谢谢你 谢谢您 多谢 感谢 谢了 非常感谢 太感谢了 辛苦了 辛苦你了 好的谢谢 明白了 知道了 懂了 清楚了 "
        "收到 好的 好 行 ok okay 明白了谢谢 知道了谢谢 好的收到 再见 拜拜 好嘞 好咧 好哒 得嘞"
    ),
    Intent.GREETING: _words(
        "你好 您好 在吗 在不在 有人吗 有人在吗 早上好 上午好 中午好 下午好 晚上好 喂 hello hi 嗨 哈喽 哈罗 早 "
        "早安 你好你好 您好您好 在线吗 老师好 同志你好 同志您好"
    ),
    Intent.HUMAN: _words(
        "人工 转人工 人工客服 人工服务 转人工服务 真人 真人客服 找人工 我要人工 找客服 我要客服 客服 人工坐席 "
        "转接人工 我要找人工"
    ),
}


def _cores(model_text: str) -> tuple[str, ...]:
    """The message without trailing particles, and also without a leading filler ("那就算了")."""
    core = _PARTICLES_RE.sub("", model_text.replace(" ", ""))
    stripped = _PARTICLES_RE.sub("", _LEADING_RE.sub("", core))
    return (core, stripped) if stripped != core else (core,)


def _is_repetition(core: str, word: str) -> bool:
    """ "取消取消", "谢谢谢谢", "算了算了": a word said two or three times."""
    return len(core) % len(word) == 0 and 1 < len(core) // len(word) <= 3 and core == word * (len(core) // len(word))


def rule_intent(model_text: str) -> Intent | None:
    """The intent of a short fixed phrase, or None to let the classifier decide."""
    for core in _cores(model_text):
        if not core or len(core) > 8:
            continue
        for intent, words in _LEXICON.items():
            if core in words or any(_is_repetition(core, w) for w in words if len(w) >= 2):
                return intent
    return None


# A pasted notice decided by the SMS checker (chatbot/nlu/sms.py): a scam is `other` (the reply
# warns), a genuine data-matching notice is `silent_cert` (the reply says it is real and that
# nothing is needed). Below certainty on purpose: the checker is a rule table, not a proof.
NOTICE_CONFIDENCE = 0.9


def notice_intent(raw: object) -> Intent | None:
    """`other` for a pasted scam, `silent_cert` for a genuine data-matching notice, else None."""
    from chatbot.nlu.sms import Reason, SmsVerdict, check_sms

    check = check_sms(raw)
    if not check.is_notice:
        return None
    if check.verdict == SmsVerdict.SCAM:
        return Intent.OTHER
    if check.verdict == SmsVerdict.GENUINE and Reason.DATA_MATCHING in check.reasons:
        return Intent.SILENT_CERT
    return None

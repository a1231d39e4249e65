"""Domain cue features: families of words that mean the same thing to this service.

Character n-grams learn each word separately, so a synonym seen once in the corpus (仙逝, 殁,
过身) carries little weight. Grouping synonyms into one cue feature lets every member share what
the classifier learned about the family. The lists come from the source articles and from how
people actually write (see docs/chatbot.md); they are features, not verdicts: the classifier
weighs them with everything else.
"""

from __future__ import annotations

import re

_RELATIVE = (
    r"(?:妈|爸|父|母|爹|娘|老人|长辈|奶奶|爷爷|外婆|外公|姥姥|姥爷|老伴|婆婆|公公|岳父|岳母|丈人|丈母|"
    r"大伯|大爷|伯伯|叔|姑|舅|姨|老公|老婆|爱人|丈夫|妻子|家里人|家人|亲人|亲属|老头|老太)"
)

CUES: dict[str, str] = {
    "death": (
        r"去世|过世|逝世|离世|病故|病逝|仙逝|身故|已故|亡故|死亡|死了|殁|过身|人没|报丧|"
        r"丧葬|抚恤|火化|土葬|殡|遗属|后事|销户|注销|死亡证明"
        # "走了/没了/不在了" mean died after a person ("我爸没了"), not after money ("钱没了").
        rf"|{_RELATIVE}(?:已经|昨天|前天|刚刚|刚)?(?:走了|没了|没有了|不在了)"
    ),
    "abroad": (
        r"国外|境外|海外|出国|出境|外国|国籍|移民|定居|旅居|大使馆|使馆|领事馆|使领馆|驻外|护照|"
        r"香港|澳门|台湾|美国|加拿大|英国|法国|德国|日本|韩国|澳大利亚|新西兰|新加坡|泰国|俄罗斯|"
        r"马来西亚|意大利|西班牙|欧洲|信函|邮寄"
    ),
    "elsewhere": r"异地|外地|外省|跨省|省外|老家|原籍|户口在|回不去|回不了|不在本地|候鸟|过冬|三亚|海南",
    "failure": (
        r"失败|不通过|没通过|不成功|没成功|不过|刷不|识别不|比对不|不是本人|非本人|不一致|不匹配|闪退|"
        r"卡住|卡在|打不开|黑屏|没反应|报错|超时|相似度|认不出|过不去|不行|通不过|老是|总是|一直|不了|异常|"
        r"错误|差异|申领不了|领不了|申请不了|无法申领|激活不了|不符"
    ),
    "face": r"刷脸|人脸|脸|面部|人像|摄像头|拍照|照片|眨眼|张嘴|摇头|活体|镜头|光线",
    "proxy": r"帮|替|代|给我|子女|儿子|女儿|闺女|孙子|孙女|儿媳|女婿|晚辈|亲友|家属|绑定|关联|护工|亲情|家庭成员",
    # Someone who cannot do it themselves (the reason a relative steps in).
    "unable": (
        r"不会用|不会弄|不会操作|弄不了|不识字|卧床|瘫|行动不便|腿脚不|出不了门|下不了床|老年痴呆|糊涂|"
        r"看不清|眼神不好|耳朵背|没有智能手机|老年机|养老院"
    ),
    "relative": _RELATIVE,
    "suspend": (
        r"停发|暂停|停了|停掉|停止发|没到账|未到账|没有到账|没发|不发|没收到|没进|没有进|没打|恢复|冻结|中断|"
        r"断了|补发|解除|没了钱|没钱|不给|停发状态|不允许|恢复发放"
    ),
    "money": r"养老金|退休金|退休工资|养老钱|待遇|钱|存折|银行卡|到账",
    "silent": (
        r"静默|无感|自动|大数据|信息比对|数据比对|比对认证|免认证|免于认证|无需认证|不用认证|无需操作|没做|"
        r"没刷|没弄|没去|什么都没|啥都没|没有操作|疫苗|住院|看病|公交|坐车|火车|飞机|医保结算|买药|健在|活着"
    ),
    "sms": r"短信|信息说|通知说|收到一条",
    "due": (
        r"下次|下一次|下回|下一回|下一轮|到期|过期|截止|截至|有效期|有效到|管到|管多久|几号|几月|哪天|"
        r"什么时候|啥时候|几时|多久|多长时间|还有几天|还剩|几天|明年|一年一次|周期|每年|几次|月份|规定时间|时间规定|这个月"
    ),
    "status": (
        r"了没|了吗|没有|有没有|成没成|好没好|过没过|过了没|通过没|查|结果|状态|记录|情况|进度|核实|确认|"
        r"成功了|通过了|完成了|办妥|弄好"
    ),
    "howto": r"怎么|怎样|如何|哪里|去哪|在哪|步骤|流程|方法|办法|操作|办理|教|入口|方式|咋|指南|准备|材料",
    "start": r"^(?:我想|我要|帮我|开始|现在)",
    "human": (
        r"人工|真人|客服|工作人员|打电话|回电|电话|投诉|领导|负责人|地址|窗口|办事大厅|上门|联系|预约|"
        r"12333|活人|找人|机器"
    ),
    # Why certify at all, and forwarded rumours (the user doubts the rule rather than asks the way).
    "why": r"为什么还要|为啥还要|凭什么|有必要|意义|为啥要|为什么要|为啥非要|为什么非要|折腾",
    "rumour": r"转发|扩散|转告|网传|谣言|辟谣|是真的吗|真的假的|真假|靠谱吗|传言|朋友圈|群里",
    "fraud": r"URL|链接|点击|转账|验证码|骗|收费|密码|共享屏幕|下载一个|加我微信|交钱|先交",
    "amount": r"多少钱|多少|涨|上调|调整|计算|算的|缴费|交社保|缴|医保|社保卡|退休手续|公积金|账户余额|余额|补贴|津贴",
    "thanks": r"谢|感谢|辛苦|明白|知道了|懂了|清楚了|好的|再见|拜拜",
    "greeting": r"^(?:你好|您好|在吗|喂|早|晚上好|下午好|嗨|哈喽|hello|hi)",
    "cancel": r"取消|算了|不用了|不办了|不要了|不弄了|退出|撤销|放弃|重来|返回|点错|搞错|弄错|说错|不提交|先不",
}

_COMPILED = tuple((name, re.compile(pattern)) for name, pattern in CUES.items())
CUE_NAMES: tuple[str, ...] = tuple(CUES)


def cue_tokens(model_text: str) -> list[str]:
    """Cue names present in the text, plus pairs of cues (failure×face, proxy×relative…)."""
    present = [name for name, pattern in _COMPILED if pattern.search(model_text)]
    tokens = list(present)
    for i, a in enumerate(present):
        for b in present[i + 1 :]:
            tokens.append(f"{a}+{b}")
    return tokens

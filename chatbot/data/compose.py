"""Compose ``train_shapes.jsonl``: the shapes real questions come in, from hand-written parts.

    .venv/bin/python chatbot/data/compose.py        # rewrites chatbot/data/train_shapes.jsonl

Real questions are rarely one short clean sentence. They are long first-person stories with the
need in the last sentence, "我家老人…我想帮他…", headlines, search fragments, quoted error prompts,
pasted SMS and several needs in one message. The parts below were written for this service (not
copied from any collected question): intent-neutral story openings, one need sentence per line
for each intent, "situation" sentences that add a second need, and closings. Each need is used
bare, as a headline/search fragment, and after one or two openings (and sometimes a situation of
another intent: the label stays the need that is asked, which is what the last sentence says).
The output is deterministic (fixed seed), so re-running it changes nothing unless a part changed.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

OUT = Path(__file__).resolve().parent / "train_shapes.jsonl"
SEED = 20261130

# Story openings that carry no need of their own (who is asking, why now).
OPENINGS = [
    "我今年六十三岁，前年从纺织厂退休，一直按月领养老金。",
    "本人男，六十五，企业退休职工，户口在县城。",
    "我家老人今年八十多了，住在农村老家，身体还算硬朗。",
    "我妈是退休教师，七十二岁，眼神不太好，智能手机也用不利索。",
    "各位好，想请教一个问题，麻烦懂的朋友给说说。",
    "我父亲退休快十年了，每个月退休金都打到卡上。",
    "小区里好多老人都在议论认证的事，我也搞不太清楚。",
    "前几天社区微信群里发了个通知，说领养老金的人都要做资格认证。",
    "我是独生子女，在外地上班，爸妈两个都在领退休金。",
    "老伴去年摔了一跤，腿脚不方便，现在很少出门。",
    "问个事儿。",
    "新手求教，说得不清楚请见谅。",
    "我不太会用手机，字打得慢，大家多包涵。",
    "我是农村的，交的是城乡居民养老保险，六十岁开始领钱。",
    "我婆婆一个人住，我们做子女的平时轮流去照看。",
    "我在机关事业单位干了三十多年，去年年底办的退休。",
    "家里老爷子九十岁了，耳朵背，打电话也说不清楚。",
    "我和老伴都是退休工人，儿女都不在身边。",
    "我岳父岳母都领养老金，平时这些事都是我帮着弄。",
    "我姥姥八十七了，不识字，也没有手机。",
    "我是下岗后自己交的社保，今年刚开始领养老金。",
    "以前都是单位统一给我们弄的，现在单位没了。",
    "去年我是在社区弄的，今年社区说让自己在手机上弄。",
    "听邻居说今年的规定变了，心里没底。",
    "我爸妈在老家，我在城里打工，一年回去一两次。",
    "本人退休职工一名，平时不太关注这些政策。",
    "我奶奶今年九十二，卧床好几年了，家里请了保姆照顾。",
    "我是独居老人，孩子们都在外面成家了。",
    "老人家退休前是矿上的工人，养老金是矿务局转过来的。",
    "我刚办完退休手续，第一次领养老金，什么都不懂。",
    "尊敬的工作人员您好，我是一名退休职工。",
    "领导好，我反映一个情况。",
    "大家好，我是替我爸来问的。",
    "我妈七十五了，手机是老年机，只能打电话。",
    "我们这边是山区，去一趟县城要坐两个小时车。",
    "我公公退休二十年了，一直好好的。",
    "这几天一直在网上查，越查越糊涂。",
    "打12333打了好几次都占线。",
]

# Closings people add after the question.
CLOSINGS = ["", "", "", "", "谢谢！", "求解答。", "在线等，挺急的。", "麻烦告诉我一下，谢谢了。"]
CLOSINGS += ["先谢谢大家。", "急急急"]

# A situation that adds a second need; the label stays the asked need.
SITUATIONS = {
    "suspended": [
        "这个月养老金没到账，",
        "听说认证过期了，卡里的钱也停了，",
        "上个月退休金就没发下来，",
        "老人的待遇被暂停了，",
    ],
    "face_failed": [
        "在手机上刷了好几次脸都没通过，",
        "人脸识别一直提示不是本人，",
        "认证的时候总卡在眨眼那一步，",
    ],
    "remote_abroad": [
        "我现在跟着女儿住在加拿大，",
        "我常年在海南过冬，户口在东北，",
        "老人跟着我们在外省生活好几年了，",
    ],
    "next_due": [
        "上次认证是去年三月份，",
        "也不知道认证什么时候到期，",
    ],
    "proxy_certify": [
        "老人自己不会弄手机，",
        "我爸不识字也不会用智能机，",
    ],
}

NEEDS: dict[str, list[str]] = {
    "check_status": [
        "我到底认证上了没有？",
        "怎么查自己今年认证过没有？",
        "昨天在手机上做完了，不知道成功没有，去哪里看结果？",
        "帮我查一下我妈的认证状态。",
        "认证完显示提交成功，这就算通过了吗？",
        "社区说帮我们登记了，可我怎么确认已经认证了？",
        "我的资格认证记录在哪里能查到？",
        "认证结果一般多久能出来？",
        "我想看看我爸今年有没有认证过。",
        "系统里我的认证是什么状态？",
        "做完认证后没有收到任何提示，算成功吗？",
        "工作人员上门给拍了照，到底认证好了没？",
    ],
    "next_due": [
        "下一次认证是什么时候？",
        "认证一次能管多长时间？",
        "是不是每年都得认证一回？",
        "我的认证哪天到期？",
        "养老金认证有没有固定的月份，非得年底弄吗？",
        "认证的截止时间是哪天？",
        "听说一年认证一次，是从哪天开始算一年？",
        "认证时间过了几天会不会有影响，还有几天期限？",
        "网上说这个月之前必须认证，是真的吗，到底什么时候认证？",
        "多久认证一次？三个月还是一年？",
        "有人说下个月不认证就停钱，这消息靠谱吗，认证到底有没有期限？",
        "群里转的通知说年底前必须认证，到底是不是这样？",
        "不在规定月份认证真的会停发吗，我该什么时候认证？",
        "是不是必须每年固定时间去认证？",
        "认证期限是多久，到期前会提醒吗？",
        "群里说月底前不认证就停发，这是真的吗，我去年八月才认证的？",
        "今年还用不用再认证，上次是什么时候来着？",
        "一年到底要认证几次？",
        "认证有效期到什么时候？",
    ],
    "how_to_certify": [
        "在手机上怎么做养老金认证？",
        "养老金资格认证去哪里办？",
        "老人认证需要带什么材料？",
        "用哪个APP可以认证，具体步骤是什么？",
        "不会用智能手机的老人怎么认证？",
        "认证可以去社区办吗，要本人去吗？",
        "我想现在就认证，怎么弄？",
        "行动不便的能不能让工作人员上门认证？",
        "掌上12333怎么认证养老金？",
        "电子社保卡里的待遇认证入口在哪？",
        "微信上能不能做领取资格认证，怎么操作？",
        "第一次领养老金，资格认证怎么弄，有没有详细流程？",
        "养老金认证的方法有哪些？",
        "养老金认证的官方平台是哪个？",
        "社保人脸认证在哪个网址或者APP上？",
        "退休人员认证的入口在哪里找？",
        "年纪大的人领养老金要在哪个平台认证？",
        "支付宝上养老认证怎么弄？",
        "认证期满一年了，去哪里重新做一次？",
        "退休了还要认证，请问怎么办理？",
    ],
    "face_failed": [
        "刷脸一直不通过怎么办？",
        "人脸识别老是提示失败，换了几个手机都不行。",
        "认证时提示“人脸比对不通过”是什么原因？",
        "刷脸的时候一直让眨眼，眨了也没反应，怎么办？",
        "老人脸上皱纹多，识别不出来，怎么解决？",
        "显示“非本人操作”，可确实是本人啊，怎么回事？",
        "认证提示“身份信息校验失败”，该怎么处理？",
        "人脸识别相似度太低过不去怎么办？",
        "电子社保卡领不了，提示身份信息不匹配，怎么办？",
        "一点认证就闪退，根本刷不了脸。",
        "刷脸的时候摄像头打不开怎么办？",
        "认证页面报错“活体检测失败”，什么意思？",
        "照片跟本人对不上，系统老说不是本人。",
        "老人刷了十几次都失败，还有别的办法吗？",
        "认证一直显示验证未通过，是哪里出问题了？",
    ],
    "proxy_certify": [
        "我能不能帮我爸在我手机上认证？",
        "子女可以替父母做养老金认证吗？",
        "老人不会用手机，家属代办认证怎么操作？",
        "怎么给我妈绑定亲情账户帮她认证？",
        "我想帮他认证，用我的手机行不行？",
        "老人卧床起不来，家里人能代替认证吗？",
        "一个手机能帮几个老人认证？",
        "帮家里老人认证需要老人本人在场吗？",
        "我在外地，能远程帮老家的父母认证吗？",
        "替老人认证要准备什么？",
        "老人没有智能手机，我们做儿女的怎么帮他弄？",
        "亲情认证怎么添加家人？",
        "我想帮我奶奶认证，该怎么弄？",
        "可以用孩子的手机给老人刷脸吗？",
        "代家里老人认证养老金要怎么弄？",
        "儿女替爸妈做资格认证的入口在哪里？",
        "怎样代替行动不便的亲人完成认证？",
        "老人不识字，我代他在手机上操作可以吗？",
        "父母的认证能不能由我来代办？",
        "孙子能帮爷爷奶奶认证吗？",
    ],
    "report_death": [
        "老人去世了，养老金要怎么停？",
        "人走了以后家属需要去社保办什么手续？",
        "丧葬费和抚恤金怎么领？",
        "退休人员去世，丧葬补助金能领多少？",
        "老人过世后多领的养老金要退回吗？",
        "父亲上个月病故了，要去哪里报死亡？",
        "领养老金的人死了，个人账户里的钱能继承吗？",
        "我妈走了，她的养老金账户怎么注销？",
        "老伴不在了，遗属能领什么补助？",
        "人去世了没及时报，社保会追回钱吗？",
        "办丧葬费需要带什么证明？",
        "家里老人已经火化了，接下来社保这块怎么办？",
    ],
    "suspended": [
        "养老金被停发了，怎么恢复？",
        "这个月退休金没到账，是怎么回事？",
        "认证过期了钱停了，补认证后能补发吗？",
        "要是一直不去认证，会怎么样，钱会断吗？",
        "待遇暂停了，要去哪里办恢复？",
        "认证时提示“待遇暂停状态”，怎么办？",
        "养老金突然不发了，怎么查原因？",
        "补认证以后停发的那几个月钱会补上吗？",
        "卡里两个月没进钱了，社保那边怎么说？",
        "忘了认证被停了，多久能恢复发放？",
        "退休金迟迟不进卡，该找谁问？",
        "停发的养老金还能拿回来吗？",
        "系统说“该人员处于停发状态，无法办理”，怎么弄？",
        "恢复发放需要什么手续？",
    ],
    "silent_cert": [
        "什么是静默认证？",
        "我什么都没做，怎么显示已经认证了？",
        "收到短信说已经通过大数据帮我认证了，还要自己再弄吗？",
        "静默认证以后是不是就不用刷脸了？",
        "无感认证是怎么回事，靠谱吗？",
        "听说住院看病的记录就能算认证，是真的吗？",
        "好久没认证但钱一直照发，是不是系统自动认证了？",
        "大数据比对认证是怎么认证的？",
        "短信说我的认证期自动延长了，这条短信是真的吗？",
        "为什么别人说不用认证了，我们这边还要？",
        "自动认证了还需要再去社区吗？",
        "信息比对认证和刷脸认证有什么区别？",
        "我好几年没去认证了，养老金也没停，是不是不用认证了？",
        "一直没认证钱照样到账，这正常吗，还用认证吗？",
        "听说山东那边已经不用刷脸了，是自动认证吗？",
        "系统说本年度已认证，可我没弄过，还需要再弄吗？",
    ],
    "remote_abroad": [
        "人在国外怎么认证养老金？",
        "长期住在外省，不回原籍能认证吗？",
        "定居海外的退休人员去哪里认证？",
        "在美国的老人可以通过中国领事APP认证吗？",
        "异地居住的怎么办领取资格认证？",
        "跟孩子在外地生活，社保在老家，认证怎么弄？",
        "去大使馆办生存证明需要什么？",
        "住在香港的怎么做内地养老金认证？",
        "移居国外以后养老金还能领吗，要怎么认证？",
        "候鸟老人在三亚过冬，怎么认证？",
        "境外居住人员资格审核表在哪里办？",
    ],
    "human": [
        "我要找人工客服。",
        "社保局的电话是多少？",
        "我要投诉社保窗口的工作人员态度不好。",
        "能不能让工作人员给我回个电话？",
        "跟机器说不清楚，给我转个真人。",
        "你们办事大厅在哪，几点上班？",
        "12333一直打不通，还有别的电话吗？",
        "我要反映问题，找你们领导。",
        "社保中心的地址在哪里？",
        "工作人员推来推去不给办，去哪里投诉？",
        "有没有能当面咨询的地方？",
        "对社保经办人员不满意，怎么反映，通过什么渠道？",
        "社保局不作为可以向哪里投诉，有什么步骤？",
        "想投诉社保中心，打什么电话有用？",
    ],
    "other": [
        "今年养老金涨了多少？",
        "养老金是怎么计算的？",
        "为什么退休了还要认证，有这个必要吗？",
        "社保卡丢了怎么补办？",
        "个人账户余额怎么查？",
        "医保报销比例是多少？",
        "灵活就业人员怎么交社保？",
        "养老金每个月几号发？",
        "退休手续怎么办？",
        "高龄补贴怎么申请？",
        "换了银行卡，养老金发到哪张卡？",
        "缴费满十五年后还用继续交吗？",
    ],
}

# Headline and search-fragment frames: {x} is a topic phrase of the intent.
TOPICS: dict[str, list[str]] = {
    "check_status": ["养老金认证结果查询", "认证是否成功查询", "资格认证状态查询", "认证记录查询"],
    "next_due": ["养老金认证周期", "认证有效期", "资格认证时间规定", "养老金多久认证一次", "认证截止日期"],
    "how_to_certify": [
        "养老金资格认证流程",
        "退休人员认证方法",
        "手机养老认证步骤",
        "领取待遇资格认证办理",
        "社保年审操作",
    ],
    "face_failed": ["刷脸认证失败原因", "人脸识别不通过解决办法", "认证提示不是本人", "身份校验失败处理"],
    "proxy_certify": ["子女代父母认证", "亲情账户认证", "家属代办养老金认证", "帮老人刷脸认证"],
    "report_death": ["退休人员去世丧葬费", "养老金领取人死亡后处理", "丧葬补助金标准", "去世后养老金停发手续"],
    "suspended": ["养老金停发恢复", "待遇暂停后补发", "未认证养老金停发后果", "退休金没到账原因"],
    "silent_cert": ["静默认证是什么", "大数据认证说明", "无感认证是否还需刷脸", "自动认证短信"],
    "remote_abroad": ["境外养老金资格认证", "异地居住养老认证", "海外退休人员生存证明", "外省居住认证办法"],
    "human": ["社保投诉电话", "社保局人工咨询", "社保窗口投诉渠道", "社保经办机构联系方式"],
    "other": ["养老金调整标准", "社保卡补办", "养老金计算方法", "个人账户余额查询"],
}
FRAMES = [
    "{x}",
    "{x}？",
    "{x}怎么办",
    "{x}最新规定",
    "{place}{x}",
    "{x}，一文讲清",
    "退休人员注意：{x}",
    "{x}有哪些",
    "{year}年{x}",
]
PLACES = ["江西", "四川", "河南", "广东", "山东", "云南", "湖北", "浙江", "黑龙江", "甘肃", "广西", "安徽"]

# Standalone lines for shapes composition does not give: pasted SMS, rumours, error prompts,
# dialect and typos. Genuine notices are silent_cert (the user wants to know it is real and
# whether anything is needed); scams and rumours are other.
STANDALONE: list[tuple[str, str]] = [
    ("【人社12333】尊敬的参保人，通过大数据比对，已为您完成本年度待遇领取资格认证，无需本人操作。", "silent_cert"),
    ("收到一条短信：“您的待遇领取资格认证期已自动延续至明年，如有疑问请咨询12333。”这是怎么回事？", "silent_cert"),
    ("【某某市社保】您本周期资格认证已通过信息比对完成，下次认证时间请关注通知。这个还要我自己弄吗", "silent_cert"),
    ("短信说根据就医记录为我办理了认证，我没去过社保啊", "silent_cert"),
    ("我妈手机收到认证成功的短信，可她根本没操作，正常吗", "silent_cert"),
    ("通知说免于认证，是不是以后都不用管了", "silent_cert"),
    ("【社保中心】您的养老金账户异常，请于24小时内点击链接重新认证，否则将停发待遇。", "other"),
    ("尊敬的退休人员：您有一笔养老补贴待领取，请添加工作人员微信办理，逾期作废。", "other"),
    ("社保局通知您的社保卡已被冻结，请回复银行卡号和验证码解冻", "other"),
    ("收到短信让我提供银行卡密码来认证养老金，这是骗子吧", "other"),
    ("有人打电话说是社保局的，让我转账交认证手续费", "other"),
    ("[社保待遇]您的资格认证未通过，请下载APP并开启屏幕共享配合操作", "other"),
    ("紧急通知：所有退休人员必须在本月底前到指定地点认证，过期永久取消养老金！！！转发给身边的老人", "other"),
    ("重要提醒：明年起养老金改为每季度认证一次，不认证一律停发，家里有老人的快转", "other"),
    ("网传养老金认证要收费200元，谁知道怎么回事", "other"),
    ("朋友圈都在传今年认证要提前，不然就停钱，大家注意", "other"),
    ("好端端的每年都要认证一次，凭什么", "other"),
    ("认证认证天天认证，烦不烦，能不能取消这个制度", "other"),
    ("养老金调整方案出来了没有", "other"),
    ("我想咨询一下补缴社保的事", "other"),
    ("【社保局】您的养老保险资格认证即将失效，请立即登录 sbrz-gov.top 完成认证，逾期停发", "other"),
    ("【医保中心】您的医保卡已停用，回复1重新激活，需提供银行卡号及短信验证码", "other"),
    ("社保局工作人员：您的养老金多发了，需要退回，请把钱转到安全账户", "other"),
    ("恭喜您获得高龄养老补贴3000元，请点击链接填写银行卡信息领取", "other"),
    ("您好，您的社保卡存在异常，涉嫌违规，请尽快拨打0571-8888XXXX核实，否则冻结", "other"),
    ("有个自称社保中心的人让我下载会议软件开共享屏幕做认证", "other"),
    ("通知：即日起退休人员须每三个月到社区认证一次，逾期按自动放弃处理，请相互转告", "other"),
    ("转发：今年养老金认证提前到十一月，十一月没认证的明年停发，家里有老人的注意了", "other"),
    ("退休人员注意了！下个月开始认证改新规，不会刷脸的全部要本人去现场，否则停发！", "other"),
    ("最新消息：养老金认证截止到本月底，过了就要重新办退休", "other"),
    ("紧急扩散：社保系统升级，退休人员要重新登记银行卡，不然拿不到钱", "other"),
    ("网上传的认证新规，说不认证的要退回一年养老金，吓死人", "other"),
    ("都说认证是为了防止死人冒领，那活人为啥也得每年证明自己活着", "other"),
    ("我天天在家好好的，为啥非要证明我还活着", "other"),
    ("领养老金为什么要年年认证，意义何在", "other"),
    ("认证这种事能不能别折腾老人了", "other"),
    ("【人社局】您已通过社保数据比对完成本期待遇资格认证，下次认证期至明年同月，无需重复操作。退订回T", "silent_cert"),
    ("今天收到12333的短信，说是根据我的就医数据已经认证，下个认证期顺延一年，这个是官方的吗", "silent_cert"),
    ("短信：您本年度领取待遇资格已确认，感谢配合。要不要回复什么", "silent_cert"),
    ("老爸手机上来了个短信说认证自动延期了，不放心，问问真假", "silent_cert"),
    ("俺家老汉刷脸刷了八回都不中，咋整", "face_failed"),
    ("刷连老是失拜咋回事", "face_failed"),
    ("人连识别不了啊急死了", "face_failed"),
    ("认证的时候跳出来“您的身份信息与人脸不一致”", "face_failed"),
    ("提示“请保持正脸”然后就失败了", "face_failed"),
    ("APP提示当前网络异常认证失败，试了一上午", "face_failed"),
    ("电子社保卡申请不了，一直说实名认证没通过", "face_failed"),
    ("领电子社保卡的时候刷脸过不去，后面也没法认证了", "face_failed"),
    ("咋个认正嘛，我老汉儿不会弄", "how_to_certify"),
    ("养老认正在哪弄", "how_to_certify"),
    ("社保年检咋弄哦", "how_to_certify"),
    ("老人领养老金的资格认证在哪里办理 怎么操作", "how_to_certify"),
    ("手机认证养老金步骤图解", "how_to_certify"),
    ("退休人员怎样认证 社区还是手机", "how_to_certify"),
    ("认证快满一年了得去哪弄", "how_to_certify"),
    ("俺的养老钱咋不发了", "suspended"),
    ("退休金停了咋整啊，是不是没认证", "suspended"),
    ("钱冇到账咯，点算", "suspended"),
    ("养老金没有按时到卡上，打了电话也说不清", "suspended"),
    ("认证页面弹出“待遇状态异常，请联系经办机构”", "suspended"),
    ("没有按时认证会怎么样", "suspended"),
    ("过了认证期没认证，钱会不会停？停了还能补回来吗", "suspended"),
    ("俺娘没了，她那个退休金咋处理", "report_death"),
    ("我老汉儿前天走了，社保那边要弄啥子", "report_death"),
    ("老人殁了，单位让我们去办丧葬费", "report_death"),
    ("去世的退休人员丧葬费标准是多少", "report_death"),
    ("人已经去世了但是养老金还在发，怎么办", "report_death"),
    ("老人在国外住，认证咋弄", "remote_abroad"),
    ("在日本定居的退休人员怎么领国内养老金", "remote_abroad"),
    ("人在外省回不去，认证可以不回去吗", "remote_abroad"),
    ("在澳洲带孙子，国内的养老金认证咋办", "remote_abroad"),
    ("12333人工怎么转", "human"),
    ("打了半天电话没人接，要投诉", "human"),
    ("社保局服务差去哪里举报", "human"),
    ("有没有社保的咨询热线", "human"),
    ("我要跟工作人员当面说", "human"),
    ("我爸的认证上了吗，查一下", "check_status"),
    ("今年做过认证没有啊我忘记了", "check_status"),
    ("认证到底通过没", "check_status"),
    ("我记不清上回啥时候认证的了，下回啥时候", "next_due"),
    ("认证是不是只能在年底做", "next_due"),
    ("非得12月份认证吗", "next_due"),
    ("认证时间有没有规定", "next_due"),
    ("帮老人代认证可以吗", "proxy_certify"),
    ("给父母认证怎么弄", "proxy_certify"),
    ("替家里人认证要本人到场吗", "proxy_certify"),
    ("老人只有老年机，子女能用自己的手机帮他开通电子社保卡吗", "proxy_certify"),
    ("不会用手机的老人，子女怎么帮忙认证", "proxy_certify"),
]


# Slot grammars for the intents real questions confuse with "how to certify": each need is said
# with the words that also mean how-to (怎么/怎么办/在哪/认证), so the model has to learn that the
# stopped payment, the relative, the failing scan or the deadline decides the intent, wherever it
# sits in the sentence. A fixed number of combinations is drawn per intent (deterministic).
WHO = ["我爸", "我妈", "父母", "家里老人", "老人", "我奶奶", "我爷爷", "岳母", "公公", "老伴", "婆婆", "姥姥", "老父亲"]
WHY = [
    "不会用智能手机",
    "卧床好几年了",
    "眼睛看不清",
    "住在养老院",
    "瘫痪在床",
    "不识字",
    "没有智能手机",
    "有点老年痴呆",
    "腿脚不好出不了门",
    "耳朵背听不清",
]
ASK = ["怎么弄", "怎么办", "可以吗", "行不行", "怎么操作", "要准备什么", "有什么办法", "咋整", "", "？"]
GRAMMAR: dict[str, tuple[list[str], dict[str, list[str]], int]] = {
    "proxy_certify": (
        [
            "我想帮{who}做养老金认证，{ask}",
            "{who}{why}，我能不能替{him}认证",
            "{who}{why}，子女怎么帮{him}认证{ask}",
            "{who}{why}，我{verb}{him}在我手机上刷脸{ask}",
            "能用我的手机给{who}认证吗",
            "怎么{verb}{who}做资格认证",
            "{who}的认证我来{do}，{ask}",
            "{verb}{who}刷脸认证",
            "儿女{verb}{who}认证养老金{ask}",
            "我在外地，{who}{why}，今年的认证我远程{verb}{him}弄{ask}",
            "家属代{who}认证需要{who}本人在旁边吗",
            "{who}{why}，认证只能{who}自己来吗，我{verb}{him}行不行",
            "{who}{why}，{his}养老金认证{ask2}",
            "{who}{why}，今年的资格认证{ask2}",
            "{who}{why}，自己弄不了认证，{ask2}",
        ],
        {
            "verb": ["帮", "替", "代", "给"],
            "him": ["他", "她", "老人"],
            "his": ["他的", "她的", "老人的", ""],
            "do": ["弄", "办", "操作"],
            "ask2": ["怎么弄", "怎么认证", "咋办", "家里人怎么办", "该怎么办", "有什么办法"],
        },
        150,
    ),
    "suspended": (
        [
            "{whose}{pay}{state}，{sask}",
            "{sask2}{pay}{state}",
            "{pay}{state}，是不是没认证的原因，{sask}",
            "认证的时候提示“{prompt}”，{sask}",
            "提示{prompt}，{sask}",
            "{whose}{pay}{state}，补了认证以后{back}",
            "{pay}{state}，现在去认证{back}",
            "忘了认证，{pay}{state}，{sask}",
            "{head}",
            "{whose}{pay}{state}{sask}",
        ],
        {
            "whose": ["", "我的", "我爸的", "我妈的", "老人的", "家里老人的"],
            "pay": ["养老金", "退休金", "退休工资", "养老钱", "待遇", "卡里的钱", "社保的钱"],
            "state": [
                "停发了",
                "被停了",
                "暂停发放",
                "这个月没到账",
                "两个月没发了",
                "断了",
                "突然停了",
                "被冻结了",
                "一直没到卡上",
                "不发了",
                "没有按时到账",
            ],
            "sask": [
                "怎么恢复",
                "怎么办",
                "怎么才能恢复发放",
                "还能补发吗",
                "要去哪里办",
                "是什么原因",
                "去哪里问",
                "要怎么认证才能恢复",
                "咋整",
                "找谁",
            ],
            "prompt": [
                "待遇已暂停",
                "暂停待遇状态不能认证",
                "该人员处于停发状态",
                "待遇状态异常",
                "待遇暂停，请到经办机构办理",
            ],
            "sask2": ["请问", "为什么", "急！", "求助：", "咨询一下，"],
            "back": ["停的钱能补回来吗", "会补发吗", "多久恢复", "之前的钱还给不给"],
            "head": [
                "养老金停发怎么恢复",
                "退休金暂停后补发流程",
                "养老金未到账原因",
                "养老金被停了怎么办",
                "未认证被暂停 恢复待遇",
                "停发养老金 补认证 补发",
            ],
        },
        150,
    ),
    "face_failed": (
        [
            "{act}{fail}，{fask}",
            "{who}{act}{fail}{fask}",
            "认证时{act}{fail}",
            "提示“{prompt}”，{fask}",
            "{act}的时候显示{prompt}，{fask}",
            "用{app}认证，{act}{fail}，{fask}",
            "{who}脸上{face}，{act}{fail}",
            "{act}{fail}，是不是要去社保局{fask}",
            "{card}{cardfail}，{fask}",
            "认证前要先{card}，可是{cardfail}",
        ],
        {
            "act": ["刷脸", "人脸识别", "人脸认证", "扫脸", "活体检测", "认证刷脸", "拍照比对"],
            "fail": [
                "一直失败",
                "老是不通过",
                "总说不是本人",
                "过不去",
                "通不过",
                "没反应",
                "一直转圈",
                "失败了十几次",
                "提示比对不成功",
            ],
            "fask": ["怎么办", "什么原因", "怎么解决", "还有别的办法吗", "咋整", "", "急"],
            "prompt": [
                "人脸与身份不匹配",
                "认证不通过",
                "身份信息不一致",
                "请确认是本人操作",
                "活体检测未通过",
                "照片质量不合格",
                "实名认证失败",
                "人像比对失败",
            ],
            "app": ["掌上12333", "电子社保卡", "支付宝", "微信", "当地的社保APP"],
            "face": ["皱纹多", "有疤", "做过手术", "长了老年斑"],
            "card": ["电子社保卡", "申领电子社保卡", "激活电子社保卡", "实名认证", "注册账号"],
            "cardfail": ["一直不成功", "提示信息不匹配", "提示人脸与身份不符", "领不了", "过不去", "提示不是本人"],
            "who": ["我爸", "我妈", "老人", "我", "老伴"],
        },
        120,
    ),
    "next_due": (
        [
            "{topic}{dq}",
            "{rumor}{when}{notdo}就{stop}，{true}",
            "{rumor}{when}{notdo}{stop}，{true}，到底什么时候认证",
            "{when}{notdo}真的会{stop}吗",
            "上次认证是{last}，{dq2}",
        ],
        {
            "topic": ["养老金认证", "资格认证", "社保认证", "退休人员认证", "领取待遇资格认证"],
            "dq": [
                "多久一次",
                "一年几次",
                "有效期多长",
                "什么时候到期",
                "每年几月份",
                "有没有时间限制",
                "截止到哪天",
                "是不是只能年底做",
                "时间规定",
                "周期是多长",
            ],
            "rumor": ["听说", "网上说", "群里说", "有人说", "这条消息说", "邻居说", "朋友圈传"],
            "when": ["这个月", "年底前", "12月", "6月底前", "下个月", "月底前", "每年固定月份"],
            "notdo": ["不认证", "没认证", "不做认证", "不去认证"],
            "stop": ["停发", "停发退休工资", "停钱", "停养老金"],
            "true": ["是真的吗", "真的假的", "靠谱吗", "是不是这样", "有这个规定吗"],
            "last": ["去年三月", "前年冬天", "去年国庆前后", "记不清了"],
            "dq2": ["下次什么时候", "什么时候到期", "今年还要不要认证", "还有多久到期"],
        },
        90,
    ),
    "other": (
        [
            "{already}，为什么还要{cert}",
            "为啥{cert}，{complain}",
            "{warn}{scamtopic}",
            "{scamtopic}，{warn2}",
            "{amount}",
            "{fwd}{when2}{notdo2}的{stop2}！{spread}",
            "{fwd}退休人员{when2}前必须{where2}认证，{notdo2}的{stop2}，{spread}",
        ],
        {
            "already": ["明明退休了", "我都退休十年了", "钱每个月都按时到账", "人好好的活着"],
            "cert": ["认证", "年年认证", "每年证明自己活着", "搞资格认证"],
            "complain": ["太麻烦了", "有必要吗", "意义在哪", "就不能取消吗"],
            "warn": ["警惕！", "注意：", "提醒老人：", "小心！", ""],
            "scamtopic": [
                "冒充社保局打电话让老人认证",
                "养老金认证诈骗新套路",
                "假冒12333短信骗取验证码",
                "所谓养老补贴待领取的短信是骗局",
                "认证要收费是假的",
                "有人上门说代办认证收钱",
            ],
            "warn2": ["千万别信", "别点链接", "已经有人被骗", "转给家里老人看"],
            "fwd": ["紧急通知：", "转发：", "扩散！", "重要提醒：", "【通知】", ""],
            "when2": ["本月底", "12月31日", "年底", "下周五", "6月底"],
            "notdo2": ["没认证", "不认证", "未认证", "逾期未认证"],
            "stop2": ["一律停发养老金", "永久停发", "取消待遇", "停发退休工资"],
            "where2": ["到社区", "到指定地点", "本人到现场", "在手机上"],
            "spread": ["请相互转告", "家里有老人的快转", "转给身边的老人", "看到的都转一下"],
            "amount": [
                "养老金今年能涨多少",
                "退休金是怎么算出来的",
                "养老金每月几号发",
                "个人账户的钱能取出来吗",
                "退休后医保还要交吗",
                "养老金调整最新消息",
                "丢了社保卡怎么补",
                "高龄津贴怎么领",
            ],
        },
        90,
    ),
}


def _fill(template: str, slots: dict[str, list[str]], rng: random.Random) -> str:
    chosen: dict[str, str] = {}  # a slot said twice in one template is the same word (the same person)

    def pick(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in chosen:
            chosen[name] = rng.choice(slots.get(name) or {"who": WHO, "why": WHY, "ask": ASK}[name])
        return chosen[name]

    return re.sub(r"\{(\w+)\}", pick, template)


def _grammar_rows(rng: random.Random) -> list[dict[str, str]]:
    rows = []
    for intent, (templates, slots, count) in GRAMMAR.items():
        for i in range(count):
            text = _fill(templates[i % len(templates)], slots, rng).replace("，，", "，").rstrip("，")
            if i % 3 == 1:  # the same need at the end of a story, as long posts put it
                text = f"{rng.choice(OPENINGS)}{text}"
            elif i % 5 == 2:  # with a closing, and without punctuation (typed on a phone)
                text = re.sub(r"[，。？“”]", " ", text + rng.choice(CLOSINGS)).strip()
            rows.append({"text": text, "intent": intent})
    return rows


def _shapes(intent: str, need: str, rng: random.Random) -> list[str]:
    bare = need.rstrip("？?。!！")
    texts = [need, bare]  # with and without the question mark (search style)
    for _ in range(2):
        opening = rng.choice(OPENINGS)
        texts.append(f"{opening}{need}{rng.choice(CLOSINGS)}")
    a, b = rng.sample(OPENINGS, 2)
    texts.append(f"{a}{b}{need}")
    others = [k for k in SITUATIONS if k != intent]
    situation = rng.choice(SITUATIONS[rng.choice(others)])
    texts.append(f"{rng.choice(OPENINGS)}{situation}{need}")
    # Title + description: the question first, then the story, then the question again.
    texts.append(f"{bare}？{rng.choice(OPENINGS)}{need}")
    return texts


def compose() -> list[dict[str, str]]:
    rng = random.Random(SEED)
    rows: list[dict[str, str]] = []
    for intent, needs in NEEDS.items():
        for need in needs:
            rows += [{"text": t, "intent": intent} for t in _shapes(intent, need, rng)]
        for topic in TOPICS[intent]:
            for frame in rng.sample(FRAMES, 4):
                text = frame.format(x=topic, place=rng.choice(PLACES), year=rng.choice(["2024", "2025", "2026"]))
                rows.append({"text": text, "intent": intent})
    rows += [{"text": t, "intent": i} for t, i in STANDALONE]
    rows += _grammar_rows(rng)
    seen: set[str] = set()
    unique = []
    for row in rows:
        key = re.sub(r"\W", "", row["text"])
        if key not in seen:
            seen.add(key)
            unique.append(row)
    return unique


def main() -> None:
    rows = compose()
    with open(OUT, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{OUT}: {len(rows)} lines")


if __name__ == "__main__":
    main()

"""The sources of the Jiangxi and Bozhou practice (see docs/silent.md), with their agencies.

Strong (certify on their own): Jiangxi's five real-name data types. Weak (scored): Jiangxi's five
behaviour traces. Death, custody and release: the feeds that stop wrong payments. Staff edit
weights, validity and the active flag in the admin; this migration only creates missing rows.
"""

from django.db import migrations

AGENCIES = [
    ("health_commission", "卫生健康委员会"),
    ("big_data_bureau", "数据资源管理局"),
    ("medical_insurance", "医疗保障局"),
    ("transport", "交通运输局"),
    ("mohrss", "人力资源和社会保障部"),
    ("card_center", "社会保障卡服务中心"),
    ("telecom", "通信管理局"),
    ("banking", "银行业金融机构"),
    ("public_security", "公安局"),
    ("civil_affairs", "民政局"),
    ("justice", "司法局"),
    ("court", "人民法院"),
]

# key, name, agency, kind, weight, validity days
SOURCES = [
    ("vaccination", "疫苗接种", "health_commission", "strong", "0", 365),
    ("health_code_scan", "健康码扫码", "big_data_bureau", "strong", "0", 180),
    ("inpatient_settlement", "医保住院结算", "medical_insurance", "strong", "0", 365),
    ("senior_bus_card_check", "老年公交卡年检", "transport", "strong", "0", 365),
    ("ministry_auxiliary", "部级下发辅助认证数据", "mohrss", "strong", "0", 365),
    ("social_security_card_use", "社保卡应用", "card_center", "weak", "0.50", 90),
    ("outpatient_visit", "医保门诊就医", "medical_insurance", "weak", "0.60", 90),
    ("telecom_activity", "移动通信", "telecom", "weak", "0.30", 60),
    ("transit_ride", "公交地铁出行", "transport", "weak", "0.40", 90),
    ("bank_counter", "银行临柜业务", "banking", "weak", "0.70", 90),
    ("household_deregistration", "户籍注销", "public_security", "death", "0", 3650),
    ("cremation", "火化信息", "civil_affairs", "death", "0", 3650),
    ("death_certificate", "死亡医学证明", "health_commission", "death", "0", 3650),
    ("prison_admission", "监狱收监", "justice", "custody", "0", 3650),
    ("court_sentence", "法院判决（实刑）", "court", "custody", "0", 3650),
    ("prison_release", "刑满释放", "justice", "release", "0", 3650),
]


def seed(apps, schema_editor):
    Agency = apps.get_model("silent", "Agency")
    DataSource = apps.get_model("silent", "DataSource")
    agencies = {}
    for key, name in AGENCIES:
        agencies[key], _ = Agency.objects.get_or_create(key=key, defaults={"name": name})
    for key, name, agency, kind, weight, validity in SOURCES:
        DataSource.objects.get_or_create(
            key=key,
            defaults={
                "name": name,
                "agency": agencies[agency],
                "kind": kind,
                "weight": weight,
                "validity_days": validity,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("silent", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

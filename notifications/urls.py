from django.urls import path

from notifications import apis

app_name = "notifications"
urlpatterns = [
    path("sms/status-callback", apis.SmsStatusCallbackApi.as_view(), name="sms-status-callback"),
    path("sms/inbound", apis.SmsInboundApi.as_view(), name="sms-inbound"),
]

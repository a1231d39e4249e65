from django.urls import path

from selfservice import apis

app_name = "selfservice"
urlpatterns = [
    path("certification/status", apis.CertificationStatusApi.as_view(), name="certification-status"),
    path("certification/history", apis.CertificationHistoryApi.as_view(), name="certification-history"),
]

from django.urls import path

from accounts import apis

app_name = "accounts"
urlpatterns = [
    path("auth/code", apis.LoginCodeRequestApi.as_view(), name="login-code"),
    path("auth/login", apis.LoginApi.as_view(), name="login"),
    path("auth/devices", apis.DeviceListApi.as_view(), name="devices"),
    path("auth/devices/<str:token_key>", apis.DeviceLogoutApi.as_view(), name="device-logout"),
    path("auth/logout-all", apis.LogoutAllApi.as_view(), name="logout-all"),
    path("me", apis.MeApi.as_view(), name="me"),
    path("me/access-log", apis.AccessLogApi.as_view(), name="access-log"),
    path("relatives/links", apis.RelativeLinkListCreateApi.as_view(), name="relative-links"),
    path("me/link-requests", apis.LinkRequestsForMeApi.as_view(), name="link-requests-for-me"),
    path("me/link-requests/<int:link_id>/approve", apis.LinkRequestDecideApi.as_view(), name="link-request-approve"),
    path("me/link-requests/<int:link_id>/decline", apis.LinkRequestDeclineApi.as_view(), name="link-request-decline"),
]

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from backend.api.errors import not_found_view
from backend.api.views import PingApi

api_v1 = [
    path("ping", PingApi.as_view(), name="ping"),
    path("", include("accounts.urls")),
    path("", include("selfservice.urls")),
    path("", include("casework.urls")),
    path("", include("notifications.urls")),
    path("", include("facecheck.urls")),
    path("", include("chatbot.urls")),
    path("", include("dashboard.urls")),
    path("", include("silent.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("m/", include("selfservice.web")),
    path("staff/dashboard/", include("dashboard.web")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    # Unknown API paths answer the JSON error shape even with DEBUG on (no HTML for app clients).
    re_path(r"^api/", not_found_view),
]

handler404 = "backend.api.errors.not_found_view"
handler500 = "backend.api.errors.server_error_view"

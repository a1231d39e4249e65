from django.urls import path

from facecheck import apis

app_name = "facecheck"
urlpatterns = [
    path("facecheck/verify", apis.FaceVerifyApi.as_view(), name="verify"),
    path("facecheck/enrollments", apis.FaceEnrollApi.as_view(), name="enroll"),
    path("facecheck/templates/<int:template_id>/photo", apis.FaceTemplatePhotoApi.as_view(), name="template-photo"),
    path("facecheck/attempts/<str:attempt_id>/photo", apis.FaceAttemptPhotoApi.as_view(), name="attempt-photo"),
]

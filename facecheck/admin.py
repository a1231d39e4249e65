"""Staff admin: enroll reference photos through the service; read templates and attempts in scope."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin_search import PENSIONER_SEARCH, BlindIndexSearchMixin
from accounts.selectors import pensioners_in_scope
from backend.admin_utils import ReadOnlyAdminMixin
from backend.api.errors import ApplicationError
from facecheck import services
from facecheck.models import DuplicateFinding, FaceAttempt, FaceTemplate


class EnrollForm(forms.ModelForm):
    """Only a pensioner and a photo: everything else comes from the pipeline."""

    image = forms.FileField(label=_("reference photo"))

    class Meta:
        model = FaceTemplate
        fields = ["pensioner"]

    def __init__(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if request is not None:
            self.fields["pensioner"].queryset = pensioners_in_scope(actor=request.user)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        image, pensioner = cleaned.get("image"), cleaned.get("pensioner")
        if image is not None and pensioner is not None:
            try:
                self.instance = services.face_template_enroll(
                    pensioner=pensioner, image=image.read(), enrolled_by=self.request_user
                )
            except ApplicationError as exc:
                raise forms.ValidationError(exc.message, code=exc.code) from exc
        return cleaned


def _photo_link(url: str) -> str:
    return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, _("view photo"))


@admin.register(FaceTemplate)
class FaceTemplateAdmin(BlindIndexSearchMixin, admin.ModelAdmin):
    list_display = ["pensioner", "kind", "source", "model_id", "is_active", "created_at", "retired_at"]
    list_filter = ["kind", "source", "is_active", "model_id"]
    search_fields = ["=pk"]
    blind_search_fields = PENSIONER_SEARCH
    raw_id_fields = ["pensioner"]
    readonly_fields = [
        "pensioner",
        "kind",
        "source",
        "model_id",
        "embedding_dim",
        "second_model_id",
        "photo_link",
        "photo_sha256",
        "quality",
        "is_active",
        "derived_from",
        "attempt",
        "enrolled_by",
        "created_at",
        "retired_at",
    ]
    exclude = ["embedding", "second_embedding", "photo", "photo_phash", "face_phash"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[FaceTemplate]:
        return super().get_queryset(request).filter(pensioner__in=pensioners_in_scope(actor=request.user))

    def get_form(self, request: HttpRequest, obj: FaceTemplate | None = None, **kwargs: Any) -> Any:
        if obj is not None:
            return super().get_form(request, obj, **kwargs)

        class Form(EnrollForm):
            request_user = request.user

            def __init__(self, *args: Any, **kw: Any) -> None:
                super().__init__(*args, request=request, **kw)

        return Form

    def get_fields(self, request: HttpRequest, obj: FaceTemplate | None = None) -> list[str]:
        if obj is None:
            return ["pensioner", "image"]
        return self.readonly_fields

    def get_readonly_fields(self, request: HttpRequest, obj: FaceTemplate | None = None) -> list[str]:
        return self.readonly_fields if obj is not None else []

    def save_model(self, request: HttpRequest, obj: FaceTemplate, form: Any, change: bool) -> None:
        """Saved by the service in the form's clean(); nothing left to do."""
        if change:
            messages.error(request, _("Templates cannot be edited; enroll a new photo instead."))

    def has_change_permission(self, request: HttpRequest, obj: FaceTemplate | None = None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: FaceTemplate | None = None) -> bool:
        return False

    @admin.display(description=_("photo"))
    def photo_link(self, obj: FaceTemplate) -> str:
        return _photo_link(reverse("facecheck:template-photo", args=[obj.pk]))


@admin.register(FaceAttempt)
class FaceAttemptAdmin(BlindIndexSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pensioner", "method", "result", "reason", "score", "actor", "created_at"]
    list_filter = ["result", "method", "reason"]
    search_fields = ["public_id"]
    blind_search_fields = PENSIONER_SEARCH
    exclude = ["photo", "image_phash", "face_phash"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[FaceAttempt]:
        return super().get_queryset(request).filter(pensioner__in=pensioners_in_scope(actor=request.user))

    def get_readonly_fields(self, request: HttpRequest, obj: FaceAttempt | None = None) -> list[str]:
        return [f.name for f in FaceAttempt._meta.fields if f.name not in self.exclude] + ["photo_link"]

    @admin.display(description=_("photo"))
    def photo_link(self, obj: FaceAttempt) -> str:
        if not obj.photo:
            return "-"
        return _photo_link(reverse("facecheck:attempt-photo", args=[obj.public_id]))


@admin.register(DuplicateFinding)
class DuplicateFindingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["template_a", "template_b", "score", "model_id", "case", "created_at"]
    readonly_fields = ["template_a", "template_b", "score", "model_id", "case", "created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DuplicateFinding]:
        scope = pensioners_in_scope(actor=request.user)
        return super().get_queryset(request).filter(template_a__pensioner__in=scope)

"""Errors the face engine raises, each with a machine code and a short Chinese hint.

An elderly user has to be able to retry on their own, so every refusal names one cause and
one thing to do about it. Messages are English msgids translated in facecheck/locale.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from backend.api.errors import ApplicationError


class FaceImageError(ApplicationError):
    """The submitted photo cannot be used; the user should take another one."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, code: str, *, details: dict | None = None) -> None:
        super().__init__(MESSAGES[code], code=code)
        self.details = details or {}


class FaceModelsUnavailable(ApplicationError):
    """The recognition models are not installed or cannot be loaded: an operator problem."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "face_service_unavailable"
    default_message = _("Face certification is temporarily unavailable. Please try again later or certify on site.")


# Decoding
IMAGE_EMPTY = "image_empty"
IMAGE_TOO_BIG = "image_too_big"
IMAGE_INVALID = "image_invalid"
IMAGE_TRUNCATED = "image_truncated"
IMAGE_TOO_MANY_PIXELS = "image_too_many_pixels"
# Detection and quality gates
FACE_NOT_FOUND = "face_not_found"
FACE_MULTIPLE = "face_multiple"
FACE_TOO_SMALL = "face_too_small"
FACE_CUT_OFF = "face_cut_off"
FACE_TOO_DARK = "face_too_dark"
FACE_TOO_BRIGHT = "face_too_bright"
FACE_BLURRED = "face_blurred"
FACE_POSE = "face_pose"

MESSAGES = {
    IMAGE_EMPTY: _("The photo file is empty. Please take the photo again."),
    IMAGE_TOO_BIG: _("The photo file is too large. Please take a new photo with the phone camera."),
    IMAGE_INVALID: _("This file is not a photo we can read. Please upload a JPG, PNG, WebP or HEIC photo."),
    IMAGE_TRUNCATED: _("The photo file is incomplete or damaged. Please take the photo again."),
    IMAGE_TOO_MANY_PIXELS: _("The photo is too large. Please take a normal photo with the phone camera."),
    FACE_NOT_FOUND: _(
        "No face was found. Hold the phone steady, face the camera in good light and take the photo again."
    ),
    FACE_MULTIPLE: _(
        "Two faces in the photo are about the same size, so we cannot tell who is being certified. Take the "
        "photo again with the person being certified in the middle and closest to the camera."
    ),
    FACE_TOO_SMALL: _("The face is too small in the photo. Hold the phone closer so the face fills the frame."),
    FACE_CUT_OFF: _("The face is not fully in the photo. Keep the whole face inside the frame."),
    FACE_TOO_DARK: _("The photo is too dark. Move to a bright place, face the light and take it again."),
    FACE_TOO_BRIGHT: _(
        "The photo is too bright or against the light. Avoid strong light and do not stand with a window behind you."
    ),
    FACE_BLURRED: _("The photo is blurred. Hold the phone steady, wipe the lens and take it again."),
    FACE_POSE: _("The head is turned too far. Look straight at the camera without turning, raising or lowering it."),
}

"""django-otp ships no Chinese catalogue: its sign-in form's texts are listed here so that
``makemessages`` keeps them in backend/locale, which LOCALE_PATHS puts before the package's own."""

from django.utils.translation import gettext_noop

OTP_FORM_TEXTS = (
    gettext_noop("OTP Device:"),
    gettext_noop("OTP Token:"),
    gettext_noop("Get OTP Challenge"),
    gettext_noop("Please enter your OTP token."),
    gettext_noop("Invalid token. Please make sure you have entered it correctly."),
    gettext_noop("Verification of the token is currently disabled"),
    gettext_noop("Please select a device."),
)

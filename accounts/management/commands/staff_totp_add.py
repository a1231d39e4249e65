"""Give a staff member an authenticator (TOTP) device and print what to scan into the app."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User


class Command(BaseCommand):
    help = "Create a TOTP device for a staff user and print its otpauth:// URL (scan it or type the secret)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="authenticator", help="device name shown in the admin")
        parser.add_argument("--replace", action="store_true", help="delete the user's other TOTP devices first")

    def handle(self, *args: Any, username: str, name: str, replace: bool, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        if replace:
            TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
        self.stdout.write(device.config_url)
        self.stdout.write(f"secret (base32): {device.config_url.split('secret=')[1].split('&')[0]}")

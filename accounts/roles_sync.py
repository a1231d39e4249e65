from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission

from accounts.roles import ROLE_PERMISSIONS


def sync_role_groups(sender: Any = None, **kwargs: Any) -> None:
    """Make each role's group hold exactly its declared permissions (idempotent, after every migrate).

    Runs after all apps migrated, so permissions declared by any app exist; unknown ones are skipped
    until their app is installed.
    """
    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".", 1)
            perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if perm is not None:
                wanted.append(perm)
        group.permissions.set(wanted)

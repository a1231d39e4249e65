"""Find a module by convention in every installed app (``<app>.schedules``, ``<app>.demo``).

This is how the lower layers reach the apps above them without importing them: each app that
has something to contribute provides the module, and commands at the bottom iterate over them in
``INSTALLED_APPS`` order.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import import_module
from types import ModuleType

from django.apps import apps


def app_modules(name: str) -> Iterator[ModuleType]:
    for config in apps.get_app_configs():
        try:
            yield import_module(f"{config.name}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.{name}":
                raise

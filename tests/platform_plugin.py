"""A platform as an installed distribution ships one: its module registers it when imported."""

from __future__ import annotations

from iacgrade.harness.platforms.registry import register_platform
from tests.platforms.test_registry import Toy


@register_platform
class Plugin(Toy):
    name = "plugin-platform"

"""Every error SME Pulse raises on purpose shares one base class, so callers catch one."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
import sme_pulse
from sme_pulse.errors import SmePulseError

pytestmark = pytest.mark.unit


def test_every_error_class_in_the_package_is_a_sme_pulse_error() -> None:
    found = []
    for module_info in pkgutil.walk_packages(sme_pulse.__path__, "sme_pulse."):
        module = importlib.import_module(module_info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and issubclass(cls, Exception):
                found.append(cls)
    private = {cls for cls in found if cls.__name__.startswith("_")}
    outside = [
        c.__qualname__ for c in found if c not in private and not issubclass(c, SmePulseError)
    ]
    assert len(found) > 10 and outside == []

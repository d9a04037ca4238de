"""Dataclasses that cross Temporal carry real annotations, not strings.

The SDK's converter calls `typing.get_type_hints` on a dataclass every time it
decodes one; with postponed annotations (`from __future__ import annotations`)
every field's string is compiled and evaluated again on each decode, 3-4 times
the cost (docs/PERFORMANCE.md, "Payload types without postponed annotations").
So modules that define workflow and activity payloads leave that import out.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil

import pytest

PAYLOAD_PACKAGES = ("workflows", "activities")


def payload_dataclasses() -> list[type]:
    found = []
    for package in PAYLOAD_PACKAGES:
        for info in pkgutil.iter_modules(importlib.import_module(package).__path__):
            module = importlib.import_module(f"{package}.{info.name}")
            found += [value for value in vars(module).values()
                      if isinstance(value, type) and dataclasses.is_dataclass(value)
                      and value.__module__ == module.__name__]
    return found


@pytest.mark.parametrize("cls", payload_dataclasses(), ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_payload_dataclass_fields_are_real_types(cls: type) -> None:
    stringly = [f.name for f in dataclasses.fields(cls) if isinstance(f.type, str)]
    assert not stringly, (f"{cls.__module__}.{cls.__name__} has string annotations {stringly}: "
                          "drop `from __future__ import annotations` from its module")

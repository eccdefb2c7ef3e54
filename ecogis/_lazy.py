"""Lazy package exports: ``from ecogis.controls import run_controls`` imports only what it needs.

A package lists its public names and the module each lives in; the module is imported on first
use (PEP 562). So ``ecogis --help`` and the job packages' cheap ``model.py`` never pull in
pandas, geopandas, rasterio or folium.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_getattr"]


def lazy_getattr(package: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that imports ``names[attr]`` on first use.

    A module name starting with ``.`` is relative to ``package``.
    """

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        target = importlib.import_module(module if not module.startswith(".") else package + module)
        value = getattr(target, name)
        import sys

        setattr(sys.modules[package], name, value)  # next time a plain attribute lookup
        return value

    return __getattr__

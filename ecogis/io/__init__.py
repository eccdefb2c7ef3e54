"""Reading and writing: the only place (with the CLI) that touches paths and databases."""

from __future__ import annotations

from ._atomic import atomic_path, atomic_paths
from .coordtxt import read_coord_txt, write_coord_txt
from .vector import list_layers, read_layer, write_layer, write_layers

__all__ = [
    "atomic_path",
    "atomic_paths",
    "list_layers",
    "read_coord_txt",
    "write_coord_txt",
    "read_layer",
    "write_layer",
    "write_layers",
]

"""The package's shape: one-way flow, no import circle, thin commands (DESIGN.md, STYLE.md).

Every ``import`` in ``ecogis/`` is read with ``ast`` (module level and inside functions, but not
under ``if TYPE_CHECKING:``), so a climb back or a circle fails here before it confuses a reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "ecogis"

#: top-level part of ecogis -> the parts it may import (itself always)
BASE = {"errors", "units", "model", "_lazy", "crs", "geometry", "config", "i18n", "tables"}
ALLOWED = {
    "i18n": set(),
    "errors": set(),
    "units": {"i18n"},
    "model": {"i18n"},
    "tables": {"i18n"},  # tables for people: titles, labels, rounding (no files)
    "_lazy": set(),
    "crs": {"errors", "i18n"},
    "geometry": {"errors", "units", "i18n"},
    # config validation reads the rule registry and the basemap names (vocabulary only),
    # parses CRSs and datum transformations with crs, and land-class codes with landuse
    "config": {"errors", "i18n", "crs", "screening.rules", "mapping.model", "landuse"},
    "io": BASE | {"restoration.store"},  # Project.registry() opens the store (a database)
    "overlay": BASE,
    "raster": BASE,
    "landuse": BASE | {"overlay"},
    "mapping": BASE | {"io"},
    "controls": BASE | {"io", "overlay", "mapping", "landuse"},
    "screening": BASE | {"io", "overlay", "raster", "mapping", "landuse"},
    "restoration": BASE | {"io", "overlay", "raster", "mapping", "landuse"},
    # documents and map sheets: built from the jobs' results, colours from the web maps
    "reports": BASE | {"io", "controls", "screening", "restoration", "mapping"},
    "demo": BASE
    | {"io", "controls", "screening", "restoration", "mapping", "overlay", "raster", "landuse"},
    "cli": None,  # the command line may use everything
    "__init__": None,
    "__main__": None,
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1] or ["__init__"]
        out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str, path: Path, *, top_level_only: bool) -> set[str]:
    """ecogis modules imported by ``module`` (dotted, relative to ecogis)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    if module == "__init__":
        package = []
    found: set[str] = set()

    def visit(nodes, nested: bool) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and _is_type_checking(node):
                continue
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if not top_level_only:
                    visit(node.body, True)
                continue
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - node.level + 1]
                    target = ".".join([*base, node.module] if node.module else base)
                elif node.module and node.module.startswith("ecogis"):
                    target = node.module.removeprefix("ecogis").lstrip(".")
                else:
                    continue
                for alias in node.names:
                    sub = f"{target}.{alias.name}" if target else alias.name
                    found.add(sub if sub in MODULES else target)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("ecogis."):
                        found.add(alias.name.removeprefix("ecogis."))
            for field in ("body", "orelse", "finalbody", "handlers"):
                inner = getattr(node, field, None)
                if isinstance(inner, list) and not isinstance(node, ast.ClassDef):
                    visit(inner, nested)

    visit(tree.body, False)
    return {m for m in found if m and m != module}


MODULES = _modules()


def _part(module: str) -> str:
    head = module.split(".")[0]
    return head


def test_no_import_circle_at_module_level():
    graph = {m: _imports(m, p, top_level_only=True) & set(MODULES) for m, p in MODULES.items()}
    # a package's __init__ importing its submodules is not a circle with them
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph.get(m, ())):
            if n.startswith(m + "."):
                continue
            if state.get(n) == 1:
                cycle = stack[stack.index(n) :] + [n]
                pytest.fail("import circle: " + " -> ".join(cycle))
            if n not in state:
                walk(n)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            walk(m)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_follow_the_one_way_flow(module):
    part = _part(module)
    allowed = ALLOWED.get(part, "missing")
    assert allowed != "missing", f"ecogis/{part} is not in the layering table of this test"
    if allowed is None:
        return
    for target in _imports(module, MODULES[module], top_level_only=False):
        t_part = _part(target)
        if t_part == part:
            continue
        ok = any(target == a or target.startswith(a + ".") or t_part == a for a in allowed)
        assert ok, f"ecogis.{module} imports ecogis.{target}: {part} may use {sorted(allowed)}"


def test_commands_never_import_each_other_and_compute_nothing():
    cli = {m: p for m, p in MODULES.items() if m.startswith("cli.")}
    commands = {m for m in cli if m.endswith("_cmd")}
    assert len(commands) >= 11
    for m, path in cli.items():
        imported = _imports(m, path, top_level_only=False)
        others = sorted(imported & (commands - {m}))
        assert not others, f"ecogis.{m} imports the command module(s) {others}"
        text = path.read_text(encoding="utf-8")
        for heavy in ("geopandas", "shapely", "numpy", "pyogrio", "rasterio", "folium"):
            assert f"import {heavy}" not in text, f"ecogis.{m} imports {heavy}"
        if m != "cli.summaries":  # formatting a summary is the one thing pandas is for here
            assert "import pandas" not in text, f"ecogis.{m} imports pandas"


def test_jobs_vocabulary_is_cheap_to_import():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import ecogis.controls.model, ecogis.screening.model, ecogis.screening.rules\n"
        "import ecogis.restoration.model, ecogis.mapping.model, ecogis.model\n"
        "heavy = [m for m in ('pandas', 'geopandas', 'shapely', 'folium', 'rasterio') "
        "if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_no_function_hides_the_translation_function():
    """``_`` is gettext's: a function that also uses ``_`` as a throwaway variable would call
    a tuple or a GeoDataFrame instead of translating (name the throwaway otherwise)."""
    offenders = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            names = {
                n.id
                for n in ast.walk(fn)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
            }
            calls = any(
                isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "_"
                for n in ast.walk(fn)
            )
            if "_" in names and calls:
                offenders.append(f"{module}.{fn.name}")
    assert not offenders, f"assigns _ and calls _(): {offenders}"

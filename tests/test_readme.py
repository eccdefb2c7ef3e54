"""The README's "Use from Python" examples run as written, on the demo."""

from __future__ import annotations

import os
import re
import shutil
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ecogis.errors import EcogisWarning

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks(section: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {section}\n")
    end = text.find("\n## ", start + 1)
    body = text[start : end if end != -1 else None]
    return re.findall(r"```python\n(.*?)```", body, flags=re.S)


def test_use_from_python_examples_run(demo, tmp_path):
    root = Path(demo.config_path).resolve().parents[1]
    shutil.copytree(root / "layers", tmp_path / "layers")
    shutil.copytree(root / "configs", tmp_path / "configs")
    blocks = python_blocks("Use from Python")
    assert len(blocks) >= 5
    cwd = os.getcwd()
    os.chdir(tmp_path)
    scope: dict = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EcogisWarning)  # the demo's planted bowtie
            for block in blocks:
                exec(compile(block, "README.md", "exec"), scope)
    finally:
        os.chdir(cwd)
    # what the examples promise: a GeoDataFrame of conflicts, the files they write
    assert isinstance(scope["conflicts"], gpd.GeoDataFrame) and len(scope["conflicts"]) == 4
    assert len(gpd.read_file(tmp_path / "conflicts.gpkg", layer="conflicts")) == 4
    sites = gpd.read_file(tmp_path / "screening.gpkg", layer="sites")
    assert sites["verdict"].value_counts().to_dict() == {
        "fail": 6,
        "pass": 3,
        "conditional": 2,
        "unknown": 1,
    }
    assert set(pd.read_excel(tmp_path / "progress.xlsx", sheet_name=None)) == {"pits", "plots"}
    assert "ecogisReady" in (tmp_path / "controls.html").read_text(encoding="utf-8")

"""The demo's results stay what the first build wrote (tests/data/golden, see its README).

Runs ``ecogis demo`` as a user would (the ``demo_run`` fixture) and compares its controls
summary, every site's verdict, reasons and numbers, and the two progress tables (of the
registry the demo built) with the golden files: text exactly, numbers to 1e-6 relative.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

GOLDEN = Path(__file__).parent / "data" / "golden"


def _compare(got: pd.DataFrame, want: pd.DataFrame, what: str) -> None:
    assert list(got.columns[: len(want.columns)]) == list(want.columns) or set(want.columns) <= set(
        got.columns
    ), f"{what}: columns {list(got.columns)} lack {list(want.columns)}"
    assert len(got) == len(want), f"{what}: {len(got)} rows, golden {len(want)}"
    for col in want.columns:
        a, b = got[col].reset_index(drop=True), want[col].reset_index(drop=True)
        if pd.api.types.is_numeric_dtype(b) and not pd.api.types.is_bool_dtype(b):
            x = pd.to_numeric(a, errors="coerce").to_numpy(dtype=float)
            y = b.to_numpy(dtype=float)
            assert np.allclose(x, y, rtol=1e-6, atol=1e-9, equal_nan=True), (
                f"{what}.{col}: {x.tolist()} != {y.tolist()}"
            )
        else:
            x = ["" if pd.isna(v) else str(v) for v in a]
            y = ["" if pd.isna(v) else str(v) for v in b]
            assert x == y, f"{what}.{col} differs"


def test_controls_summary_is_golden(demo_run):
    root, _ = demo_run
    got = pd.read_csv(root / "layers/demo/results/controls_summary.csv", encoding="utf-8-sig")
    _compare(got, pd.read_csv(GOLDEN / "demo_controls_summary.csv"), "controls summary")


def test_screening_verdicts_are_golden(demo_run):
    root, _ = demo_run
    got = gpd.read_file(root / "layers/demo/results/screening.gpkg", layer="sites")
    want = pd.read_csv(GOLDEN / "demo_screening_verdicts.csv", keep_default_na=False)
    _compare(pd.DataFrame(got[list(want.columns)]), want, "screening")


@pytest.mark.parametrize("table", ["pits", "plots"])
def test_progress_tables_are_golden(demo_run, table):
    """The progress tables as computed (progress.xlsx is the same numbers, for people)."""
    import ecogis

    root, _ = demo_run
    with ecogis.Project.open(root / "configs/demo.yaml") as project:
        got = ecogis.run_progress(project, year=2022).tables[table]
    _compare(got, pd.read_csv(GOLDEN / f"demo_progress_{table}.csv"), f"progress {table}")

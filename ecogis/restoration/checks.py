"""Cross-checks of restoration work: plots on protected land, finished work that is not greening."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..units import m2_to_mu
from .model import object_type

if TYPE_CHECKING:
    import geopandas as gpd
    import rasterio

__all__ = ["check_plot_overlaps", "check_greening"]


# ------------------------------------------------------------------------------ cross-checks


def check_plot_overlaps(
    plots: gpd.GeoDataFrame,
    farmland: gpd.GeoDataFrame | None,
    urban: gpd.GeoDataFrame | None,
    *,
    kinds: Sequence[str] = ("afforestation", "enclosure"),
    workers: int | None = None,
) -> pd.DataFrame:
    """Plots overlapping permanent basic farmland (永久基本农田) or the urban development
    boundary (城镇开发边界), with the exact overlap area.

    All layers must be in the same projected CRS (metres). Afforestation on permanent basic
    farmland is not allowed (``verdict`` ``not_allowed``); every other overlap is ``review``.

    Returns
    -------
    DataFrame
        ``plot_id, kind, township, year, status, control, overlap_m2, overlap_mu, verdict``,
        one row per plot and control layer, largest overlap first.
    """
    from ..overlay import intersect_pairs

    sel = plots[plots["kind"].isin(kinds)].reset_index(drop=True)
    cols = [
        "plot_id", "kind", "township", "year", "status", "control", "overlap_m2", "overlap_mu",
        "verdict",
    ]  # fmt: skip
    frames = []
    for control, layer in (("farmland", farmland), ("urban", urban)):
        if layer is None or len(sel) == 0 or len(layer) == 0:
            continue
        pairs = intersect_pairs(sel, layer, workers=workers, keep_geometry=False)
        if len(pairs) == 0:
            continue
        area = pairs.groupby("idx_left")["area_m2"].sum()
        hit = sel.iloc[area.index].copy()
        hit["control"] = control
        hit["overlap_m2"] = area.to_numpy()
        hit["overlap_mu"] = m2_to_mu(hit["overlap_m2"])
        not_allowed = (hit["kind"] == "afforestation") & (control == "farmland")
        hit["verdict"] = np.where(not_allowed, "not_allowed", "review")
        frames.append(pd.DataFrame(hit[cols]))
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["overlap_m2", "plot_id"], ascending=[False, True], ignore_index=True)


def check_greening(
    objects: gpd.GeoDataFrame,
    before: rasterio.DatasetReader,
    after: rasterio.DatasetReader,
    *,
    otype: str,
    min_change: float = 0.03,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Mean NDVI before / after for finished pits (treated, accepted) or plots (completed,
    accepted); ``flagged`` when NDVI rose by ``min_change`` or less (no greening).

    Reads only the raster windows under the objects (:func:`ecogis.raster.ndvi_change`).
    Objects with no valid pixels are not flagged; ``ndvi_valid_share`` shows them. The
    default 0.03 sits above year-to-year noise of a mean over a few pixels (about 0.01-0.02)
    and well below the rise of established planting (0.05 and more).

    Returns
    -------
    DataFrame
        ``object_type, id, township, kind, status, ndvi_before, ndvi_after, ndvi_change,
        ndvi_valid_share, flagged``.
    """
    from ..raster import ndvi_change

    ot = object_type(otype)
    done = ("treated", "accepted") if ot.name == "pit" else ("completed", "accepted")
    sel = objects[objects["status"].isin(done)]
    nd = ndvi_change(sel.geometry, before, after, progress=progress)
    out = pd.DataFrame(
        {
            "object_type": ot.name,
            "id": sel[ot.id_field].astype(str).to_numpy(),
            "township": sel["township"].to_numpy() if "township" in sel else None,
            "kind": sel["kind"].to_numpy() if "kind" in sel else None,
            "status": sel["status"].to_numpy(),
        },
        columns=["object_type", "id", "township", "kind", "status"],
    )
    for c in ("ndvi_before", "ndvi_after", "ndvi_change", "ndvi_valid_share"):
        out[c] = nd[c].to_numpy()
    out["flagged"] = out["ndvi_change"].notna() & (out["ndvi_change"] <= min_change)
    return out

"""ecogis convert"""

from __future__ import annotations

from pathlib import Path

import click

from ..i18n import N_, _
from .base import command
from .options import echo, overwrite_option

#: output suffixes ``convert`` writes
_OUTPUTS = (".txt", ".gpkg", ".geojson", ".json", ".shp")


@command(
    help=N_(
        """Convert between boundary-point coordinate TXT (界址点坐标) and GIS layers.

    IN and OUT may be .txt, .gpkg, .geojson or .shp (IN also .gdb, .csv with WKT).
    Reading a TXT takes the zone and CRS from its header (带号, 坐标系), accepts GBK or
    UTF-8, several parcels per file, holes (ring numbers) and the province variants (leading
    columns, 地类编码, extra attribute and point columns: all kept), warns when the declared
    parcel area is more than 1% off (an area column in m² is recognised and said once) or the
    zone prefix disagrees with 带号. A Xian 1980 / Beijing 1954 TXT is converted to CGCS2000
    with the 7 (or 4) parameters of its 转换参数= line, else refused unless --crs says what
    the coordinates are.

    Writing a TXT produces the 1.01 exchange format, GBK, coordinates in the CGCS2000
    Gauss-Krüger zone with prefix (3-degree, or 6-degree with --zone-width 6), to the
    millimetre. Parcels read from a TXT keep their surveyed point names; the attribute line
    takes the standard fields DKBH, DKMC, TFH, DKYT, DLBM when present. Parcels in several
    zones are written one file per zone (OUT_zone38.txt, OUT_zone39.txt, ...). Geometries
    are converted as they are: invalid ones are reported, not changed.

    Datums: CGCS2000, WGS 84 and ITRF count as one. Any other datum change (Xian 1980,
    Beijing 1954, a local system -> CGCS2000) needs --transform; PROJ's approximate
    'ballpark' shift is never used. --crs GCJ-02 / BD-09 converts web-map coordinates
    (Amap, Baidu) to WGS 84 with prcoords, and says so.

    \b
    Examples:
      ecogis convert 地块坐标.txt sites.gpkg
      ecogis convert sites.gpkg 报件坐标.txt --zone 38 --id-field DKBH
      ecogis convert layers/old.shp layers/new.gpkg --to-crs EPSG:4547
      ecogis convert xian80.shp new.gpkg --to-crs EPSG:4547 --transform "15.8,-130.2,-91.6,0.1,0.2,-0.3,1.2"
      ecogis convert amap_outline.geojson outline.gpkg --crs GCJ-02

    \b
    Exit status: 0 written; 2 bad input (nothing written)."""
    )
)
@click.argument("src", metavar="IN")
@click.argument("dst", metavar="OUT", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--layer",
    help=N_("Layer to read from a GeoPackage / FileGDB (or write IN as file.gpkg|layer=NAME)."),
)
@click.option(
    "--crs",
    "src_crs",
    help=N_(
        "CRS of IN when it has none, or for a TXT in Xian 1980 / Beijing 1954 (e.g. EPSG:2362); "
        "GCJ-02 or BD-09 for web-map longitude/latitude (converted to WGS 84)."
    ),
)
@click.option(
    "--to-crs",
    help=N_(
        "Reproject before writing (e.g. EPSG:4547). TXT output is always in its zone-prefixed "
        "GK CRS."
    ),
)
@click.option(
    "--transform",
    "transform",
    metavar="PARAMS",
    help=N_(
        "Datum transformation of IN into CGCS2000: 7 Helmert parameters 'dx,dy,dz,rx,ry,rz,ds' "
        "(m, arc-seconds, ppm; position vector), 3 shifts 'dx,dy,dz', 4 planar parameters "
        "'ΔX,ΔY,rotation,scale' (m north, m east, arc-seconds, ppm), or a PROJ pipeline "
        "('+proj=...', lon/lat degrees in, CGCS2000 lon/lat degrees out)."
    ),
)
@click.option(
    "--zone",
    type=int,
    help=N_(
        "Zone for TXT output: 25-45 (3-degree) or 13-23 (6-degree); default: from the data's "
        "longitude (one file per zone)."
    ),
)
@click.option(
    "--zone-width",
    type=click.Choice(["3", "6"]),
    default="3",
    show_default=True,
    help=N_("Gauss-Krüger zone width of TXT output, in degrees (几度分带)."),
)
@click.option(
    "--id-field",
    help=N_(
        "Column with the parcel ids for TXT output (default: parcel_id, DKBH, site_id, id or "
        "BSM, else the row number)."
    ),
)
@click.option(
    "--encoding",
    help=N_(
        "Text encoding of IN (TXT or shapefile) when detection is not enough; of OUT for TXT "
        "(default GBK)."
    ),
)
@overwrite_option
def convert(
    src, dst, layer, src_crs, to_crs, transform, zone, zone_width, id_field, encoding, overwrite
):
    from ..crs import parse_crs, parse_transform, reproject
    from ..errors import LayerError
    from ..io import read_layer, write_layer
    from ..io.coordtxt import encode_coord_txt, parcel_zones

    out_suffix = dst.suffix.lower()
    if out_suffix not in _OUTPUTS:
        raise LayerError(
            _("{path}: cannot write {suffix}; allowed: {allowed}").format(
                path=dst,
                suffix=out_suffix or _("files without suffix"),
                allowed=", ".join(s for s in _OUTPUTS if s != ".json"),
            )
        )
    if dst.exists() and not overwrite:
        raise LayerError(_("{path}: file exists; pass --overwrite to replace it").format(path=dst))
    from ..io.targets import refuse_onto_inputs

    refuse_onto_inputs(dst, [src])
    named = parse_transform(transform, key="--transform")
    width = int(zone_width)
    gdf = read_layer(src, layer=layer, crs=src_crs, encoding=encoding, on_invalid="warn")
    label = gdf.attrs.get("label") or str(src)
    input_crs = gdf.crs
    if named is not None:
        gdf = named.apply(gdf, name=label)
    if to_crs:
        gdf = reproject(
            gdf, parse_crs(to_crs, key="--to-crs"), name=label, hint=_("give them with --transform")
        )
    if out_suffix == ".txt" and zone is not None:
        from ..io.coordtxt import cgcs2000_gk_epsg

        cgcs2000_gk_epsg(zone, width=width)  # a zone outside the width's range: refused now
    written: list[tuple[Path, int]] = []
    if out_suffix == ".txt":
        kwargs = {"encoding": encoding} if encoding else {}
        hint = _("give them with --transform")
        zones = None if zone is not None else parcel_zones(gdf, width=width, hint=hint)
        groups = {zone: gdf} if zone is not None else _by_zone(gdf, zones)
        # one zone per file: OUT itself, or OUT_zone38.txt, OUT_zone39.txt ...
        targets = {
            (dst if len(groups) == 1 else dst.with_name(f"{dst.stem}_zone{z}{dst.suffix}")): (
                z,
                part,
            )
            for z, part in groups.items()
        }
        from ..io._atomic import atomic_group, atomic_path

        for target in targets:
            refuse_onto_inputs(target, [src])
            if target.exists() and not overwrite:
                raise LayerError(
                    _("{path}: file exists; pass --overwrite to replace it").format(path=target)
                )
        # every file's bytes first (a refusal leaves nothing), then all of them in place at once
        data = {
            target: encode_coord_txt(
                part, target, zone=part_zone, width=width, id_field=id_field, **kwargs
            )
            for target, (part_zone, part) in targets.items()
        }
        if len(targets) == 1:
            with atomic_path(dst, overwrite=overwrite) as tmp:
                tmp.write_bytes(data[dst])
        else:
            with atomic_group(list(targets), overwrite=overwrite) as tmp:
                for target, payload in data.items():
                    tmp[target].write_bytes(payload)
        written += [(target, len(part)) for target, (_z, part) in targets.items()]
    else:
        write_layer(gdf, dst, layer=dst.stem, overwrite=overwrite)
        written.append((dst, len(gdf)))
    epsg = input_crs.to_epsg() if input_crs is not None else None
    for target, n in written:
        echo(
            _("{dst}: {n} feature(s) written from {src} (CRS of input: {crs})").format(
                dst=target, n=n, src=src, crs=f"EPSG:{epsg}" if epsg else (input_crs or "?")
            )
        )
    if len(written) > 1:
        echo(
            _("the parcels lie in {n} zones: one file per zone, as a TXT holds one zone").format(
                n=len(written)
            )
        )
    if gdf.attrs.get("web_datum"):
        echo(
            _("note: web-map coordinates ({datum}) were converted to WGS 84 / CGCS2000").format(
                datum=gdf.attrs["web_datum"]
            )
        )


def _by_zone(gdf, zones) -> dict:
    """Parcels per zone, in zone order (parcels without geometry go with the first zone)."""
    found = sorted(int(z) for z in zones.dropna().unique())
    if not found:
        return {None: gdf}
    out = {}
    for z in found:
        mask = (zones == z).fillna(False).to_numpy()
        if z == found[0]:
            mask |= zones.isna().to_numpy()
        out[z] = gdf[mask]
    return out

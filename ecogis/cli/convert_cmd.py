"""ecogis convert"""

from __future__ import annotations

from pathlib import Path

import click

from .options import echo, overwrite_option


@click.command()
@click.argument("src", metavar="IN")
@click.argument("dst", metavar="OUT", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--layer",
    help="Layer to read from a GeoPackage / FileGDB (or write IN as file.gpkg|layer=NAME).",
)
@click.option(
    "--crs",
    "src_crs",
    help="CRS of IN when it has none, or for a TXT in Xian 1980 / Beijing 1954 (e.g. EPSG:2362).",
)
@click.option(
    "--to-crs",
    help="Reproject before writing (e.g. EPSG:4547). TXT output is always in its zone-prefixed GK CRS.",
)
@click.option(
    "--zone",
    type=click.IntRange(25, 45),
    help="3-degree zone for TXT output (default: from the data's longitude).",
)
@click.option(
    "--encoding",
    help="Text encoding of IN (TXT or shapefile) when detection is not enough; of OUT for TXT (default GBK).",
)
@overwrite_option
def convert(src, dst, layer, src_crs, to_crs, zone, encoding, overwrite):
    """Convert between boundary-point coordinate TXT (界址点坐标) and GIS layers.

    IN and OUT may be .txt, .gpkg, .geojson or .shp (IN also .gdb, .csv with WKT).
    Reading a TXT takes the zone and CRS from its header (带号, 坐标系), accepts GBK or
    UTF-8, several parcels per file and holes (ring numbers), warns when the declared
    parcel area is more than 1% off or the zone prefix disagrees with 带号. Writing a TXT
    produces the 1.01 exchange format, GBK, coordinates in the CGCS2000 3-degree zone with
    prefix, centimetre-exact. Geometries are converted as they are: invalid ones are
    reported, not changed.

    \b
    Examples:
      ecogis convert 地块坐标.txt sites.gpkg
      ecogis convert sites.gpkg 报件坐标.txt --zone 38
      ecogis convert layers/old.shp layers/new.gpkg --to-crs EPSG:4547
    """
    from ..errors import LayerError
    from ..io import read_layer, write_layer
    from ..io.coordtxt import write_coord_txt

    out_suffix = dst.suffix.lower()
    if out_suffix not in (".txt", ".gpkg", ".geojson", ".json", ".shp"):
        raise LayerError(
            f"{dst}: cannot write {out_suffix or 'files without suffix'}; allowed: .txt, .gpkg, .geojson, .shp"
        )
    if dst.exists() and not overwrite:
        raise LayerError(f"{dst}: file exists; pass --overwrite to replace it")
    from ..io.targets import refuse_onto_inputs

    refuse_onto_inputs(dst, [src])
    gdf = read_layer(src, layer=layer, crs=src_crs, encoding=encoding, on_invalid="warn")
    if to_crs:
        from ..crs import parse_crs

        gdf = gdf.to_crs(parse_crs(to_crs, key="--to-crs"))
    if out_suffix == ".txt":
        write_coord_txt(
            gdf, dst, zone=zone, overwrite=overwrite, **({"encoding": encoding} if encoding else {})
        )
    else:
        write_layer(gdf, dst, layer=dst.stem, overwrite=overwrite)
    crs = gdf.crs
    echo(
        f"{dst}: {len(gdf)} feature(s) written from {src} (CRS of input: EPSG:{crs.to_epsg() if crs else '?'})"
    )

"""Hostile configs and URIs (issue: hostile input, round two: items 2, 3, 4, 9 and 16).

Each case failed before its fix: a percent-encoded password passed ``config check`` and was
printed back, a billion-laughs YAML ate gigabytes, deep nesting was a ``RecursionError``
(exit 1), NaN and infinity passed as numbers, a schema name with a quote was accepted on
output.
"""

from __future__ import annotations

from pathlib import Path

from .cases import GOOD_CONFIG, Built, Case, Fixtures, _config_case, _dirs, _screen_project

SECRET = "Hx7sEcReT9q"
R = "refused"


def _laughs(depth: int = 9, width: int = 10) -> str:
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, depth + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + f"\nname: *a{depth}\n"


def _nested(depth: int) -> str:
    return GOOD_CONFIG + "extra: " + "[" * depth + "]" * depth + "\n"


def _with(line: str) -> str:
    return GOOD_CONFIG + line + "\n"


def _ruleset(extra: str = "", buffer: str = "50") -> str:
    return (
        GOOD_CONFIG
        + "rulesets:\n  pv:\n"
        + extra
        + f"    checks:\n      - {{layer: redline, rule: exclude, buffer_m: {buffer}}}\n"
    )


def _encoded_password(root: Path, fx: Fixtures) -> Built:
    make = _config_case(
        lambda inp: GOOD_CONFIG.replace(
            "redline: {path: red.gpkg,",
            f"redline: {{path: 'postgresql://clerk@db/county?%70assword={SECRET}&table=r',",
        )
    )
    return make(root, fx)


def _output_schema_with_quote(root: Path, fx: Fixtures) -> Built:
    inp, out = _dirs(root)
    cfg = _screen_project(inp)
    target = 'postgresql:///county?schema=s";DROP TABLE x;--'
    return Built(["screen", inp / "sites.gpkg", "-c", cfg, "-r", "pv", "-o", target], root)


def _output_password(root: Path, fx: Fixtures) -> Built:
    inp, out = _dirs(root)
    cfg = _screen_project(inp)
    target = f"postgresql://clerk:{SECRET}@127.0.0.1:1/county?schema=out"
    return Built(["screen", inp / "sites.gpkg", "-c", cfg, "-r", "pv", "-o", target], root)


EVIL_HEADER = '=HYPERLINK("http://evil.example/x","点我")'


def _formula_column(root: Path, fx: Fixtures) -> Built:
    """A SITES column named like a formula, and one with a control character in a value."""
    import geopandas as gpd

    inp, out = _dirs(root)
    cfg = _screen_project(inp)
    sites = gpd.read_file(inp / "sites.gpkg")
    sites[EVIL_HEADER] = ["=1+1", "@SUM(A1:A2)"]
    sites.to_file(inp / "sites.gpkg")
    args = ["screen", inp / "sites.gpkg", "-c", cfg, "-r", "pv"]
    return Built(
        [*args, "--csv", out / "r.csv", "--xlsx", out / "r.xlsx"],
        root,
        outputs=("r.csv", "r.xlsx"),
    )


def _check_no_formula(b: Built, result) -> None:
    from openpyxl import load_workbook

    text = (b.out / "r.csv").read_text(encoding="utf-8-sig")
    assert "HYPERLINK" in text.splitlines()[0]  # the column is there, as text
    for line in text.splitlines():
        for cell in line.split(","):
            assert not cell.strip('"').startswith(("=", "+", "@")), line
    wb = load_workbook(b.out / "r.xlsx")
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]


def _control_char_value(root: Path, fx: Fixtures) -> Built:
    import geopandas as gpd

    inp, out = _dirs(root)
    cfg = _screen_project(inp)
    sites = gpd.read_file(inp / "sites.gpkg")
    sites["name"] = ["东区\x07一号", "红线区"]
    sites.to_file(inp / "sites.gpkg")
    args = ["screen", inp / "sites.gpkg", "-c", cfg, "-r", "pv", "--xlsx", out / "r.xlsx"]
    return Built(args, root, outputs=("r.xlsx",))


def _check_xlsx_opens(b: Built, result) -> None:
    from openpyxl import load_workbook

    values = [c.value for ws in load_workbook(b.out / "r.xlsx") for r in ws.iter_rows() for c in r]
    assert "东区 一号" in values


def _newline_in_output(root: Path, fx: Fixtures) -> Built:
    from .cases import _controls_project

    inp, out = _dirs(root)
    _red_file(inp)
    cfg = _controls_project(inp, "red.gpkg")
    return Built(["controls", "-c", cfg, "-o", out / "conflicts\n.gpkg"], root)


def _red_file(inp: Path) -> None:
    from .cases import _red

    _red().to_file(inp / "red.gpkg")


CASES: list[Case] = [
    Case(
        "sites-formula-column",
        "screen",
        "a SITES column named =HYPERLINK(...) and formula-like values: text in CSV and XLSX",
        "ok",
        "",
        _formula_column,
        _check_no_formula,
    ),
    Case(
        "sites-control-character",
        "screen",
        "a site name holding a control character (BEL): replaced in the XLSX, with a warning",
        "warned",
        "control character",
        _control_char_value,
        _check_xlsx_opens,
    ),
    Case(
        "output-name-newline",
        "controls",
        "-o with a newline in the file name: refused, no hidden temporary file left",
        R,
        "control character",
        _newline_in_output,
    ),
    Case(
        "config-password-percent-encoded-key",
        "config check",
        "?%70assword= in a layer URI (libpq decodes keys): refused, the password not printed",
        R,
        "password",
        _encoded_password,
    ),
    Case(
        "output-password-in-uri",
        "screen",
        "-o postgresql://user:PASSWORD@host/db: refused, the password printed as ***",
        R,
        "clerk:***@",
        _output_password,
    ),
    Case(
        "config-billion-laughs",
        "config check",
        "aliases nested 9 deep, 10 wide (10^9 values once expanded): refused at once",
        R,
        "more than 200,000 values",
        _config_case(_laughs()),
    ),
    Case(
        "config-alias-to-itself",
        "config check",
        "a YAML alias inside its own anchor (&x [*x])",
        R,
        "holds itself",
        _config_case(GOOD_CONFIG + "extra: &x [*x]\n"),
    ),
    Case(
        "config-deep-nesting",
        "config check",
        "a value nested 5 000 levels deep (was RecursionError, exit 1)",
        R,
        "line 7",
        _config_case(_nested(5000)),
    ),
    Case(
        "config-deep-nesting-controls",
        "controls",
        "the same config given to controls",
        R,
        "64 levels",
        _config_case(_nested(5000), ("controls",)),
    ),
    Case(
        "config-sliver-inf",
        "controls",
        "sliver_m2: .inf (turned every conflict into a sliver, exit 0)",
        R,
        "sliver_m2",
        _config_case(_with("sliver_m2: .inf"), ("controls",)),
    ),
    Case(
        "config-sliver-nan",
        "config check",
        "sliver_m2: .nan (was a ValueError, exit 1)",
        R,
        "sliver_m2",
        _config_case(_with("sliver_m2: .nan")),
    ),
    Case(
        "config-buffer-nan",
        "config check",
        "buffer_m: .nan (acted as no buffer)",
        R,
        "buffer_m",
        _config_case(_ruleset(buffer=".nan")),
    ),
    Case(
        "config-buffer-inf",
        "config check",
        "buffer_m: .inf (was a GEOSException, exit 1)",
        R,
        "buffer_m",
        _config_case(_ruleset(buffer=".inf")),
    ),
    Case(
        "config-min-eligible-nan",
        "config check",
        "min_eligible_mu: .nan",
        R,
        "min_eligible_mu",
        _config_case(_ruleset("    min_eligible_mu: .nan\n")),
    ),
    Case(
        "config-target-nan",
        "config check",
        "a yearly target of .nan mu",
        R,
        "afforestation_mu",
        _config_case(_with("targets: {2022: {afforestation_mu: .nan}}")),
    ),
    Case(
        "config-huge-integer",
        "config check",
        "buffer_m: 99999999999999999999",
        R,
        "buffer_m",
        _config_case(_ruleset(buffer="99999999999999999999")),
    ),
    Case(
        "output-schema-with-quote",
        "screen",
        '-o postgresql:///db?schema=s";DROP ...: refused like a bad table name',
        R,
        "bad schema name",
        _output_schema_with_quote,
    ),
]

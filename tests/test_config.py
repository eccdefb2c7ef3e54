from pathlib import Path

import pytest
import yaml

from ecogis.config import load_config, parse_config
from ecogis.errors import ConfigError


@pytest.fixture
def project(tmp_path, gk_squares):
    a, b = gk_squares
    (tmp_path / "layers").mkdir()
    a.to_file(tmp_path / "layers" / "redline.gpkg")
    b.to_file(tmp_path / "layers" / "farm.gpkg")
    (tmp_path / "layers" / "dem.tif").write_bytes(b"")  # existence only
    cfg = {
        "name": "测试",
        "crs": "auto",
        "layers": {
            "redline": {"path": "layers/redline.gpkg", "role": "control", "label": "生态保护红线"},
            "farmland": {"path": "layers/farm.gpkg", "role": "control"},
            "dem": {"path": "layers/dem.tif", "role": "raster"},
        },
        "control_lines": ["redline", "farmland"],
        "targets": {2022: {"afforestation_mu": 15000, "pits_km2": 2.1}},
        "rulesets": {
            "pv": {
                "checks": [
                    {"layer": "redline", "rule": "exclude", "basis": "自然资发〔2022〕142号"},
                    {"layer": "farmland", "rule": "exclude", "buffer_m": 50},
                    {"raster": "dem", "rule": "slope_max", "max_deg": 15, "max_share": 0.1},
                ],
                "min_eligible_mu": 300,
            }
        },
    }
    return tmp_path, cfg


def write(tmp_path, cfg, name="c.yaml"):
    p = tmp_path / name
    p.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return p


def test_valid_config_loads_with_paths_relative_to_file(project):
    tmp_path, cfg = project
    c = load_config(write(tmp_path, cfg))
    assert c.name == "测试"
    assert c.layers["redline"].path == str((tmp_path / "layers" / "redline.gpkg").resolve())
    assert c.layers["redline"].title == "生态保护红线"
    assert c.control_lines == ("redline", "farmland")
    assert c.targets[2022]["pits_km2"] == 2.1
    rs = c.ruleset("pv")
    assert [ch.rule for ch in rs.checks] == ["exclude", "exclude", "slope_max"]
    assert rs.checks[1].params["buffer_m"] == 50
    assert rs.min_eligible_mu == 300
    with pytest.raises(TypeError):
        c.layers["x"] = None  # frozen


@pytest.mark.parametrize(
    "mutate, key, fragment",
    [
        (lambda c: c.update(colour="red"), "colour", "unknown key"),
        (
            lambda c: c["layers"]["redline"].update(role="forest"),
            "layers.redline.role",
            "allowed: boundary",
        ),
        (
            lambda c: c["layers"]["redline"].update(path="nope.gpkg"),
            "layers.redline.path",
            "file not found",
        ),
        (lambda c: c["layers"]["redline"].pop("role"), "layers.redline.role", "missing"),
        (
            lambda c: c.update(control_lines=["redline", "urban"]),
            "control_lines[1]",
            "no layer named 'urban'",
        ),
        (
            lambda c: c.update(control_lines=["redline", "redline"]),
            "control_lines[1]",
            "listed twice",
        ),
        (
            lambda c: c["rulesets"]["pv"]["checks"][2].update(max_deg="steep"),
            "rulesets.pv.checks[2].max_deg",
            "expected integer or number",
        ),
        (
            lambda c: c["rulesets"]["pv"]["checks"][1].update(buffer_m=-5),
            "rulesets.pv.checks[1].buffer_m",
            ">= 0",
        ),
        (
            lambda c: c["rulesets"]["pv"]["checks"][0].update(layer="water"),
            "rulesets.pv.checks[0].layer",
            "no layer named 'water'",
        ),
        (
            lambda c: c["rulesets"]["pv"]["checks"][0].update(rule="exlude"),
            "rulesets.pv.checks[0].rule",
            "did you mean 'exclude'",
        ),
        (
            lambda c: c["rulesets"]["pv"]["checks"][2].update(raster="redline"),
            "rulesets.pv.checks[2].raster",
            "needs a raster",
        ),
        (
            lambda c: c["rulesets"]["pv"]["checks"][0].update(bufer_m=5),
            "rulesets.pv.checks[0].bufer_m",
            "did you mean 'buffer_m'",
        ),
        (lambda c: c.update(crs="EPSG:4490"), "crs", "geographic"),
        (lambda c: c.update(area_unit="acre"), "area_unit", "allowed: m2, mu"),
        (lambda c: c["targets"].update({"next": {}}), "targets.next", "expected a year"),
        (lambda c: c["targets"][2022].update(trees=5), "targets.2022.trees", "unknown key"),
    ],
)
def test_each_problem_is_reported_with_its_key_path(project, mutate, key, fragment):
    tmp_path, cfg = project
    mutate(cfg)
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, cfg))
    msg = str(err.value)
    assert f"{key}: " in msg
    assert fragment in msg


def test_several_problems_are_all_listed(project):
    tmp_path, cfg = project
    cfg["colour"] = 1
    cfg["layers"]["farmland"]["role"] = "x"
    with pytest.raises(ConfigError, match=r"2 problems:\n  .*colour.*\n  .*farmland"):
        load_config(write(tmp_path, cfg))


def test_yaml_syntax_error_names_line(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("name: x\nlayers: {a: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.yaml: YAML syntax error: line \d+"):
        load_config(p)


def test_safe_load_refuses_python_objects(tmp_path):
    p = tmp_path / "evil.yaml"
    p.write_text("name: !!python/object/apply:os.system ['echo pwned']\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="YAML"):
        load_config(p)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "none.yaml")


def test_layer_path_with_layer_option_and_postgis_uri(tmp_path, gk_squares):
    gk_squares[0].to_file(tmp_path / "x.gpkg", layer="stbhhx")
    c = parse_config(
        {
            "layers": {
                "redline": {"path": "x.gpkg|layer=stbhhx", "role": "control"},
                "shared": {
                    "path": "postgresql://planner@db/plan?table=public.czkfbj",
                    "role": "control",
                },
            }
        },
        base_dir=tmp_path,
    )
    assert c.layers["redline"].layer == "stbhhx"
    assert Path(c.layers["redline"].path).name == "x.gpkg"
    assert c.layers["shared"].path.startswith("postgresql://")


def test_password_in_a_database_uri_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"layers.shared.path: the URI holds a password") as err:
        parse_config(
            {
                "layers": {
                    "shared": {
                        "path": "postgresql://planner:s3cret@db/plan?table=a",
                        "role": "control",
                    }
                }
            },
            base_dir=tmp_path,
        )
    assert "s3cret" not in str(err.value)
    with pytest.raises(ConfigError, match="registry: the URI holds a password"):
        parse_config({"registry": "postgresql://u@db/x?password=abc"}, base_dir=tmp_path)


def test_duplicate_names_are_refused_with_both_lines(tmp_path):
    p = tmp_path / "dup.yaml"
    p.write_text(
        "layers:\n"
        "  redline: {path: a.gpkg, role: control}\n"
        "  farmland: {path: b.gpkg, role: control}\n"
        "  redline: {path: c.gpkg, role: control}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"duplicate key 'redline' at line 4 \(first at line 2\)"):
        load_config(p)

"""The hostile-input contract, searched by hypothesis rather than listed by hand.

``tests/bad_inputs/`` holds the cases someone thought of. Here hypothesis generates configs and
layers an attacker or a careless clerk could hand over — random YAML structures, aliases and
deep nesting, numbers that are NaN, infinite or huge, names with control and formula
characters, coordinates near and beyond the CRS's limits, passwords in database URIs — and each
one goes through the CLI as a user runs it. Whatever comes in, the contract holds:

- exit status 0 or 2, never an unforeseen failure (1) or a traceback;
- with 2, exactly one ``Error:`` line, under 500 characters;
- no secret (a password in a URI) appears in anything printed;
- the inputs are byte-identical afterwards and no file appears beside them (outputs only
  where asked, no temporary file left);
- each case finishes within 20 s and 2 GiB of address space (the interpreter with GDAL,
  PROJ, psycopg and the rest maps about 0.65 GiB before the first case): the worker process
  runs under ``resource`` limits, so a case that eats memory is stopped by the kernel and
  reported here; a fresh worker starts every 20 cases.

CI runs a bounded number of examples per test (``ECOGIS_HOSTILE_EXAMPLES``, default 20), the
same ones every run; search longer and at random on demand, shrinking what fails::

    ECOGIS_HOSTILE_EXAMPLES=2000 ECOGIS_HOSTILE_RANDOM=1 ECOGIS_HOSTILE_SHRINK=1 \
        python3 -m pytest tests/test_hostile.py -x
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import resource
import select
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

HERE = Path(__file__).parent
EXAMPLES = int(os.environ.get("ECOGIS_HOSTILE_EXAMPLES", "20"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("ECOGIS_HOSTILE_RANDOM"),  # CI: the same cases every run
    suppress_health_check=list(HealthCheck),
    database=None,
    # shrinking a slow failure can take many 20 s rounds: CI reports the case as found
    phases=[Phase.explicit, Phase.reuse, Phase.generate]
    + ([Phase.shrink] if os.environ.get("ECOGIS_HOSTILE_SHRINK") else []),
)
TIMEOUT_S = 20
ADDRESS_SPACE = 2 * 2**30
#: cases per worker process before a fresh one starts (address space fragments over many runs)
CASES_PER_WORKER = 20
SECRET = "Hx7sEcReT9q"
X0, Y0 = 500_000.0, 4_700_000.0  # EPSG:4547, inside its area of use


# ------------------------------------------------------------------ the worker under limits


class Worker:
    """One long-lived process that runs cases (importing GDAL once, not per case)."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.runs = 0

    def _start(self) -> None:
        def limits() -> None:
            resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
            os.setsid()

        env = dict(os.environ)
        env.update(
            OMP_NUM_THREADS="1",
            OPENBLAS_NUM_THREADS="1",
            MALLOC_ARENA_MAX="2",
            PYTHONPATH=str(HERE),
        )
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "hostile_worker.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            env=env,
            preexec_fn=limits,
        )

    def run(self, args: list[str], cwd: Path, *, lang: str = "en") -> dict:
        if self.runs >= CASES_PER_WORKER:
            self.close()
        if self.proc is None or self.proc.poll() is not None:
            self._start()
            self.runs = 0
        self.runs += 1
        req = {"args": [str(a) for a in args], "cwd": str(cwd), "lang": lang, "timeout": TIMEOUT_S}
        self.proc.stdin.write(json.dumps(req, ensure_ascii=False) + "\n")
        self.proc.stdin.flush()
        # the worker's own alarm stops Python code; C code that never returns is stopped here
        ready, _w, _x = select.select([self.proc.stdout], [], [], TIMEOUT_S + 15)
        if not ready:
            self.proc.kill()
            self.proc.wait()
            self.proc.stdin.close()
            self.proc.stdout.close()
            self.proc = None
            return {"exit": "hung (killed)", "stdout": "", "stderr": "", "seconds": TIMEOUT_S}
        line = self.proc.stdout.readline()
        if not line:  # killed: out of memory (the kernel refused an allocation), or a crash
            code = self.proc.wait()
            self.proc.stdin.close()
            self.proc.stdout.close()
            self.proc = None
            return {"exit": f"worker died ({code})", "stdout": "", "stderr": "", "seconds": 0}
        return json.loads(line)

    def close(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.stdin.close()
                self.proc.wait(timeout=30)
            self.proc.stdout.close()
            self.proc = None


@pytest.fixture(scope="module")
def worker():
    w = Worker()
    yield w
    w.close()


# ------------------------------------------------------------------ the contract


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def check_contract(
    worker: Worker, root: Path, args: list, *, outputs: tuple[str, ...] = (), lang="en"
) -> dict:
    """Run ``args`` in ``root`` (inputs in ``in/``, outputs in ``out/``) and check the
    contract; returns the answer for case-specific checks."""
    inp = root / "in"
    before = _snapshot(inp)
    before_root = _listing(root)
    answer = worker.run(args, root, lang=lang)
    text = answer["stdout"] + answer["stderr"]
    shown = f"{args}\n{text[:3000]}"
    assert answer["exit"] in (0, 2), (answer["exit"], answer.get("exception"), shown)
    assert "Traceback" not in text, shown
    assert answer.get("exception") is None, answer["exception"]
    assert SECRET not in text, shown
    assert answer["seconds"] < TIMEOUT_S, shown
    if answer["exit"] == 2:
        errors = [ln for ln in answer["stderr"].splitlines() if ln.startswith(("Error:", "错误"))]
        assert len(errors) == 1, shown
        assert len(errors[0]) < 500, errors[0][:600]
        assert "--debug" not in errors[0], shown  # an unforeseen failure, not a check
    assert _snapshot(inp) == before, f"an input changed: {shown}"
    new = _listing(root) - before_root
    allowed = {f"out/{name}" for name in outputs}
    assert new <= allowed, (sorted(new - allowed), shown)
    if answer["exit"] == 2:
        assert not (new & allowed), ("output left after an error", sorted(new), shown)
    return answer


def _case_dir() -> Path:
    root = Path(tempfile.mkdtemp(prefix="ecogis-hostile-"))
    (root / "in").mkdir()
    (root / "out").mkdir()
    return root


# ------------------------------------------------------------------ what hostile values look like

ODD = [
    "\x00", "\n", "\r", "\t", "\x1b[31m", "\x7f", "\u202e", "\ufeff", "=", "+", "-", "@",
    '=HYPERLINK("http://x","y")', "'", '"', "<script>alert(1)</script>", "&", "%s", "%(x)s",
    "{0}", "{", "}", "|layer=", "../", "..\\", "生态保护红线", "a" * 300, "*", "&anchor",
]  # fmt: skip
texts = st.one_of(
    st.sampled_from(ODD),
    st.text(
        alphabet=st.one_of(st.characters(codec="utf-8"), st.sampled_from("\x00\n\r=+-@%{}|'\"")),
        max_size=40,
    ),
)
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**25), max_value=10**25),
    st.sampled_from([0, -1, -0.0, 1e308, -1e308, 5e-324, 10**20, 2**63, -(2**63) - 1]),
)
scalars = st.one_of(numbers, texts, st.booleans(), st.none())
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)),
    max_leaves=12,
)


def _base_config() -> dict:
    return {
        "name": "测试旗",
        "crs": "EPSG:4547",
        "sliver_m2": 1.0,
        "layers": {
            "redline": {"path": "red.gpkg", "role": "control", "label": "生态保护红线"},
            "farmland": {"path": "farm.gpkg", "role": "control", "label": "永久基本农田"},
        },
        "control_lines": ["redline", "farmland"],
        "rulesets": {
            "pv": {
                "min_eligible_mu": 300,
                "checks": [
                    {"layer": "redline", "rule": "exclude", "buffer_m": 50, "label": "红线"},
                    {"layer": "farmland", "rule": "limit", "max_share": 0.1},
                ],
            }
        },
        "targets": {2022: {"afforestation_mu": 15000, "pits_km2": 1.5}},
    }


#: key paths of the base config a case may replace
PATHS = [
    ("name",), ("crs",), ("sliver_m2",), ("area_unit",), ("on_invalid",), ("basemap",),
    ("layers",), ("layers", "redline"), ("layers", "redline", "path"),
    ("layers", "redline", "role"), ("layers", "redline", "label"), ("layers", "redline", "crs"),
    ("layers", "redline", "encoding"), ("layers", "redline", "layer"),
    ("layers", "redline", "on_invalid"), ("layers", "farmland", "name_field"),
    ("control_lines",), ("rulesets",), ("rulesets", "pv", "min_eligible_mu"),
    ("rulesets", "pv", "checks"), ("rulesets", "pv", "checks", 0, "buffer_m"),
    ("rulesets", "pv", "checks", 0, "rule"), ("rulesets", "pv", "checks", 1, "max_share"),
    ("targets",), ("targets", 2022), ("targets", 2022, "afforestation_mu"),
]  # fmt: skip


def _set(cfg: dict, path: tuple, value) -> None:
    node = cfg
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


@st.composite
def configs(draw) -> dict:
    cfg = _base_config()
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        try:
            _set(cfg, path, draw(values))
        except (KeyError, IndexError, TypeError):
            pass  # an earlier change removed the parent: this change has nothing to land on
    if draw(st.booleans()):
        cfg[draw(texts)] = draw(values)  # an unknown key with an odd name
    return cfg


def _write_layers(inp: Path) -> None:
    gpd.GeoDataFrame(
        {"BSM": ["R1"], "HXMC": ["红线一"]}, geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000)], crs=4547
    ).to_file(inp / "red.gpkg")
    gpd.GeoDataFrame(
        {"BSM": ["F1"]}, geometry=[box(X0 + 500, Y0, X0 + 1500, Y0 + 1000)], crs=4547
    ).to_file(inp / "farm.gpkg")
    gpd.GeoDataFrame(
        {"site_id": ["S1", "S2"]},
        geometry=[
            box(X0 + 1500, Y0, X0 + 2500, Y0 + 1000),
            box(X0 + 100, Y0 + 100, X0 + 900, Y0 + 900),
        ],
        crs=4547,
    ).to_file(inp / "sites.gpkg")


def _dump(cfg) -> str:
    return yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False)


# ------------------------------------------------------------------ the searches


@SETTINGS
@given(cfg=configs(), command=st.sampled_from(["config", "controls", "screen"]))
def test_hostile_configs(worker, cfg, command):
    """Replaced values, odd keys: config check, controls and screen refuse or run, by contract."""
    root = _case_dir()
    try:
        _write_layers(root / "in")
        (root / "in" / "project.yaml").write_text(_dump(cfg), encoding="utf-8")
        _run_command(worker, root, command)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _run_command(worker: Worker, root: Path, command: str) -> dict:
    cfg = root / "in" / "project.yaml"
    if command == "config":
        return check_contract(worker, root, ["config", "check", "-c", cfg])
    if command == "controls":
        args = ["controls", "-c", cfg, "-o", "out/c.gpkg", "--summary", "out/s.xlsx"]
        return check_contract(worker, root, args, outputs=("c.gpkg", "s.xlsx"))
    args = ["screen", "in/sites.gpkg", "-c", cfg, "-r", "pv", "-o", "out/r.gpkg"]
    return check_contract(
        worker, root, [*args, "--xlsx", "out/r.xlsx", "--csv", "out/r.csv"],
        outputs=("r.gpkg", "r.xlsx", "r.csv"),
    )  # fmt: skip


@SETTINGS
@given(data=values)
def test_random_yaml_structures(worker, data):
    """Any YAML document at all as the config."""
    root = _case_dir()
    try:
        (root / "in" / "project.yaml").write_text(_dump(data), encoding="utf-8")
        check_contract(worker, root, ["config", "check", "-c", root / "in" / "project.yaml"])
    finally:
        shutil.rmtree(root, ignore_errors=True)


@st.composite
def yaml_attacks(draw):
    """A recipe (a function of nothing, shown by its kind and sizes) that writes the text."""
    kind = draw(st.sampled_from(["laughs", "nest-list", "nest-map", "wide", "long"]))
    return _Recipe(kind, draw)


class _Recipe:
    def __init__(self, kind, draw):
        self.kind = kind
        self.text = _attack_text(kind, draw)

    def __repr__(self) -> str:
        return f"<{self.kind}: {len(self.text):,} characters, starts {self.text[:60]!r}>"


def _attack_text(kind: str, draw) -> str:
    if kind == "laughs":  # billion laughs: aliases of aliases
        depth, width = draw(st.integers(3, 9)), draw(st.integers(2, 10))
        lines = ['a0: &a0 ["lol"]']
        for i in range(1, depth + 1):
            lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
        where = draw(st.sampled_from(["name", "sliver_m2", "layers", "control_lines", "x"]))
        lines.append(f"{where}: *a{depth}")
        return "\n".join(lines) + "\n"
    if kind == "nest-list":
        depth = draw(st.sampled_from([50, 500, 5_000, 50_000]))
        return "name: " + "[" * depth + "]" * depth + "\n"
    if kind == "nest-map":
        depth = draw(st.sampled_from([50, 500, 5_000]))
        return "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "v\n"
    if kind == "wide":
        n = draw(st.sampled_from([1_000, 30_000]))
        return "layers:\n" + "".join(
            f"  l{i}: {{path: red.gpkg, role: control}}\n" for i in range(n)
        )
    return "name: " + "长" * draw(st.sampled_from([10_000, 1_000_000])) + "\n"


@SETTINGS
@given(recipe=yaml_attacks(), command=st.sampled_from(["config", "controls"]))
def test_yaml_attacks(worker, recipe, command):
    """Aliases beyond a budget, deep nesting, huge documents: refused or run, never a crash."""
    root = _case_dir()
    try:
        _write_layers(root / "in")
        (root / "in" / "project.yaml").write_text(recipe.text, encoding="utf-8")
        _run_command(worker, root, command)
    finally:
        shutil.rmtree(root, ignore_errors=True)


coords = st.one_of(
    st.sampled_from([-1e300, -1e15, -1e7, -1.0, 0.0, 1e6, 1e7, 3.85e7, 1e15, 1e300]),
    st.floats(allow_nan=True, allow_infinity=True),
)


@st.composite
def layers(draw) -> dict:
    """A red line moved or scaled toward the CRS's limits, with odd field names and values."""
    dx, dy = draw(coords), draw(coords)
    scale = draw(st.sampled_from([1e-9, 1e-3, 1.0, 1e3, 1e9]))
    column = draw(st.one_of(st.just("HXMC"), texts.filter(lambda t: t.strip() and len(t) < 60)))
    value = draw(st.one_of(texts, st.floats(allow_nan=True, allow_infinity=True)))
    return {"dx": dx, "dy": dy, "scale": scale, "column": column, "value": value}


@SETTINGS
@given(layer=layers(), command=st.sampled_from(["controls", "screen", "layers"]))
def test_hostile_layers(worker, layer, command):
    """Coordinates near and beyond the CRS's limits, formula and control characters in field
    names and values: refused with the feature named, or measured right."""
    root = _case_dir()
    try:
        _write_layers(root / "in")
        size = 1000 * layer["scale"]
        x, y = X0 + layer["dx"], Y0 + layer["dy"]
        try:
            geom = box(x, y, x + size, y + size)
            red = gpd.GeoDataFrame({"BSM": ["R1"]}, geometry=[geom], crs=4547)
            red[layer["column"]] = [layer["value"]]
            red.to_file(root / "in" / "red.gpkg")
        except Exception:  # GEOS or GDAL refuse to make the layer: nothing a user could hand over
            return
        (root / "in" / "project.yaml").write_text(_dump(_base_config()), encoding="utf-8")
        if command == "layers":
            answer = check_contract(
                worker, root, ["layers", "check", "-c", root / "in" / "project.yaml"]
            )
        else:
            answer = _run_command(worker, root, command)
        if answer["exit"] == 0 and command == "controls":
            _check_conflict_area(root, geom)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _check_conflict_area(root: Path, red) -> None:
    """When the red line was accepted, the conflict area is the true one."""
    farm = box(X0 + 500, Y0, X0 + 1500, Y0 + 1000)
    truth = red.intersection(farm).area
    got = gpd.read_file(root / "out" / "c.gpkg", layer="conflicts").area.sum()
    assert math.isclose(got, truth, rel_tol=1e-9, abs_tol=1e-6), (got, truth)


def _uri(form: str) -> str:
    return {
        "userinfo": f"postgresql://clerk:{SECRET}@127.0.0.1:1/county?table=plan.redline",
        "query": f"postgresql://clerk@127.0.0.1:1/county?password={SECRET}&table=plan.redline",
        "encoded-key": f"postgresql://clerk@127.0.0.1:1/county?%70assword={SECRET}&table=t",
        "encoded-value": f"postgresql://clerk@127.0.0.1:1/county?password=%{SECRET.encode().hex()[:2]}{SECRET}",
        "passfile": f"postgresql://clerk@127.0.0.1:1/county?passfile=/tmp/{SECRET}&table=t",
        "keyword": f"postgresql://127.0.0.1:1/county?user=clerk&password={SECRET}#t",
        "fragment": f"postgresql://clerk:{SECRET}@127.0.0.1:1/county#plan.redline",
        "pg-scheme": f"pg://clerk:{SECRET}@127.0.0.1:1/county|layer=plan.redline",
    }[form]


FORMS = ["userinfo", "query", "encoded-key", "encoded-value", "passfile", "keyword", "fragment",
         "pg-scheme"]  # fmt: skip


@settings(SETTINGS, max_examples=max(len(FORMS) * 4, EXAMPLES))
@given(
    form=st.sampled_from(FORMS),
    where=st.sampled_from(["layer", "registry", "output", "sites"]),
    command=st.sampled_from(["config", "controls", "screen", "pits"]),
)
def test_secrets_never_echoed(worker, form, where, command):
    """A password written into a URI (in any of libpq's spellings) is refused, and printed
    nowhere: not in errors, warnings or the config check. (A ``passfile=`` path is libpq's way
    to keep passwords out of URIs: allowed, and printed as ``***`` all the same.)"""
    root = _case_dir()
    try:
        _write_layers(root / "in")
        cfg = _base_config()
        uri = _uri(form)
        args_extra: dict = {}
        if where == "layer":
            cfg["layers"]["redline"]["path"] = uri
        elif where == "registry":
            cfg["registry"] = uri
        elif where == "output":
            args_extra["output"] = uri
        else:
            args_extra["sites"] = uri
        cfg_path = root / "in" / "project.yaml"
        cfg_path.write_text(_dump(cfg), encoding="utf-8")
        if command == "config":
            answer = check_contract(worker, root, ["config", "check", "-c", cfg_path])
        elif command == "controls":
            args = ["controls", "-c", cfg_path, "-o", args_extra.get("output", "out/c.gpkg")]
            answer = check_contract(worker, root, args, outputs=("c.gpkg",))
        elif command == "screen":
            args = ["screen", args_extra.get("sites", "in/sites.gpkg"), "-c", cfg_path, "-r", "pv"]
            args += ["-o", args_extra.get("output", "out/r.gpkg")]
            answer = check_contract(worker, root, args, outputs=("r.gpkg",))
        else:
            answer = check_contract(worker, root, ["pits", "list", "-c", cfg_path])
        if form == "passfile":  # libpq's way to keep passwords out of URIs: allowed, hidden
            return
        if where in ("layer", "registry") and command == "config":
            assert answer["exit"] == 2, answer  # config check refuses the password
        if (where, command) in (("output", "controls"), ("output", "screen"), ("sites", "screen")):
            assert answer["exit"] == 2, answer
    finally:
        shutil.rmtree(root, ignore_errors=True)

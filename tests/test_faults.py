"""Faults while writing: unwritable output folders, a full disk, a process killed mid-write.

The tests run as root in CI, where ``chmod`` stops nothing; what does fail for root is a file
where a folder is expected, a read-only mount (``unshare -m`` + ``mount -o remount,bind,ro``,
skipped where namespaces are not allowed), and a file-size limit (``RLIMIT_FSIZE`` with
SIGXFSZ ignored, so a write gets EFBIG like on a full disk). In every case the message names
the output, the exit status is not 0, and an earlier output stays byte-identical.
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
import yaml
from click.testing import CliRunner
from shapely.geometry import box

from ecogis.cli import cli

REPO = Path(__file__).resolve().parents[1]
X0, Y0 = 500_000.0, 4_700_000.0


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("Error:")]


@pytest.fixture
def project(tmp_path) -> Path:
    """Red line and farmland overlapping by 750 mu, in EPSG:4547; returns the config."""
    inp = tmp_path / "in"
    inp.mkdir()
    red = gpd.GeoDataFrame({"BSM": ["R1"]}, geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000)], crs=4547)
    farm = gpd.GeoDataFrame(
        {"YJJBNTTBBH": ["F1"]}, geometry=[box(X0 + 500, Y0, X0 + 1500, Y0 + 1000)], crs=4547
    )
    red.to_file(inp / "red.gpkg")
    farm.to_file(inp / "farm.gpkg")
    cfg = {
        "name": "测试旗",
        "layers": {
            "redline": {"path": "red.gpkg", "role": "control", "label": "生态保护红线"},
            "farmland": {"path": "farm.gpkg", "role": "control", "label": "永久基本农田"},
        },
        "control_lines": ["redline", "farmland"],
    }
    p = inp / "project.yaml"
    p.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return p


# ------------------------------------------------------------------ unwritable output folder


@pytest.mark.parametrize(
    "args",
    [
        ("controls", "--summary", "{out}"),
        ("controls", "-o", "{out}"),
        ("map", "controls", "-o", "{out}"),
        ("convert", "{red}", "{out}"),
    ],
    ids=["controls-csv", "controls-gpkg", "map-html", "convert"],
)
def test_output_folder_is_a_file(project, tmp_path, args):
    """A file where the output folder should be (fails for root too): one line, status 2."""
    blocker = tmp_path / "results"
    blocker.write_text("I am a file\n", encoding="utf-8")
    suffix = {"controls": ".csv", "map": ".html", "convert": ".geojson"}[args[0]]
    if "-o" in args and args[0] == "controls":
        suffix = ".gpkg"
    out = blocker / f"out{suffix}"
    argv = [a.format(out=out, red=project.parent / "red.gpkg") for a in args]
    if argv[0] != "convert":
        argv += ["-c", str(project)]
    before = listing(tmp_path)
    r = CliRunner().invoke(cli, argv)
    assert r.exit_code == 2, r.output
    errors = error_lines(r.stderr)
    assert len(errors) == 1 and str(blocker) in errors[0], r.stderr
    assert "Traceback" not in r.output
    assert listing(tmp_path) == before
    assert blocker.read_text(encoding="utf-8") == "I am a file\n"


def _can_mount_read_only(tmp_path: Path) -> bool:
    if not shutil.which("unshare") or os.geteuid() != 0:
        return False
    probe = tmp_path / "probe"
    probe.mkdir()
    r = subprocess.run(
        [
            "unshare",
            "-m",
            "sh",
            "-c",
            'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1"',
            "sh",
            str(probe),
        ],
        capture_output=True,
    )
    probe.rmdir()
    return r.returncode == 0


def test_output_folder_on_read_only_mount(project, tmp_path):
    """Root passes os.access, but a read-only mount refuses the temporary file: status 2."""
    if not _can_mount_read_only(tmp_path):
        pytest.skip("cannot make a read-only bind mount here (needs root and mount namespaces)")
    ro = tmp_path / "ro"
    ro.mkdir()
    (ro / "sum.csv").write_text("old summary\n", encoding="utf-8")
    before = sha(ro / "sum.csv")
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
    r = subprocess.run(
        [
            "unshare",
            "-m",
            "sh",
            "-c",
            script,
            "sh",
            str(ro),
            sys.executable,
            "-m",
            "ecogis",
            "controls",
            "-c",
            str(project),
            "--summary",
            str(ro / "sum.csv"),
            "--overwrite",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert r.returncode == 2, r.stderr
    errors = error_lines(r.stderr)
    assert len(errors) == 1, r.stderr
    assert f"output folder {ro} is not writable" in errors[0]
    assert "Traceback" not in r.stderr
    assert sha(ro / "sum.csv") == before and listing(ro) == ["sum.csv"]


# ------------------------------------------------------------------ disk full (EFBIG)


def _limit_file_size(limit: int):
    def preexec():
        # ignored signals stay ignored across exec: the write gets EFBIG instead of dying
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return preexec


@pytest.mark.parametrize(
    ("argv", "name", "limit"),
    [
        (["controls", "--summary"], "sum.csv", 64),
        (["controls", "-o"], "conflicts.gpkg", 20_000),
        (["map", "controls", "-o"], "map.html", 50_000),
        (["convert", "{red}"], "red.geojson", 64),
        (["convert", "{red}"], "red.shp", 120),
        (["convert", "{red}"], "红线.txt", 64),
    ],
    ids=["csv", "gpkg", "html", "geojson", "shapefile", "coord-txt"],
)
def test_disk_full_keeps_the_old_output(project, tmp_path, argv, name, limit):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / name
    target.write_bytes(b"previous results\n")
    before = sha(target)
    args = [a.format(red=project.parent / "red.gpkg") for a in argv] + [str(target)]
    if args[0] != "convert":
        args += ["-c", str(project)]
    r = subprocess.run(
        [sys.executable, "-m", "ecogis", *args, "--overwrite"],
        capture_output=True,
        text=True,
        cwd=REPO,
        preexec_fn=_limit_file_size(limit),
        timeout=300,
    )
    assert r.returncode in (1, 2), (r.returncode, r.stderr)
    errors = error_lines(r.stderr)
    assert len(errors) == 1, r.stderr
    assert str(target) in errors[0], errors[0]
    assert "Traceback" not in r.stderr
    assert "run with --debug" not in errors[0], errors[0]  # named, not an unforeseen failure
    assert sha(target) == before
    assert listing(out_dir) == [name], "temporary files left behind"


def test_disk_full_message_says_what_happened(project, tmp_path):
    target = tmp_path / "sum.csv"
    r = subprocess.run(
        [sys.executable, "-m", "ecogis", "controls", "-c", str(project), "--summary", str(target)],
        capture_output=True,
        text=True,
        cwd=REPO,
        preexec_fn=_limit_file_size(64),
        timeout=300,
    )
    assert r.returncode == 1, r.stderr
    assert f"Error: {target}: writing failed: File too large" in r.stderr
    assert "nothing was replaced" in r.stderr
    assert not target.exists() and listing(tmp_path) == ["in"]


# ------------------------------------------------------------------ killed mid-write


def _big_layer(path: Path, n: int = 200_000) -> None:
    i = np.arange(n)
    x = X0 + (i % 500) * 20.0
    y = Y0 + (i // 500) * 20.0
    gdf = gpd.GeoDataFrame(
        {"BSM": i.astype(str), "name": ["地块"] * n},
        geometry=shapely.box(x, y, x + 10, y + 10),
        crs=4547,
    )
    gdf.to_file(path)


@pytest.mark.slow
def test_killed_mid_write_keeps_the_previous_output(tmp_path):
    src = tmp_path / "big.gpkg"
    _big_layer(src)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "result.gpkg"
    gpd.GeoDataFrame({"BSM": ["old"]}, geometry=[box(X0, Y0, X0 + 1, Y0 + 1)], crs=4547).to_file(
        target
    )
    before = sha(target)

    proc = subprocess.Popen(
        [sys.executable, "-m", "ecogis", "convert", str(src), str(target), "--overwrite"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    killed_at = None
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            tmps = [
                p for p in out_dir.iterdir() if p.name.startswith(".ecogis-") and ".tmp" in p.name
            ]
            # wait until the writer is well into the temporary file, then kill it
            if any(p.exists() and p.stat().st_size > 1_000_000 for p in tmps):
                proc.send_signal(signal.SIGKILL)
                killed_at = [p.stat().st_size for p in tmps if p.exists()]
                break
            time.sleep(0.005)
    finally:
        if proc.poll() is None and killed_at is None:
            proc.kill()
        proc.wait(timeout=30)
    if killed_at is None:
        pytest.fail("the write finished before it could be interrupted; make the input larger")
    assert proc.returncode == -signal.SIGKILL

    # the target is the old file, whole and readable
    assert sha(target) == before
    assert gpd.read_file(target)["BSM"].tolist() == ["old"]
    # what the killed writer left is a hidden temporary, never under the target's name
    visible = [p.name for p in out_dir.iterdir() if not p.name.startswith(".")]
    assert visible == ["result.gpkg"]

    orphans = [p.name for p in out_dir.iterdir() if p.name.startswith(".ecogis-")]
    assert orphans, "the killed writer left no temporary: the test proves nothing"
    assert all(f"-{proc.pid}-" in name for name in orphans)  # named by the dead process

    # and the next run succeeds despite the orphan, and removes it
    r = subprocess.run(
        [sys.executable, "-m", "ecogis", "convert", str(src), str(target), "--overwrite"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert len(gpd.read_file(target, columns=["BSM"], read_geometry=False)) == 200_000
    assert sorted(p.name for p in out_dir.iterdir()) == ["result.gpkg"]


def test_atomic_write_where_root_is_refused_names_the_folder(tmp_path):
    """os.access says yes to root, the kernel says no (sysfs): LayerError, not PermissionError."""
    from ecogis.errors import LayerError
    from ecogis.io._atomic import atomic_path

    sysfs = Path("/sys")
    if not (os.access(sysfs, os.W_OK) and sysfs.is_dir()):
        pytest.skip("needs a folder that os.access calls writable but refuses new files")
    try:
        (sysfs / ".ecogis-probe").touch()
    except OSError:
        pass
    else:  # pragma: no cover - a writable /sys: nothing to test here
        (sysfs / ".ecogis-probe").unlink()
        pytest.skip("/sys accepts new files here")
    with pytest.raises(LayerError, match=r"/sys/out.csv: output folder /sys is not writable"):
        with atomic_path(sysfs / "out.csv") as tmp:
            tmp.write_text("x")

"""The README's restoration examples run as written, on a fresh demo (issue 16).

The shell block of README "### Restoration" is read, its continued lines joined, and every
``ecogis ...`` line run through the CLI in a copy of what ``ecogis demo`` made, in order.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from ecogis.cli import cli
from ecogis.restoration.store import GpkgRegistry

README = Path(__file__).resolve().parents[1] / "README.md"


def restoration_commands() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    start = text.index("### Restoration:")
    end = text.index("\n### ", start + 1)
    (block,) = re.findall(r"```bash\n(.*?)```", text[start:end], flags=re.S)
    joined = re.sub(r"\\\n\s*", " ", block)
    commands = []
    for line in joined.splitlines():
        line = line.strip()
        if not line.startswith("ecogis "):
            continue
        args = shlex.split(line, comments=True)
        commands.append(args[1:])
    return commands


def test_readme_restoration_examples_run_on_a_fresh_demo(demo_run, tmp_path):
    root, _output = demo_run
    for part in ("layers", "configs"):
        shutil.copytree(root / part, tmp_path / part)
    commands = restoration_commands()
    assert len(commands) >= 10
    assert {c[0] for c in commands} >= {"registry", "pits", "plots", "history", "progress"}
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for args in commands:
            res = CliRunner().invoke(cli, args)
            assert res.exit_code == 0, (args, res.output)
            assert "Traceback" not in res.output
    finally:
        os.chdir(cwd)
    # what the examples promise
    reg = GpkgRegistry(tmp_path / "layers" / "demo" / "restoration.gpkg")
    pits = reg.load_pits(geometry=False)
    assert pits.at["ZXB-KK-020", "status"] == "treated"
    assert pits.at["ZXB-KK-035", "completed_on"] == "2023-09-15"
    notes = reg.events("ZXB-KK-037")
    assert notes["field"].iloc[-1] == "*note*" and notes["note"].iloc[-1] == "覆土完成，待验收"
    assert reg.load_plots(geometry=False).at["ZXB-ZL-2022-002", "status"] == "completed"
    assert (tmp_path / "核查.xlsx").exists()
    sheets = pd.read_excel(tmp_path / "2022进度.xlsx", sheet_name=None)
    assert len(sheets) == 2

"""Bad inputs of the documents and map sheets: ``ecogis report ...`` and ``ecogis map ... -o
FILE.pdf|png`` (a wrong output, template or font is refused before any work)."""

from __future__ import annotations

from pathlib import Path

from bad_inputs.cases import Built, Case, Fixtures, _controls_project, _dirs, _red


def _project(inp: Path) -> Path:
    _red().to_file(inp / "red.gpkg")
    return _controls_project(inp)


def _report(*extra, out_name: str = "report.docx", setup=None):
    """Case maker: ``ecogis report controls -c CONFIG -o out/<out_name> EXTRA``; ``setup(inp)``
    writes what ``extra`` names."""

    def make(root: Path, fx: Fixtures) -> Built:
        inp, out = _dirs(root)
        cfg = _project(inp)
        if setup is not None:
            setup(inp)
        args = ["report", "controls", "-c", cfg, "-o", out / out_name]
        args += [inp / a[3:] if isinstance(a, str) and a.startswith("in/") else a for a in extra]
        return Built(args, root)

    return make


def _sheet(*extra, out_name: str = "map.pdf"):
    def make(root: Path, fx: Fixtures) -> Built:
        inp, out = _dirs(root)
        cfg = _project(inp)
        return Built(["map", "controls", "-c", cfg, "-o", out / out_name, *extra], root)

    return make


def _text_as_docx(inp: Path) -> None:
    (inp / "template.docx").write_text("not a Word document", encoding="utf-8")


def _latin_font(inp: Path) -> None:
    import matplotlib

    src = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    (inp / "DejaVuSans.ttf").write_bytes(src.read_bytes())


def _junk_font(inp: Path) -> None:
    (inp / "font.ttf").write_bytes(b"\x00\x01junk" * 100)


def _screening_both(root: Path, fx: Fixtures) -> Built:
    inp, out = _dirs(root)
    cfg = _project(inp)
    (inp / "result.gpkg").write_bytes(b"")
    args = ["report", "screening", inp / "sites.gpkg", "-c", cfg, "--sites-result",
            inp / "result.gpkg", "-o", out / "r.docx"]  # fmt: skip
    return Built(args, root)


def _screening_result_missing(root: Path, fx: Fixtures) -> Built:
    inp, out = _dirs(root)
    cfg = _project(inp)
    args = ["report", "screening", "-c", cfg, "--sites-result", inp / "none.gpkg", "-o",
            out / "r.docx"]  # fmt: skip
    return Built(args, root)


def _screening_no_ruleset(root: Path, fx: Fixtures) -> Built:
    inp, out = _dirs(root)
    cfg = _project(inp)
    return Built(["report", "screening", "-c", cfg, "-o", out / "r.docx"], root)


CASES = [
    Case("report-output-not-docx", "report controls", "output that is not a .docx", "refused",
         "unsupported suffix", _report(out_name="report.pdf")),
    Case("report-template-missing", "report controls", "--template that does not exist",
         "refused", "template not found", _report("--template", "in/none.docx")),
    Case("report-template-not-word", "report controls", "--template that is not a Word document",
         "refused", "not a Word document", _report("--template", "in/template.docx",
                                                   setup=_text_as_docx)),
    Case("report-font-missing", "report controls", "--font that does not exist", "refused",
         "font file not found", _report("--font", "in/none.ttf")),
    Case("report-font-not-chinese", "report controls", "--font without Chinese characters",
         "refused", "no Chinese characters", _report("--font", "in/DejaVuSans.ttf",
                                                     setup=_latin_font)),
    Case("report-font-junk", "report controls", "--font that is not a font file", "refused",
         "not a font file", _report("--font", "in/font.ttf", setup=_junk_font)),
    Case("report-screening-both-inputs", "report screening", "SITES and --sites-result together",
         "refused", "not both", _screening_both),
    Case("report-screening-result-missing", "report screening", "--sites-result that does not "
         "exist", "refused", "file not found", _screening_result_missing),
    Case("report-screening-no-ruleset", "report screening", "a config without rule sets",
         "refused", "rule set", _screening_no_ruleset),
    Case("map-sheet-bad-paper", "map controls", "--paper that is not A4 or A3", "refused", "A5",
         _sheet("--paper", "A5")),
    Case("map-sheet-bad-suffix", "map controls", "-o with a suffix that is neither a map nor a "
         "sheet (.svg)", "refused", "a map is an .html file", _sheet(out_name="map.svg")),
    Case("map-sheet-dpi-too-low", "map controls", "--dpi below 50", "refused", "--dpi",
         _sheet("--dpi", "10", out_name="map.png")),
]  # fmt: skip

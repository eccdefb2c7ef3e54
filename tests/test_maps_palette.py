"""Status, verdict and completion colours stay distinct for every colour vision.

Each palette of :data:`ecogis.mapping.styles.PALETTES` is drawn as the map draws it (the fill
blended over the map background at its opacity), passed through the colour-vision-deficiency
simulation of Machado, Oliveira & Fernandes (2009, IEEE TVCG 15(6); severity 1.0 matrices for
protanopia, deuteranopia and tritanopia, applied in linear sRGB) and compared pairwise with
CIEDE2000 (Sharma, Wu & Dalal 2005). A difference of 12 or more is told apart at a glance on
a map; the old palette (orange-red vs light-orange pits) had 5.2 under protanopia.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from ecogis.mapping.styles import PALETTES, PLOT_CLASSES, STYLES

BACKGROUND = "#f2efe9"  # .leaflet-container in runtime.css
MIN_DE = 12.0

MACHADO = {
    "normal": np.eye(3),
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]
    ),
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
    ),
    "tritanopia": np.array(
        [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]]
    ),
}  # fmt: skip


def _rgb(hex_color: str) -> np.ndarray:
    h = hex_color.lstrip("#")
    return np.array([int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)])


def _linear(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear_rgb: np.ndarray) -> tuple[float, float, float]:
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = m @ linear_rgb / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def ciede2000(lab1, lab2) -> float:
    """CIEDE2000 colour difference (kL = kC = kH = 1)."""
    L1, a1, b1 = lab1
    L2, a2, b2 = lab2
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar**7 / (c_bar**7 + 25**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360
    h2p = math.degrees(math.atan2(b2, a2p)) % 360
    dlp, dcp = L2 - L1, c2p - c1p
    dhp = 0.0
    if c1p * c2p:
        dhp = h2p - h1p
        dhp -= 360 if dhp > 180 else (-360 if dhp < -180 else 0)
    dHp = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dhp / 2))
    lbp, cbp = (L1 + L2) / 2, (c1p + c2p) / 2
    if not c1p * c2p:
        hbp = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hbp = (h1p + h2p) / 2
    else:
        hbp = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(hbp - 30))
        + 0.24 * math.cos(math.radians(2 * hbp))
        + 0.32 * math.cos(math.radians(3 * hbp + 6))
        - 0.20 * math.cos(math.radians(4 * hbp - 63))
    )
    rc = 2 * math.sqrt(cbp**7 / (cbp**7 + 25**7))
    rt = -math.sin(math.radians(60 * math.exp(-(((hbp - 275) / 25) ** 2)))) * rc
    sl = 1 + 0.015 * (lbp - 50) ** 2 / math.sqrt(20 + (lbp - 50) ** 2)
    sc, sh = 1 + 0.045 * cbp, 1 + 0.015 * cbp * t
    return math.sqrt(
        (dlp / sl) ** 2 + (dcp / sc) ** 2 + (dHp / sh) ** 2 + rt * (dcp / sc) * (dHp / sh)
    )


def seen(color: str, opacity: float, vision: str):
    """The colour as drawn over the background, as a person with ``vision`` sees it (CIELAB)."""
    drawn = opacity * _rgb(color) + (1 - opacity) * _rgb(BACKGROUND)
    return _lab(np.clip(MACHADO[vision] @ _linear(drawn), 0, 1))


def test_ciede2000_matches_published_pairs():
    """Two of the test pairs of Sharma, Wu & Dalal (2005), Table 1."""
    assert ciede2000((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485)) == pytest.approx(
        2.0425, abs=1e-4
    )
    assert ciede2000((50.0, 2.5, 0.0), (73.0, 25.0, -18.0)) == pytest.approx(27.1492, abs=1e-4)


@pytest.mark.parametrize("vision", MACHADO)
@pytest.mark.parametrize("palette", PALETTES)
def test_palette_is_distinct(palette, vision):
    colors = PALETTES[palette]
    worst = min(
        (ciede2000(seen(*colors[a], vision), seen(*colors[b], vision)), a, b)
        for a, b in itertools.combinations(colors, 2)
    )
    assert worst[0] >= MIN_DE, (palette, vision, worst)


@pytest.mark.parametrize("vision", MACHADO)
def test_plots_not_started_do_not_look_like_open_pits(vision):
    """The issue's case: a 0 % plot, an untreated and an in-progress pit side by side."""
    zero = seen(PLOT_CLASSES[0][1], STYLES["plot"]["fillOpacity"], vision)
    for status in ("untreated", "in_progress"):
        pit = seen(*PALETTES["pit statuses"][status], vision)
        assert ciede2000(zero, pit) >= MIN_DE, (status, vision)


def test_the_old_palette_fails_the_same_check():
    """The check can fail: the pit colours the issue complained about do, under protanopia."""
    old = {"untreated": "#d94801", "in_progress": "#fdb863", "treated": "#66bb6a"}
    worst = min(
        ciede2000(seen(old[a], 0.95, "protanopia"), seen(old[b], 0.95, "protanopia"))
        for a, b in itertools.combinations(old, 2)
    )
    assert worst < MIN_DE

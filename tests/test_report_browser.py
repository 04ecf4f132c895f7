"""The report renders in a real browser: headless Chromium takes a screenshot of it."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from test_report import quick_report  # noqa: F401  (the session's one quick report)

CHROMIUM = next(
    (shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None
)


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not on PATH (Debian package 'chromium'; .ci/run installs it)",
)
def test_report_renders_in_headless_chromium(quick_report, tmp_path):  # noqa: F811
    from matplotlib.image import imread

    shot = tmp_path / "shot.png"
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1200,2400",
        f"--screenshot={shot}",
        (quick_report / "index.html").resolve().as_uri(),
    ]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=120)
    assert shot.is_file(), proc.stderr[-2000:]
    img = imread(shot)[..., :3]
    assert img.shape[:2] == (2400, 1200)
    # a blank page is one flat colour; text, tables and figures make the pixels vary
    assert float(img.std()) > 0.05
    dark = (img.mean(axis=2) < 0.5).mean()
    assert 0.005 < dark < 0.6  # some ink (text, plot lines), but not a black screen

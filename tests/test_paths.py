"""The cache folder: $GEOMLAB_CACHE_DIR, else the platform's user cache folder."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from geomlab._paths import cache_dir

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the XDG layout is Linux's"
)


def test_environment_variable_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("GEOMLAB_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "c"


def test_environment_variable_expands_the_home_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GEOMLAB_CACHE_DIR", "~/geomlab-cache")
    assert cache_dir() == tmp_path / "geomlab-cache"


@linux_only
def test_linux_default_is_the_folder_existing_caches_use(monkeypatch, tmp_path):
    # the folder geomlab used before platformdirs: caches made then stay valid
    monkeypatch.delenv("GEOMLAB_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_dir() == tmp_path / ".cache" / "geomlab"
    monkeypatch.setenv("GEOMLAB_CACHE_DIR", "")  # empty means unset
    assert cache_dir() == tmp_path / ".cache" / "geomlab"


@linux_only
def test_linux_default_follows_xdg_cache_home(monkeypatch, tmp_path):
    monkeypatch.delenv("GEOMLAB_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "geomlab"


def test_platformdirs_is_imported_only_when_the_folder_is_asked_for():
    code = (
        "import sys, geomlab, geomlab.loaders, geomlab._paths\n"
        "print('platformdirs' in sys.modules)\n"
        "geomlab._paths.cache_dir()\n"
        "print('platformdirs' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "GEOMLAB_CACHE_DIR"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
    ).stdout
    assert out.split() == ["False", "True"]

"""umap-learn's compiled loops are kept on disk, as numba keeps geomlab's own."""

from __future__ import annotations

import subprocess
import sys

import pytest


# slow: in a fresh environment this is the suite's first import of umap, which compiles
# pynndescent's loops (44 s in CI); the slow tests import umap anyway
@pytest.mark.slow
def test_umap_loops_get_a_disk_cache_before_they_compile():
    pytest.importorskip("umap")
    code = (
        "import umap\n"
        "from numba.core.caching import NullCache\n"
        "from geomlab.geometry.maps import _cache_umap_loops\n"
        "loops = (umap.umap_.smooth_knn_dist, umap.umap_.compute_membership_strengths,\n"
        "         umap.layouts._nb_optimize_layout_euclidean_single_epoch)\n"
        "assert all(isinstance(f._cache, NullCache) for f in loops), 'umap caches them now'\n"
        "_cache_umap_loops(umap)\n"
        "print(sum(not isinstance(f._cache, NullCache) for f in loops))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "3"

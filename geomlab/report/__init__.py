"""The HTML report: ``geomlab.report.build(emb, out_dir)`` or ``geomlab report``.

The figures are drawn by :mod:`geomlab.plots`, the 2-D maps (with their trustworthiness) by
:mod:`geomlab.geometry.maps`. Only numpy and the
standard library load with this package; matplotlib, scikit-learn and UMAP load when a
report is built.
"""

from __future__ import annotations

from .build import build, is_report
from .sections import section_keys

__all__ = ["SECTIONS", "build", "is_report"]

SECTIONS = tuple(section_keys())

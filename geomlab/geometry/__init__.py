"""Geometry: queries, relevance scores, nearest neighbors, analogies, direction algebra.

The public names are exported from :mod:`geomlab` (lazily); the submodules import only
numpy, so importing any of them is fast.
"""

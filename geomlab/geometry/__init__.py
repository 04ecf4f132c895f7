"""Geometry: queries, relevance scores, nearest neighbors, analogies, direction algebra,
preference (scores through softmax), attention, senses and sense choice.

The public names are exported from :mod:`geomlab` (lazily); the submodules import only
numpy, so importing any of them is fast. Geometry uses ``scoring`` (softmax, losses) and
never imports ``evaluation``, ``lm`` or ``loaders`` (only ``.plot()`` methods reach
``geomlab.plots``).
"""

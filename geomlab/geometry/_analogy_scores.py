"""The analogy score formulas: the one place 3CosAdd, 3CosMul and PairDirection are written.

Everything that scores an analogy goes through :class:`Scorer`: :func:`geomlab.analogy`
(one question against the vocabulary), the blocked evaluation pass
(:mod:`geomlab.evaluation._scan`) and the pruned pass (:mod:`geomlab.evaluation._pruned`,
which also asks for scores in float64 through :meth:`Scorer.exact`). gensim parity
therefore rests on this one implementation.

The arithmetic follows gensim's operation for operation, in float32: unit input vectors,
the dot product of each query row with the *raw* candidate rows, then division by the
candidate norms. For a question a : b :: c : ? with unit inputs:

- ``"3cosadd"``: one query row, ``unit((b + c - a) / 3)`` summed in float32 and scaled in
  float64 (gensim's ``get_mean_vector``); the score is its cosine with the candidate.
- ``"3cosmul"``: three rows a, b, c; with ``s(x) = (1 + cos) / 2`` the score is
  ``s_b * s_c / (s_a + 1e-6)`` (gensim's ``most_similar_cosmul``).
- ``"pairdirection"``: two rows ``d = b - a`` and ``c``; the score is
  ``(x.d - c.d) / (|d| |x - c|)`` for unit x, with ``|x - c|^2 = 2 - 2 x.c``. x = c has no
  direction from c (-inf), and neither has a candidate with ``2 - 2 x.c`` below
  :data:`SAME_AS_C` (c's own row or a copy of it: rounding leaves ``x.c`` a few ulps from
  1 there, and the ratio of two rounding errors would be an arbitrary score); a = b
  gives the relation no direction, so every candidate scores 0.

Zero candidate rows divide by a zero norm. The benchmark passes mask them (as gensim's
evaluation leaves them out); :func:`geomlab.analogy` passes a norm of 1 for them instead,
so that a zero row has cosine 0 with everything, as in :func:`geomlab.nearest`.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_choice

__all__ = ["CHUNK", "COSMUL_EPS", "METHODS", "SAME_AS_C", "Scorer", "check_method", "unit"]

METHODS = ("3cosadd", "3cosmul", "pairdirection")
#: the epsilon of 3CosMul's denominator (as gensim's ``most_similar_cosmul``)
COSMUL_EPS = 1e-6
#: PairDirection: below this ``|x - c|^2`` (``x.c`` above 0.999995) x counts as c (-inf)
SAME_AS_C = 1e-5
#: candidate rows per tile of :meth:`Scorer.full`
CHUNK = 4096
_NEG = np.float32(-np.inf)


def check_method(method) -> str:
    """One of :data:`METHODS`, else a ParameterError listing them."""
    return check_choice(method, "method", METHODS)


def unit(vectors: np.ndarray, norms: np.ndarray | None = None) -> np.ndarray:
    """float32 unit vectors as gensim's ``get_vector(key, norm=True)`` makes them.

    Zero vectors stay zero.
    """
    v = np.asarray(vectors, dtype=np.float32)
    if norms is None:
        norms = np.linalg.norm(v, axis=-1)
    norms = np.asarray(norms, dtype=np.float32)
    safe = np.where(norms == 0, np.float32(1), norms)
    return v / (safe[..., None] if v.ndim > 1 else safe)


class Scorer:
    """Scores of analogy questions against candidate rows, for one method.

    Parameters
    ----------
    method : {"3cosadd", "3cosmul", "pairdirection"}
    pool : ndarray, shape (n_pool, dim)
        The candidate rows (raw vectors).
    norms : ndarray, shape (n_pool,)
        Their norms.
    unit : callable, optional
        ``unit(rows) -> (len(rows), dim)`` float32 unit vectors of arbitrary rows (to build
        queries from row indices with :meth:`queries`).
    """

    def __init__(self, method: str, pool: np.ndarray, norms: np.ndarray, unit=None):
        self.method = check_method(method)
        self.pool = pool
        self.norms = norms
        self.unit = unit
        # the histogram range of the method's scores (cosines, or shifted-cosine ratios)
        self.range = (0.0, 4.0) if method == "3cosmul" else (-1.0, 1.0)

    # -- queries ------------------------------------------------------------------------------
    def queries(self, ia, ib, ic) -> np.ndarray:
        """Query rows for questions given as row indices, shape ``(n, r, dim)`` float32."""
        return self.query_vectors(self.unit(ia), self.unit(ib), self.unit(ic))

    def query_vectors(self, ua, ub, uc) -> np.ndarray:
        """Query rows from unit input vectors (n, dim) each, shape ``(n, r, dim)`` float32."""
        ua, ub, uc = (np.atleast_2d(np.asarray(u, dtype=np.float32)) for u in (ua, ub, uc))
        if self.method == "3cosadd":
            # gensim's get_mean_vector: float32 sum of +b +c -a, /3 and unit length in
            # float64, back to float32
            m = ((ub + uc) - ua).astype(np.float64) / 3.0
            length = np.sqrt(np.einsum("ij,ij->i", m, m))
            m *= (1.0 / np.where(length > 0, length, 1.0))[:, None]
            return m.astype(np.float32)[:, None, :]
        if self.method == "3cosmul":
            return np.stack([ua, ub, uc], axis=1)
        return np.stack([ub - ua, uc], axis=1)  # pairdirection: x.d and x.c

    # -- scores ---------------------------------------------------------------------------------
    def tile(self, q: np.ndarray, c0: int, c1: int, out: np.ndarray | None = None):
        """Scores of the query block ``q`` (b, r, dim) against pool rows ``c0:c1``, (b, w)."""
        b, r, _ = q.shape
        cos = np.matmul(q.reshape(b * r, -1), self.pool[c0:c1].T, out=out if r == 1 else None)
        with np.errstate(divide="ignore", invalid="ignore"):  # zero rows: masked by the caller
            np.divide(cos, self.norms[c0:c1], out=cos)
            return self.combine(cos.reshape(b, r, -1), q, out)

    def full(self, q1: np.ndarray) -> np.ndarray:
        """All pool scores of one query (1, r, dim), shape (n_pool,), tile by tile."""
        return np.concatenate(
            [
                self.tile(q1, c0, min(c0 + CHUNK, len(self.pool)))[0]
                for c0 in range(0, len(self.pool), CHUNK)
            ]
        )

    def pairwise(self, q: np.ndarray, rows: np.ndarray, *, chunk: int = 4096) -> np.ndarray:
        """Scores of each query against its own rows: ``rows`` (n, k) -> (n, k) float32.

        -1 in ``rows`` pads and scores -inf. Done ``chunk`` questions at a time.
        """
        out = np.empty(rows.shape, dtype=np.float32)
        for i in range(0, len(q), chunk):
            r = rows[i : i + chunk]
            safe = np.where(r >= 0, r, 0)
            cos = np.einsum("nrd,nkd->nrk", q[i : i + chunk], self.pool[safe])
            with np.errstate(divide="ignore", invalid="ignore"):  # zero rows: as in tile
                cos /= self.norms[safe][:, None, :]
            out[i : i + chunk] = self.combine(cos, q[i : i + chunk])
        out[rows < 0] = _NEG
        return out

    def exact(
        self, queries: np.ndarray, qi: np.ndarray, rows: np.ndarray, *, chunk: int = 1 << 16
    ) -> np.ndarray:
        """Scores of (question ``qi``, pool row ``rows``) pairs in float64, rounded to float32.

        The same formulas as :meth:`combine`, with every operation in float64 (the same
        value for a candidate whatever the block layout, unlike a float32 BLAS product).
        Zero rows score -inf.
        """
        out = np.empty(len(qi), dtype=np.float32)
        for s0 in range(0, len(qi), chunk):
            q = queries[qi[s0 : s0 + chunk]].astype(np.float64)  # (k, r, dim)
            r = rows[s0 : s0 + chunk]
            x = self.pool[r].astype(np.float64)
            n = self.norms[r].astype(np.float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                cos = np.einsum("krd,kd->kr", q, x) / n[:, None]
                s = self.combine(cos[:, :, None], q)[:, 0]
            s[n == 0] = -np.inf
            out[s0 : s0 + chunk] = s
        return out

    def combine(self, cos: np.ndarray, q: np.ndarray, out=None) -> np.ndarray:
        """Method scores (b, k) from the cosines ``cos`` (b, r, k) of each query row.

        Works in ``cos``'s precision: float32 for the passes, float64 for :meth:`exact`.
        """
        one = cos.dtype.type(1)
        two = cos.dtype.type(2)
        if self.method == "3cosadd":
            return cos[:, 0]
        if self.method == "3cosmul":
            # gensim: prod((1 + cos) / 2 for b, c) / ((1 + cos_a) / 2 + 1e-6)
            sh = (cos + one) / two
            s = np.multiply(sh[:, 1], sh[:, 2], out=out)
            den = sh[:, 0]
            den += cos.dtype.type(COSMUL_EPS)
            return np.divide(s, den, out=s)
        # pairdirection: (x.d - c.d) / (|d| |x - c|) with |x - c|^2 = 2 - 2 x.c (unit x, c)
        qq = q.astype(cos.dtype, copy=False)
        dd = np.einsum("ij,ij->i", qq[:, 0], qq[:, 0])
        cd = np.einsum("ij,ij->i", qq[:, 1], qq[:, 0])
        den = np.maximum(two - two * cos[:, 1], cos.dtype.type(0))
        same = den < cos.dtype.type(SAME_AS_C)
        den *= dd[:, None]
        np.sqrt(den, out=den)
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.divide(cos[:, 0] - cd[:, None], den, out=out)
        s[~np.isfinite(s) | same] = -np.inf  # x == c: no direction from c to x
        # a == b: the relation has no direction, so no candidate is preferred
        s[dd <= 1e-12] = 0
        return s

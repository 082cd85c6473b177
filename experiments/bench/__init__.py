"""The benchmarks, apart from the lecture's experiments; each writes its own section of
``BENCHMARKS.md`` and ``results/<name>/metrics.json``:

- ``python -m experiments.bench.peers``: training throughput against PyTorch (eager and
  ``torch.compile``), Keras 3 on JAX, scikit-learn and a plain JAX loop (``make bench``);
- ``python -m experiments.bench.sweep``: ``fit_many`` against one model after another;
- ``python -m experiments.bench.backprop``: the hand-written gradient against ``jax.grad``.

Each takes ``--quick`` for a smoke run.
"""

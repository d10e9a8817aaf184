"""The squasher benchmark: every sample built side by side on one engine, in one run.

``python -m benchmarks`` builds, for each ``samples/<name>/``: the original Dockerfile; the squashed
image (``script`` strategy on the classic builder and on BuildKit, ``mount`` on BuildKit);
docker-squash applied to the original; and the expert reference (``reference/Dockerfile``). It
measures size, layers, cold and warm build time, dive's efficiency and squasher's reclaimable
bytes, runs the sample's probe in each image, adds a few micro-benchmarks, and writes
``benchmarks/results.json``, ``benchmarks/RESULTS.md`` and ``benchmarks/chart.svg``.

Modules: ``samples`` (what a sample is), ``variants`` (what gets built), ``engine_run`` (building,
measuring, probing), ``runner`` (one run over the samples), ``micro`` (timings that need no
sample), ``machine`` (where it ran), ``report`` (ratios, targets, Markdown), ``chart`` (SVG).
"""

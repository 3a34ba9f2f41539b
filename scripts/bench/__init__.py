"""`make bench`: every performance benchmark of issue 7 in one run.

Each section is a module of this package with two functions:

- ``run(seed: int, runs: int, quick: bool) -> dict``: measures, repeating every
  timed figure ``runs`` times and keeping the median; returns JSON-ready data.
- ``render(result: dict) -> str``: the section of docs/performance.md (a
  ``## `` heading, generated tables, and for each aim either "met" or the
  measured gap with what limits it).

``python -m scripts.bench`` runs the sections and writes docs/performance.json
(kept in git) and docs/performance.md; ``--only`` reruns one section and keeps
the others' last figures. ``--quick`` writes reports/bench-quick.json only.
"""

SECTIONS = ("matcher", "gas", "pipeline")

r"""Command line for the heavier runs of the chapter :doc:`/book/lottery_tickets`, stored as small JSON files.

``python -m pruning_lab.lottery.cli <experiment> [--trials T] [--max-iter M] [--out PATH]`` runs one
experiment at the scale of the committed results and writes ``{"command", "result"}`` to ``PATH``
(default ``results/lottery/<experiment>.json``), atomically.  The experiments:

* ``patterns``: success against :math:`N` for overlap patterns with the same 100 free weights and
  :math:`\tilde r` from about 3.6 to 20 (:func:`~pruning_lab.lottery.transition.pattern_sweep`);
* ``dimension``: the same pruned architecture (:math:`r=20`, :math:`K=5`) at input dimensions
  :math:`d` from 20 (dense) to 1000 (:func:`~pruning_lab.lottery.transition.dimension_sweep`);
* ``dimension-dense``: the dense learner on the same teachers, :math:`d\in\{20,50,100\}`;
* ``radius``: success against the start's distance at :math:`N=300` and :math:`600`
  (:func:`~pruning_lab.lottery.transition.radius_sweep`; both sample sizes in one file);
* ``masks``: masks found by IMP and one-shot magnitude pruning, with random-mask and
  re-initialization controls, at several training-set sizes
  (:func:`~pruning_lab.lottery.experiments.inaccurate_mask_sweep`).

:func:`load_result` reads a file back into the sweep's result object.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..runs import atomic_write
from .experiments import InaccurateMaskSweep, inaccurate_mask_sweep
from .transition import SuccessCurves, dimension_sweep, pattern_sweep, radius_sweep

__all__ = ["EXPERIMENTS", "PATTERNS", "RESULTS", "load_result", "main", "run_experiment"]

#: Overlap patterns ``(widths, groups)`` with :math:`\sum_jr_j=100` (:math:`K=5`, :math:`d=100`).
PATTERNS = (
    ((20, 20, 20, 20, 20), 1),
    ((40, 40, 10, 5, 5), 1),
    ((60, 10, 10, 10, 10), 1),
    ((20, 20, 20, 20, 20), 2),
    ((96, 1, 1, 1, 1), 1),
    ((20, 20, 20, 20, 20), 5),
    ((40, 40, 10, 5, 5), 5),
    ((60, 10, 10, 10, 10), 5),
    ((96, 1, 1, 1, 1), 5),
)

#: The committed experiments, name -> (sweep, keyword arguments at book scale).
EXPERIMENTS = {
    "patterns": (pattern_sweep, dict(patterns=PATTERNS, n_values=list(range(60, 321, 20)), d=100, K=5)),
    "dimension": (
        dimension_sweep,
        dict(d_values=[20, 50, 100, 400, 1000], n_values=list(range(60, 241, 20)), r=20, K=5),
    ),
    "dimension-dense": (
        dimension_sweep,
        dict(d_values=[20, 50, 100], n_values=list(range(50, 801, 50)), r=20, K=5, dense=True),
    ),
    "radius-300": (
        radius_sweep,
        dict(r_values=[10, 20, 30, 40], dist_values=[0.25 * i for i in range(1, 13)], n=300, d=100, K=5),
    ),
    "radius-600": (
        radius_sweep,
        dict(r_values=[10, 20, 40, 60, 80], dist_values=[0.25 * i for i in range(1, 13)], n=600, d=100, K=5),
    ),
    "masks": (inaccurate_mask_sweep, dict(n_values=[100, 150, 200, 250, 350], d=100, K=5, r_star=20, rounds=10)),
}


def run_experiment(name: str, *, trials: int = 20, max_iter: int = 10_000, progress: bool = False):
    """Run the committed experiment ``name`` (a key of :data:`EXPERIMENTS`) with ``trials`` problems per cell.

    ``max_iter`` is the step budget of Algorithm 1 (the paper's :math:`10^4`; for ``masks``, of the final
    training of each mask).  Returns the sweep's result object.
    """
    if name not in EXPERIMENTS:
        raise ValueError(f"name must be one of {sorted(EXPERIMENTS)}, got {name!r}")
    sweep, kwargs = EXPERIMENTS[name]
    return sweep(**kwargs, trials=trials, max_iter=max_iter, progress=progress)


def _to_dict(result) -> dict:
    if isinstance(result, SuccessCurves):
        return {"kind": "SuccessCurves", **result.to_dict()}
    return {"kind": "InaccurateMaskSweep", **result.to_dict()}


#: Where the committed results live, ``results/lottery`` at the root of the repository.
RESULTS = Path(__file__).resolve().parents[2] / "results" / "lottery"


def load_result(path):
    """Read a file written by :func:`main`: returns ``(command, result)``, the result as its sweep's object.

    ``path`` is a file, or the name of a committed experiment (a key of :data:`EXPERIMENTS`), read from
    the ``lottery`` folder of the committed results (:func:`pruning_lab.runs.find_results`; :data:`RESULTS`
    in a clone of the repository).
    """
    if path in EXPERIMENTS:
        from ..runs import find_results

        path = find_results("lottery") / f"{path}.json"
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; make it with: python -m pruning_lab.lottery.cli <experiment>")
    data = json.loads(path.read_text())
    res = data["result"]
    kind = res.pop("kind")
    if kind == "SuccessCurves":
        return data["command"], SuccessCurves.from_dict(res)
    if kind == "InaccurateMaskSweep":
        return data["command"], InaccurateMaskSweep.from_dict(res)
    raise ValueError(f"{path} holds an unknown result kind {kind!r}")


def main(argv=None) -> int:
    """Entry point: parse ``argv``, run the experiment, write its JSON file; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m pruning_lab.lottery.cli", description=__doc__.splitlines()[0])
    parser.add_argument("experiment", choices=sorted(EXPERIMENTS))
    parser.add_argument("--trials", type=int, default=20, help="independent problems per cell (default 20)")
    parser.add_argument("--max-iter", type=int, default=10_000, help="step budget of Algorithm 1 (default 10000)")
    parser.add_argument("--out", default=None, help="output file (default results/lottery/<experiment>.json)")
    parser.add_argument("--progress", action="store_true", help="show a progress bar")
    args = parser.parse_args(argv)
    out = Path(args.out or f"results/lottery/{args.experiment}.json")
    result = run_experiment(args.experiment, trials=args.trials, max_iter=args.max_iter, progress=args.progress)
    command = " ".join(
        [
            "python -m pruning_lab.lottery.cli",
            args.experiment,
            "--trials",
            str(args.trials),
            "--max-iter",
            str(args.max_iter),
        ]
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(out) as tmp:
        tmp.write_text(json.dumps({"command": command, "result": _to_dict(result)}))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

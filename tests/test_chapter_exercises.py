"""The exercises of the chapters: every exercise has a hint, and every worked solution's code runs.

Exercises are MyST ``{exercise}`` blocks with a ``:label:``; solutions are ``{solution}`` blocks
(sphinx-exercise) naming that label, written with colon fences so that they can hold code::

    :::{solution} ex-some-label
    :class: dropdown

    The derivation ... and the number, computed with the package:

    ```python
    from pruning_lab import dc
    ...
    ```
    :::

The code of a solution is self-contained (its own imports; it does not rely on the chapter's
variables), so the tests run every ``python`` block of every solution in a fresh namespace.
A chapter listed in :data:`WITH_HINTS` must give every exercise a hint (a paragraph starting with
``**Hint``) and a solution, unless the exercise says ``(open-ended)`` (an exploration without one
answer).  Chapters join the list as their exercises are brought to this standard.
"""

import json
import re
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
CHAPTERS = sorted(BOOK.glob("*.ipynb"))
#: Chapters held to the exercise rule (hints everywhere; a solution or "(open-ended)" for each).
WITH_HINTS = (
    "pruning_strategies",
    "oneshot_pruning",
    "predicting_pruning",
    "random_features",
    "matrix_sensing",
    "pruning_mnist",
    "resnet_cifar",
    "lasso_to_sapp",
    "lottery_tickets",
    "pruning_speed",
    "beyond_weights",
)

EXERCISE = re.compile(r"^(`{3,}|:{3,})\{exercise\}[^\n]*\n(.*?)^\1\s*$", re.S | re.M)
SOLUTION = re.compile(r"^(`{3,}|:{3,})\{solution\}\s*(\S+)[^\n]*\n(.*?)^\1\s*$", re.S | re.M)
CODE = re.compile(r"^```python\n(.*?)^```\s*$", re.S | re.M)
LABEL = re.compile(r"^:label:\s*(\S+)", re.M)


def _markdown(path: Path) -> str:
    nb = json.loads(path.read_text())
    return "\n\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def _exercises(text: str) -> dict:
    out = {}
    for match in EXERCISE.finditer(text):
        label = LABEL.search(match.group(2))
        assert label, f"an exercise without a :label: — {match.group(2)[:80]!r}"
        out[label.group(1)] = match.group(2)
    return out


def _solutions(text: str) -> dict:
    return {m.group(2): m.group(3) for m in SOLUTION.finditer(text)}


def test_the_parser_reads_exercises_solutions_and_their_code():
    text = (
        "```{exercise} A title\n:label: ex-a\n\nDo it.\n**Hint.** Look.\n```\n\n"
        ":::{solution} ex-a\n:class: dropdown\n\nSo.\n\n```python\nx = 1 + 1\n```\n:::\n"
    )
    assert list(_exercises(text)) == ["ex-a"] and "**Hint" in _exercises(text)["ex-a"]
    assert list(_solutions(text)) == ["ex-a"] and CODE.findall(_solutions(text)["ex-a"]) == ["x = 1 + 1\n"]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_solution_answers_an_exercise_of_its_chapter(path):
    text = _markdown(path)
    exercises, solutions = _exercises(text), _solutions(text)
    assert set(solutions) <= set(exercises), f"solutions for unknown labels: {set(solutions) - set(exercises)}"


@pytest.mark.parametrize("name", WITH_HINTS)
def test_every_exercise_has_a_hint_and_a_solution(name):
    text = _markdown(BOOK / f"{name}.ipynb")
    exercises, solutions = _exercises(text), _solutions(text)
    assert exercises, "the chapter has no exercises"
    assert [label for label, body in exercises.items() if "**Hint" not in body] == []
    assert [label for label, body in exercises.items() if label not in solutions and "(open-ended)" not in body] == []


SOLUTION_CODE = [
    (path.stem, label, i, code)
    for path in CHAPTERS
    for label, body in _solutions(_markdown(path)).items()
    for i, code in enumerate(CODE.findall(body))
]


@pytest.mark.parametrize(
    "chapter, label, index, code", SOLUTION_CODE, ids=[f"{c}:{label}:{i}" for c, label, i, _ in SOLUTION_CODE]
)
def test_the_code_of_every_solution_runs(chapter, label, index, code):
    if "torch" in code or "pruning_lab.nn" in code:
        pytest.importorskip("torch")
    exec(compile(code, f"{chapter}:{label}:{index}", "exec"), {"__name__": "__solution__"})
    plt.close("all")

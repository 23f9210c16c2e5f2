"""The book where readers are: one repository address, a Colab install cell, Binder, static panels.

* ``pyproject.toml`` names the repository once (``[project.urls] Repository``); ``_config.yml``'s
  repository (the source and launch buttons) and every chapter's Colab install cell use that address.
* The first code cell of every chapter clones the repository and installs the package in Colab
  (and points ``PRUNING_LAB_RESULTS`` at the committed results), and does nothing elsewhere
  (it is run here without ``google.colab``: it must not call git or pip).
* ``binder/`` installs the pinned packages with the CPU build of PyTorch, then the package.
* Every interactive panel's output is removed from the static page (``remove-output``) and the
  chapter shows the same panel's static figure before it.
"""

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))
URL = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]


def _code_cells(path):
    return [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]


def test_the_repository_is_named_once_and_used_by_the_book_config():
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["repository"]["url"] == URL
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", URL)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_the_first_code_cell_installs_the_package_in_colab_only(path, monkeypatch):
    first = "".join(_code_cells(path)[0]["source"])
    assert "google.colab" in first and f'url = "{URL}"' in first and "PRUNING_LAB_RESULTS" in first
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a))
    exec(compile(first, f"{path.stem}:colab", "exec"), {"__name__": "__main__"})
    assert calls == []  # not in Colab: nothing is installed


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_panel_shows_its_static_figure_on_the_page(path):
    sources = ["".join(c["source"]) for c in _code_cells(path)]
    panels = [(i, m.group(1)) for i, src in enumerate(sources) for m in re.finditer(r"\b(\w+)_panel\(", src)]
    assert panels, "every chapter has an interactive panel"
    cells = _code_cells(path)
    for i, name in panels:
        assert "remove-output" in cells[i]["metadata"].get("tags", []), f"{name}_panel's output is not removed"
        assert any(f"{name}_figure(" in src for src in sources[:i]), f"no static {name}_figure before {name}_panel"


def test_binder_installs_a_cpu_torch_and_the_package():
    requirements = (ROOT / "binder" / "requirements.txt").read_text()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in requirements
    assert re.search(r"^torch==[\d.]+\+cpu$", requirements, re.M)
    assert "-r ../requirements.txt" in requirements
    assert "pip install --no-deps -e ." in (ROOT / "binder" / "postBuild").read_text()
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"


def test_set_repository_rewrites_every_copy(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("set_repository", ROOT / "book" / "_ext" / "set_repository.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    copy = tmp_path / "repo"
    (copy / "book").mkdir(parents=True)
    for name in ("pyproject.toml", "_config.yml", "README.md"):
        (copy / name).write_text((ROOT / name).read_text())
    (copy / "book" / CHAPTERS[0].name).write_text(CHAPTERS[0].read_text())
    monkeypatch.setattr(module, "ROOT", copy)
    assert module.main(["https://github.com/someone/else"]) == 0
    assert module.current_url() == "https://github.com/someone/else"
    for path in (copy / "_config.yml", copy / "book" / CHAPTERS[0].name):
        assert URL not in path.read_text() and "https://github.com/someone/else" in path.read_text()
    assert module.main(["not a url"]) == 2


#: Chapters whose code is held to the page width (the others join as they are revised).
FITS_THE_PAGE = (
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


@pytest.mark.parametrize("name", FITS_THE_PAGE)
def test_chapter_code_lines_fit_the_page(name):
    """At most 88 characters: the width of a code block on the HTML page, no horizontal scrolling."""
    lines = [line for c in _code_cells(ROOT / "book" / f"{name}.ipynb") for line in "".join(c["source"]).splitlines()]
    assert [line for line in lines if len(line) > 88] == []

"""Tests of the package's shape: layers, the torch-free promise, and extras that match the imports.

* Layers, bottom to top: ``validation`` → the shared substrate (``problems``, ``lsq``, ``prune``, then
  ``pipeline``) and the support modules ``runs`` (with its executors ``backends``) and ``data`` → the
  theory topics and ``nn`` → ``plotting`` → ``widgets`` → ``cli``.  No module imports a module of a
  higher layer, no theory module imports ``nn``, and the import graph has no cycle.
* Importing every module outside ``pruning_lab.nn`` and the command line (in a fresh interpreter)
  imports neither torch nor the optional packages (mlxtend, ipywidgets, joblib, dask, distributed).
* Every third-party package a module imports is a base dependency or belongs to an extra declared
  for that module in ``pyproject.toml``; the extras ``nn``, ``data`` and ``widgets`` bring everything
  that the code behind them imports, transitively.

The import graph is read from the source with :mod:`ast` (imports inside functions included), so
these tests also run where torch is not installed.
"""

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pruning_lab"

#: Layer of each top-level part of the package (a module may import its own layer or lower ones).
LAYERS = {
    "validation": 0,
    "runs": 1,
    "_atomic": 1,
    "backends": 1,  # executors of run_sweep (serial, joblib, Dask) and their claims; runs imports them
    "data": 1,
    "problems": 1,
    "lsq": 1,
    "prune": 1,
    "layerwise": 1,
    "pipeline": 2,
    "dc": 3,
    "random_features": 3,
    "sensing": 3,
    "lottery": 3,
    "sparse": 3,
    "selection": 3,
    "lowrank": 3,
    "nn": 3,
    "plotting": 4,
    "widgets": 5,
    "cli": 6,
    "cli_errors": 6,
    "__main__": 6,
    "": 6,
}
#: Parts that must work without torch, and never import pruning_lab.nn.
TORCH_FREE = {name for name, layer in LAYERS.items() if layer <= 3 and name != "nn"} | {"plotting", "widgets"}
#: Extras each part of the package needs beyond the base dependencies (longest prefix wins).
EXTRAS_OF = {
    "pruning_lab.nn": {"nn"},
    "pruning_lab.cli": {"nn"},
    "pruning_lab.__main__": {"nn"},
    "pruning_lab.runs": {"nn"},  # run_sweep's worker processes (joblib), used by the network sweeps
    "pruning_lab.backends": {"nn"},  # the joblib backend
    "pruning_lab.backends.cluster": {"dask"},  # the Dask backend, imported only when asked for
    "pruning_lab.data": {"data"},
    "pruning_lab.widgets": {"widgets"},
    "pruning_lab.widgets.networks": {"widgets", "nn"},  # the MNIST panel trains networks
    "pruning_lab.widgets.oneshot": {"widgets", "nn", "data"},  # the one-shot panel prunes a trained MLP
}
#: Import names whose distribution is named differently.
DISTRIBUTION = {
    "sklearn": "scikit-learn",
    "PIL": "pillow",
    "IPython": "ipython",
    "matplotlib_inline": "matplotlib-inline",
    "yaml": "pyyaml",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _optional(node, parents) -> bool:
    """Whether an import sits in ``try: ... except ImportError`` (an optional import)."""
    for parent in parents:
        if isinstance(parent, ast.Try) and node in [n for stmt in parent.body for n in ast.walk(stmt)]:
            for handler in parent.handlers:
                names = [handler.type] if not isinstance(handler.type, ast.Tuple) else handler.type.elts
                if any(isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError") for n in names):
                    return True
    return False


def _imports(name: str):
    """``[(target, module_level, optional)]`` of one module: first-party targets are module names."""
    path = MODULES[name]
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []

    def visit(node, parents, top):
        for child in ast.iter_child_nodes(node):
            inside = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                optional = _optional(child, parents)
                if isinstance(child, ast.Import):
                    targets = [a.name for a in child.names]
                else:
                    base = child.module or ""
                    if child.level:
                        up = package.split(".")[: len(package.split(".")) - child.level + 1]
                        base = ".".join(up + ([base] if base else []))
                    targets = []
                    for alias in child.names:
                        sub = f"{base}.{alias.name}" if base else alias.name
                        targets.append(sub if sub in MODULES else base)
                out.extend((t, inside, optional) for t in targets)
            visit(child, parents + [child], inside)

    visit(tree, [tree], True)
    return out


GRAPH = {name: _imports(name) for name in MODULES}


def _part(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def _first_party(name):
    return [t for t, _, _ in GRAPH[name] if t == "pruning_lab" or t.startswith("pruning_lab.")]


def test_the_graph_covers_the_package():
    assert {"pruning_lab.dc.theory", "pruning_lab.nn.train", "pruning_lab.widgets.panel", "pruning_lab.runs"} <= set(
        MODULES
    )
    assert "pruning_lab.dc.theory" in _first_party("pruning_lab.dc.double_descent")  # from . import theory
    assert "pruning_lab.dc" in _first_party("pruning_lab.random_features.curves")  # from .. import dc
    assert set(LAYERS) >= {_part(m) for m in MODULES}, "a new top-level module needs a layer in this test"


def test_no_module_imports_a_higher_layer():
    upward = [
        (m, t) for m in MODULES for t in _first_party(m) if t != "pruning_lab" and LAYERS[_part(t)] > LAYERS[_part(m)]
    ]
    assert upward == []


def test_theory_never_imports_nn():
    offending = [
        (m, t)
        for m in MODULES
        if _part(m) in TORCH_FREE and _part(m) != "widgets"
        for t in _first_party(m)
        if _part(t) == "nn"
    ]
    assert offending == []


def test_the_import_graph_has_no_cycle():
    edges = {m: {t for t in _first_party(m) if t in MODULES and t != m} for m in MODULES}
    state, cycles = {}, []

    def dfs(node, stack):
        state[node] = "open"
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                dfs(nxt, stack + [nxt])
        state[node] = "done"

    for m in sorted(MODULES):
        if m not in state:
            dfs(m, [m])
    assert cycles == []


def test_theory_modules_import_without_torch_or_optional_packages():
    names = [m for m in MODULES if _part(m) in TORCH_FREE]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "heavy = sorted(m for m in ('torch', 'mlxtend', 'ipywidgets', 'joblib', 'dask', 'distributed')"
        " if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"importing the theory modules imported {done.stdout.strip()}"
    assert len(names) > 40


# ------------------------------------------------------------------------ extras in pyproject.toml
def _project():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _dist(requirement: str) -> str:
    for sep in "<>=!~[; ":
        requirement = requirement.split(sep)[0]
    return requirement.strip().lower()


def _third_party(name, *, module_level_only=False):
    out = set()
    for target, top, optional in GRAPH[name]:
        root = target.split(".")[0]
        if optional or root == "pruning_lab" or root in sys.stdlib_module_names or (module_level_only and not top):
            continue
        out.add(DISTRIBUTION.get(root, root).lower())
    return out


def _extras_of(name):
    prefixes = [p for p in EXTRAS_OF if name == p or name.startswith(p + ".")]
    return EXTRAS_OF[max(prefixes, key=len)] if prefixes else set()


def _allowed(extras):
    project = _project()
    allowed = {_dist(r) for r in project["dependencies"]}
    for extra in extras:
        allowed |= {_dist(r) for r in project["optional-dependencies"][extra]}
    return allowed


def test_theory_modules_need_only_the_base_dependencies_to_import():
    base = _allowed(set())
    closure = {}

    def module_level(name):
        if name not in closure:
            closure[name] = set()
            deps = _third_party(name, module_level_only=True)
            for target, top, _ in GRAPH[name]:
                if top and target in MODULES:
                    deps |= module_level(target)
            closure[name] = deps
        return closure[name]

    missing = {m: sorted(module_level(m) - base) for m in MODULES if _part(m) in TORCH_FREE}
    assert {m: d for m, d in missing.items() if d} == {}


def test_every_import_is_a_base_dependency_or_in_the_modules_extras():
    missing = {m: sorted(_third_party(m) - _allowed(_extras_of(m))) for m in MODULES}
    assert {m: d for m, d in missing.items() if d} == {}


@pytest.mark.parametrize(
    "start",
    [
        "pruning_lab.nn",
        "pruning_lab.cli",
        "pruning_lab.data",
        "pruning_lab.widgets.networks",
        "pruning_lab.widgets.linear",
        "pruning_lab.backends.cluster",
    ],
)
def test_an_extra_brings_everything_the_code_behind_it_imports(start):
    """Follow every first-party import (lazy ones too) from ``start``: all third-party needs are declared."""
    seen, todo, needed = set(), [m for m in MODULES if m == start or m.startswith(start + ".")], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        needed |= _third_party(name)
        todo.extend(
            t
            for t in _first_party(name)
            if t in MODULES
            and not (
                (t == "pruning_lab.runs" or t.startswith("pruning_lab.backends")) and "nn" not in _extras_of(start)
            )
            and not (t == "pruning_lab.backends.cluster" and "dask" not in _extras_of(start))
        )
    assert sorted(needed - _allowed(_extras_of(start))) == []


def test_the_extras_are_declared():
    extras = _project()["optional-dependencies"]
    assert {"nn", "data", "widgets"} <= set(extras)
    assert {"torch", "joblib", "mlxtend"} <= {_dist(r) for r in extras["nn"]}
    assert {_dist(r) for r in extras["data"]} == {"mlxtend"}
    assert {"dask", "distributed"} <= {_dist(r) for r in extras["dask"]}

"""The docstring rule of CONTRIBUTING.md, checked on the source.

* Every public name (listed in a module's ``__all__``) has a docstring.
* A public function with :data:`MANY` or more parameters documents each of them in a numpydoc
  ``Parameters`` section (``name : type`` lines; ``a, b : type`` documents two at once).  Shorter
  signatures may describe their arguments in prose, next to the math they enter.

Read with :mod:`ast`, so the check needs none of the optional dependencies.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: From this many parameters on (``self`` not counted), a Parameters section is required.
MANY = 6
SECTION = re.compile(r"^(\w[\w ]*)\n-{3,}$", re.M)


def _public_definitions():
    for path in sorted((ROOT / "pruning_lab").rglob("*.py")):
        tree = ast.parse(path.read_text())
        exported = set()
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
                exported = set(ast.literal_eval(node.value))
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in exported:
                yield f"{path.relative_to(ROOT)}::{node.name}", node


DEFINITIONS = dict(_public_definitions())


def _parameters(node: ast.FunctionDef) -> list:
    args = node.args
    names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    names += [f"*{args.vararg.arg}"] if args.vararg else []
    names += [f"**{args.kwarg.arg}"] if args.kwarg else []
    return [n for n in names if n not in ("self", "cls")]


def documented_parameters(doc: str) -> set:
    """Names documented in the numpydoc ``Parameters`` section of ``doc`` (empty if there is none)."""
    headers = list(SECTION.finditer(doc))
    for i, header in enumerate(headers):
        if header.group(1) == "Parameters":
            end = headers[i + 1].start() if i + 1 < len(headers) else len(doc)
            body = doc[header.end() : end]
            names = set()
            for line in body.splitlines():
                if line and not line[0].isspace():
                    for name in line.split(" : ")[0].split(","):
                        names.add(name.strip().lstrip("\\"))
            return names
    return set()


def test_the_rule_sees_the_package():
    assert len(DEFINITIONS) > 300
    doc = "Sum.\n\nParameters\n----------\nx, y : float\n    Terms.\n*rest : float\n\nReturns\n-------\nfloat\n"
    assert documented_parameters(doc) == {"x", "y", "*rest"}


@pytest.mark.parametrize("where", sorted(DEFINITIONS))
def test_every_public_name_has_a_docstring(where):
    assert ast.get_docstring(DEFINITIONS[where]), f"{where} has no docstring"


MANY_PARAMETERS = sorted(
    w for w, node in DEFINITIONS.items() if isinstance(node, ast.FunctionDef) and len(_parameters(node)) >= MANY
)


@pytest.mark.parametrize("where", MANY_PARAMETERS)
def test_functions_with_many_parameters_document_each_of_them(where):
    node = DEFINITIONS[where]
    missing = [p for p in _parameters(node) if p not in documented_parameters(ast.get_docstring(node) or "")]
    assert missing == [], f"{where}: the Parameters section does not document {missing}"

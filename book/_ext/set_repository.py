"""Point the book at its published repository: ``make set-repository URL=https://github.com/owner/name``.

The repository's address is defined once, as ``Repository`` in ``[project.urls]`` of
``pyproject.toml``.  This script replaces the current address by ``URL`` there and everywhere it is
copied: ``_config.yml`` (the repository button and the Binder/Colab launch buttons), the README,
the pages of the book and every chapter's Colab install cell.  ``tests/test_launch.py`` checks that
the copies agree.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def current_url() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]


def files():
    yield ROOT / "pyproject.toml"
    yield ROOT / "_config.yml"
    yield ROOT / "README.md"
    yield from sorted((ROOT / "book").glob("*.md"))
    yield from sorted((ROOT / "book").glob("*.ipynb"))


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", args[0]):
        print("usage: set_repository.py https://github.com/<owner>/<name>", file=sys.stderr)
        return 2
    old, new = current_url(), args[0]
    changed = 0
    for path in files():
        text = path.read_text()
        if old in text:
            path.write_text(text.replace(old, new))
            changed += 1
    print(f"repository {old} -> {new} in {changed} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())

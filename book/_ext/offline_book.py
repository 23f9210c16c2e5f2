"""Sphinx extension of the book: pages that work offline, with the version they were built from.

* sphinx-thebe's inline configuration script was registered twice (with two priorities), so every
  page declared ``const THEBE_JS_URL`` twice (a JavaScript error in the console); scripts with the
  same file (None and "" alike) and attributes are kept once.
* MathJax is served from the build's own static files (vendored from the npm registry by
  ``make vendor`` into ``_vendor/static``; ``mathjax_path`` in ``_config.yml``); the build stops with
  a message if they are missing, instead of writing pages that show raw TeX offline.
* The footer gets a version line: the package version and the commit the book was built from.
* On the API page, every function and class that a chapter calls (or imports) gets a line "Used in
  <chapter>", read from the chapters' code cells, so the reference links back to the text.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from sphinx.errors import ConfigError


def _check_vendored(app):
    path = app.config.mathjax_path
    if "://" in path:
        return
    roots = [Path(app.confdir) / p for p in app.config.html_static_path]
    if not any((root / path).is_file() for root in roots):
        raise ConfigError(
            f"MathJax is not vendored ({path} is in none of {app.config.html_static_path}); "
            "run `make vendor` (it fetches MathJax from the npm registry)"
        )


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    seen, kept = set(), []
    for script in context.get("script_files", []):
        attributes = getattr(script, "attributes", {})
        key = (str(getattr(script, "filename", script) or ""), tuple(sorted(attributes.items())))  # None == ""
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept


def _version_line(app):
    try:
        from pruning_lab import __version__
    except ImportError:  # pragma: no cover - the book is built with the package installed
        __version__ = "unknown"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=app.confdir, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"pruning_lab {__version__}" + (f", commit {commit}" if commit else "")


def _remember_version(app):
    extra = app.config.html_theme_options.setdefault("extra_footer", "")
    line = f"<p>Built from {_version_line(app)}.</p>"
    if line not in extra:
        app.config.html_theme_options["extra_footer"] = extra + line


def _chapter_code(app):
    """``{chapter: its code cells as one string}`` for the chapters of the book."""
    code = {}
    for path in sorted((Path(app.srcdir) / "book").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        code[path.stem] = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    app.pruning_lab_chapter_code = code


def _used_in(app, what, name, obj, options, lines):
    if what not in ("function", "class"):
        return
    short = re.escape(name.rsplit(".", 1)[-1])
    called = re.compile(rf"(\b{short}\s*\()|(^\s*from\s+\S+\s+import\s[^\n]*\b{short}\b)", re.M)
    chapters = [c for c, code in getattr(app, "pruning_lab_chapter_code", {}).items() if called.search(code)]
    if chapters:
        lines.extend(["", "Used in " + ", ".join(f":doc:`/book/{c}`" for c in chapters) + "."])


def setup(app):
    app.setup_extension("sphinx.ext.autodoc")  # for its autodoc-process-docstring event
    app.connect("builder-inited", _chapter_code)
    app.connect("autodoc-process-docstring", _used_in)
    app.connect("builder-inited", _check_vendored)
    app.connect("builder-inited", _remember_version)
    app.connect("html-page-context", _dedupe_scripts, priority=900)  # after the handlers that add scripts
    return {"parallel_read_safe": True, "parallel_write_safe": True}

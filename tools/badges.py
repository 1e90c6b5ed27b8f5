#!/usr/bin/env python3
"""Write every notebook's "Open in Colab" badge and install cell from ``_config.yml``.

The repository URL and branch in ``_config.yml`` are the single place a fork
changes. For each notebook in ``notebooks/`` and ``exercises/`` this script
makes the first line of the first Markdown cell the badge pointing at that
notebook on Colab, writes the setup cell (``SETUP``: install from the
repository when ``cnncourse`` is not importable, and say what to do when that
fails), and, for the chapters in ``notebooks/``, asks Colab for a GPU runtime
(``accelerator`` metadata; the problem sets train nothing and keep the CPU).
``--check`` changes nothing and exits 1 if a notebook disagrees.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("notebooks", "exercises")
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
BADGE_RE = re.compile(r"^\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)$")
INSTALL_RE = re.compile(r'^(\s*)%pip install --quiet "cnncourse @ git\+[^"]*"$')
GPU_FOLDERS = ("notebooks",)
# Colab reads these two keys when it opens a notebook from GitHub: a T4 GPU runtime, free tier.
COLAB_GPU = {"accelerator": "GPU", "colab": {"gpuType": "T4", "provenance": []}}
SETUP = """\
# Setup: on Colab this installs the course package from its repository; locally it is already installed.
try:
    import cnncourse
except ImportError:
    %pip install --quiet "cnncourse @ git+{url}@{branch}"
    try:
        import cnncourse
    except ImportError:
        raise ModuleNotFoundError(
            "Installing the course package failed (pip's message is above). Check that this runtime is "
            "online (Colab: Runtime > Disconnect and delete runtime, then run this cell again) and that "
            "the repository in the %pip line exists and is public: its address comes from "
            "repository.url and repository.branch in the course's _config.yml."
        ) from None"""


def repository(config_path: Path = ROOT / "_config.yml") -> tuple[str, str]:
    """``(url, branch)`` of the course repository, e.g. ``("https://github.com/org/repo", "main")``."""
    repo = yaml.safe_load(config_path.read_text())["repository"]
    return repo["url"].rstrip("/"), repo.get("branch", "main")


def colab_url(url: str, branch: str, notebook: str) -> str:
    """Colab address of ``notebook`` (a path relative to the repository root)."""
    org_repo = url.removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{org_repo}/blob/{branch}/{notebook}"


def badge(url: str, branch: str, notebook: str) -> str:
    return f"[![Open In Colab]({BADGE_IMAGE})]({colab_url(url, branch, notebook)})"


def install_line(url: str, branch: str, indent: str = "    ") -> str:
    return f'{indent}%pip install --quiet "cnncourse @ git+{url}@{branch}"'


def setup_source(url: str, branch: str, rest: list[str]) -> str:
    """The setup cell: ``SETUP`` for this repository, then the notebook's own lines ``rest``."""
    return "\n".join([SETUP.format(url=url, branch=branch), *rest])


def _own_lines(lines: list[str]) -> list[str]:
    """The setup cell's lines after its install block (e.g. ``from cnncourse import checks``)."""
    end = 0
    for i, line in enumerate(lines):
        if i == 0 and line.startswith("#") or line.startswith(("try:", "except", " ", ")")) or not line.strip():
            end = i + 1
        else:
            break
    return lines[end:]


def _lines(cell: nbformat.NotebookNode) -> list[str]:
    return cell["source"].split("\n")


def problems(path: Path, url: str, branch: str, fix: bool = False) -> list[str]:
    """What is wrong with ``path``'s badge and install line; with ``fix`` the file is rewritten."""
    nb = nbformat.read(path, as_version=4)
    rel = path.relative_to(ROOT).as_posix()
    found: list[str] = []
    md = next((c for c in nb["cells"] if c["cell_type"] == "markdown"), None)
    want = badge(url, branch, rel)
    if md is None:
        found.append(f"{rel}: no Markdown cell for the badge")
    else:
        lines = _lines(md)
        if lines[0] != want:
            found.append(f"{rel}: first line is not the Colab badge {want}")
            if BADGE_RE.match(lines[0]):
                lines[0] = want
            else:
                lines.insert(0, want)
            md["source"] = "\n".join(lines)
    setup = [c for c in nb["cells"] if c["cell_type"] == "code" and any(INSTALL_RE.match(l) for l in _lines(c))]
    if not setup:
        found.append(f"{rel}: no setup cell with a '%pip install --quiet \"cnncourse @ git+...\"' line")
    for cell in setup:
        lines = _lines(cell)
        want_setup = setup_source(url, branch, _own_lines(lines))
        if cell["source"] != want_setup:
            line = next(l for l in lines if INSTALL_RE.match(l))
            if line != install_line(url, branch, INSTALL_RE.match(line).group(1)):
                found.append(f"{rel}: install line points elsewhere: {line.strip()}")
            else:
                found.append(f"{rel}: the setup cell differs from tools/badges.py's SETUP")
            cell["source"] = want_setup
    if path.parent.name in GPU_FOLDERS:
        colab = nb["metadata"].get("colab", {})
        if nb["metadata"].get("accelerator") != "GPU" or colab.get("gpuType") != COLAB_GPU["colab"]["gpuType"]:
            found.append(f"{rel}: no Colab GPU runtime in the notebook metadata")
            nb["metadata"]["accelerator"] = COLAB_GPU["accelerator"]
            nb["metadata"]["colab"] = {**COLAB_GPU["colab"], **colab, "gpuType": COLAB_GPU["colab"]["gpuType"]}
    if fix and found:
        nbformat.write(nb, path)
    return found


def notebooks() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in (ROOT / folder).glob("*.ipynb"))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report disagreements, change nothing")
    args = parser.parse_args(argv)
    url, branch = repository()
    bad = [msg for path in notebooks() for msg in problems(path, url, branch, fix=not args.check)]
    for msg in bad:
        print(("disagrees: " if args.check else "fixed: ") + msg)
    return 1 if (bad and args.check) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

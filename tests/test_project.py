"""The project's own consistency: set-up files agree, CI calls the README's command, badges match the config."""
from __future__ import annotations

import importlib.util
import re
import shutil
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def load_badges():
    spec = importlib.util.spec_from_file_location("badges", ROOT / "tools" / "badges.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["badges"] = module
    spec.loader.exec_module(module)
    return module


def test_environment_yml_installs_the_package_with_its_extras() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    (line,) = pip_section
    match = re.fullmatch(r'-e "?\.\[([a-z,]+)\]"?', line)
    assert match, f"environment.yml should install the repository itself: {line}"
    extras = set(match.group(1).split(","))
    assert extras == set(PYPROJECT["project"]["optional-dependencies"])
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert python.removeprefix("python") == PYPROJECT["project"]["requires-python"]
    assert "pip" in env["dependencies"]


def test_pyproject_uses_ranges_and_ci_pins_satisfy_them() -> None:
    declared = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]
    declared += [Requirement(r) for rs in PYPROJECT["project"]["optional-dependencies"].values() for r in rs]
    assert not any(str(s).startswith("==") for r in declared for s in r.specifier), "no exact pins in pyproject"
    pins = {}
    for line in (ROOT / "requirements" / "ci.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==", line
            pins[req.name.lower()] = Version(spec.version)
    assert pins["torch"] == Version("2.14.1") and pins["torchvision"] == Version("0.29.1")
    for req in declared:
        if req.name.lower() in pins:
            assert pins[req.name.lower()] in req.specifier, f"{req.name} pin {pins[req.name.lower()]} outside {req}"


def test_ci_calls_make_test_and_builds_the_book() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "set -euo pipefail" in ci
    assert re.search(r"^make test$", ci, re.M) and re.search(r"^make site-check$", ci, re.M)
    assert ci.index("\nmake test\n") < ci.index("\nmake site-check\n")
    assert "CNNCOURSE_DATA" in ci and "../shared/data" in ci
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test: unit nbval$", makefile, re.M)
    assert re.search(r"^\t\$\(PY\) -m pytest (-n \d+ )?tests/$", makefile, re.M)
    assert "-m pytest $(NBVAL_FLAGS) notebooks/" in makefile
    assert re.search(r"^NBVAL_FLAGS := --nbval ", makefile, re.M) and "--nbval-lax" not in makefile
    assert "jupyter-book build . -W" in makefile
    assert re.search(r"^site-check: .*\n\t\$\(PY\) tools/site_check.py$", makefile, re.M)
    site_check = (ROOT / "tools" / "site_check.py").read_text()
    assert '"build", ".", "-W"' in site_check


def test_readme_shows_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make book" in readme and "make test" in readme


def test_toc_lists_every_chapter_and_exercise_and_only_existing_files() -> None:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    for f in files + [toc["root"]]:
        assert any((ROOT / f"{f}{ext}").exists() for ext in ("", ".md", ".ipynb")), f
    for folder in ("notebooks", "exercises"):
        for nb in (ROOT / folder).glob("*.ipynb"):
            assert f"{folder}/{nb.stem}" in files, f"{nb} is missing from _toc.yml"


def test_config_has_the_colab_launch_settings() -> None:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["repository"]["url"].startswith("https://github.com/")
    assert config["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert config["execute"]["execute_notebooks"] == "off"


def test_every_notebook_badge_and_install_line_agree_with_config() -> None:
    badges = load_badges()
    url, branch = badges.repository()
    paths = badges.notebooks()
    assert paths, "no notebooks found"
    problems = [p for path in paths for p in badges.problems(path, url, branch)]
    assert problems == []
    first = nbformat.read(paths[0], as_version=4)
    rel = paths[0].relative_to(ROOT).as_posix()
    assert f"https://colab.research.google.com/github/cnn-course/cnn-architectures/blob/main/{rel}" in \
        first.cells[0].source.splitlines()[0]


def test_badge_tool_detects_and_fixes_a_wrong_badge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    badges = load_badges()
    fake_root = tmp_path / "repo"
    src = badges.notebooks()[0]
    (fake_root / src.parent.name).mkdir(parents=True)
    copy = fake_root / src.parent.name / src.name
    shutil.copy(src, copy)
    monkeypatch.setattr(badges, "ROOT", fake_root)
    assert badges.problems(copy, "https://github.com/cnn-course/cnn-architectures", "main") == []
    found = badges.problems(copy, "https://github.com/my-school/cnn-fork", "spring", fix=True)
    assert len(found) == 2  # the badge and the install line
    nb = nbformat.read(copy, as_version=4)
    assert nb.cells[0].source.splitlines()[0].endswith(
        f"(https://colab.research.google.com/github/my-school/cnn-fork/blob/spring/{src.parent.name}/{src.name})")
    sources = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert '%pip install --quiet "cnncourse @ git+https://github.com/my-school/cnn-fork@spring"' in sources
    assert badges.problems(copy, "https://github.com/my-school/cnn-fork", "spring") == []


def test_readme_lists_every_chapter_and_its_exercises() -> None:
    readme = (ROOT / "README.md").read_text()
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"](notebooks/{nb.name})" in readme, f"README's chapter table lacks {nb.name}"
        if (ROOT / "exercises" / nb.name).exists():
            assert f"](exercises/{nb.name})" in readme, f"README's chapter table lacks exercises/{nb.name}"

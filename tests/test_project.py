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


def test_readme_local_install_provides_the_command_it_names() -> None:
    """README's pip line names extras that exist and bring `jupyter lab`; make's venv has it installed."""
    readme = (ROOT / "README.md").read_text()
    match = re.search(r'pip install -e "\.\[([a-z,]+)\]"`, then\s+`(?:\.venv/bin/)?jupyter lab`', readme)
    assert match, "README should say which extras to install before `jupyter lab`"
    extras = PYPROJECT["project"]["optional-dependencies"]
    named = match.group(1).split(",")
    assert set(named) <= set(extras), f"README names extras {named}; pyproject has {sorted(extras)}"
    brought = {Requirement(r).name.lower() for e in named for r in extras[e]}
    assert "jupyterlab" in brought, f"the extras {named} do not install JupyterLab"
    makefile = (ROOT / "Makefile").read_text()
    installed = re.search(r'-e "\.\[([a-z,]+)\]"\n\ttouch \$\(STAMP\)', makefile).group(1).split(",")
    assert set(named) <= set(installed), "make's venv should hold what README tells pip users to install"
    if Path(sys.prefix).resolve() == (ROOT / ".venv").resolve():  # the venv make built
        assert (Path(sys.prefix) / "bin" / "jupyter-lab").is_file(), "run `make venv`: jupyter lab is missing"


def test_chapters_ask_colab_for_a_gpu_and_badges_restores_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    badges = load_badges()
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        meta = nbformat.read(path, as_version=4).metadata
        assert meta.get("accelerator") == "GPU" and meta["colab"]["gpuType"] == "T4", f"{path.name}: run make badges"
    fake_root = tmp_path / "repo"
    (fake_root / "notebooks").mkdir(parents=True)
    copy = fake_root / "notebooks" / "05_resnet.ipynb"
    nb = nbformat.read(ROOT / "notebooks" / "05_resnet.ipynb", as_version=4)
    del nb.metadata["accelerator"], nb.metadata["colab"]
    nbformat.write(nb, copy)
    monkeypatch.setattr(badges, "ROOT", fake_root)
    url, branch = badges.repository()
    assert badges.problems(copy, url, branch, fix=True) == ["notebooks/05_resnet.ipynb: no Colab GPU runtime in the notebook metadata"]
    assert nbformat.read(copy, as_version=4).metadata["accelerator"] == "GPU"
    assert badges.problems(copy, url, branch) == []


def test_setup_cell_explains_a_failed_install(tmp_path: Path) -> None:
    """The setup cell run where cnncourse is missing and the repository unreachable: a short, useful error."""
    badges = load_badges()
    source = badges.setup_source("https://github.com/nobody/missing", "main", [])
    from IPython.core.inputtransformer2 import TransformerManager  # how IPython turns %pip into Python

    code = TransformerManager().transform_cell(source.replace("import cnncourse", "import cnncourse_missing"))
    ran = []

    class FakeShell:  # %pip's failure only prints; what matters is the error that follows it
        def run_line_magic(self, name: str, line: str) -> None:
            ran.append((name, line))

    with pytest.raises(ModuleNotFoundError) as err:
        exec(compile(code, "<setup cell>", "exec"), {"get_ipython": FakeShell})
    assert ran == [("pip", 'install --quiet "cnncourse @ git+https://github.com/nobody/missing@main"')]
    assert "online" in str(err.value) and "_config.yml" in str(err.value)
    assert err.value.__cause__ is None and err.value.__suppress_context__


def test_ci_runs_the_chapters_as_online_students_get_them() -> None:
    """CI re-runs strict nbval on a ±1-perturbed torchvision-format copy, and the Colab-like check."""
    ci = (ROOT / ".ci" / "run").read_text()
    for target in ("nbval-torchvision", "colab-check"):
        assert re.search(rf"^make {target}$", ci, re.M), f".ci/run does not run make {target}"
        assert ci.index("\nmake test\n") < ci.index(f"\nmake {target}\n")
    makefile = (ROOT / "Makefile").read_text()
    rule = re.search(r"^nbval-torchvision: venv\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert "tools/cifar_batches.py $(TV_COPY) --perturb 1" in rule
    assert "CNNCOURSE_DATA=$(abspath $(TV_COPY))" in rule and "$(NBVAL_FLAGS) notebooks/" in rule
    assert re.search(r"^colab-check: venv\n\t\$\(PY\) tools/colab_check.py$", makefile, re.M)


def test_torchvision_copy_holds_the_subset_in_the_batches_format(tmp_path: Path) -> None:
    """tools/cifar_batches.py: same images and labels per class as the JPEG folder, pixels within ±1."""
    import torch

    spec = importlib.util.spec_from_file_location("cifar_batches", ROOT / "tools" / "cifar_batches.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from cnncourse.data import CLASSES

    source = tmp_path / "jpegs" / "cifar10-subset"
    g = torch.Generator().manual_seed(0)
    from PIL import Image
    for split, n in (("train", 3), ("test", 2)):
        for k, name in enumerate(CLASSES):
            (source / split / name).mkdir(parents=True)
            for i in range(n):
                pixels = torch.randint(0, 256, (32, 32, 3), generator=g, dtype=torch.uint8).numpy()
                Image.fromarray(pixels).save(source / split / name / f"{i:04d}.png")
    module.write_batches(tmp_path / "jpegs", tmp_path / "out", perturb=1)
    from cnncourse.data import cifar10_subset
    folder = cifar10_subset(3, 2, root=tmp_path / "jpegs", cache=False)
    batches = cifar10_subset(3, 2, root=tmp_path / "out", cache=False)
    assert "torchvision batches" in repr(batches) and "image folder" in repr(folder)
    assert torch.equal(folder.y_train, batches.y_train) and torch.equal(folder.y_test, batches.y_test)
    diff = (folder.x_train.int() - batches.x_train.int()).abs()
    assert diff.max() == 1 and (diff == 1).float().mean() > 0.99  # every pixel moved, except clipped ones


def test_installing_the_course_keeps_colabs_widgets() -> None:
    """Colab pins ipywidgets 7.7.1 (an 8.x upgrade once broke its tqdm bars, googlecolab/colabtools#3023):
    the declared range must accept it, so the install cell upgrades nothing there."""
    declared = {Requirement(r).name.lower(): Requirement(r) for r in PYPROJECT["project"]["dependencies"]}
    assert Version("7.7.1") in declared["ipywidgets"].specifier
    assert Version("7.5.0") not in declared["ipywidgets"].specifier  # tqdm.auto's notebook bars need 7.6+

"""The problem sets in exercises/: stored unsolved, runnable unsolved, and passing with the reference answers.

The notebooks are executed in memory (``nbclient``) and never written back.
The reference answers are measured on real layers in ``_reference_answers.py``.
"""
from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat
import pytest
import yaml
from nbclient import NotebookClient

import _reference_answers as ref
from cnncourse import checks

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"
NOTEBOOKS = sorted(EXERCISES.glob("*.ipynb"))
IDS = [p.name for p in NOTEBOOKS]

ANSWER_RE = re.compile(r"^answer_(\d+)\s*=")
CHECK_RE = re.compile(r"^checks\.(ex\d\d_\w+)\(answer_(\d+)\)$")


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def answer_cells(nb: nbformat.NotebookNode) -> dict[int, nbformat.NotebookNode]:
    """``k`` → the code cell that assigns ``answer_k``."""
    return {int(m.group(1)): c for c in nb.cells if c.cell_type == "code" and (m := ANSWER_RE.match(c.source))}


def check_cells(nb: nbformat.NotebookNode) -> list[tuple[nbformat.NotebookNode, str, int]]:
    """``(cell, check function name, k)`` for every ``checks.exNN_name(answer_k)`` cell."""
    found = []
    for cell in nb.cells:
        if cell.cell_type == "code" and (m := CHECK_RE.match(cell.source.strip())):
            found.append((cell, m.group(1), int(m.group(2))))
    return found


def stdout(cell: nbformat.NotebookNode) -> str:
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


def execute(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Run an in-memory copy top to bottom, as a student would, from the exercises folder."""
    nb = copy.deepcopy(nb)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(EXERCISES)}}).execute()
    return nb


def expected_badge(relative_path: str) -> str:
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    org_repo = repo["url"].rstrip("/").removeprefix("https://github.com/")
    target = f"https://colab.research.google.com/github/{org_repo}/blob/{repo.get('branch', 'main')}/{relative_path}"
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({target})"


def test_the_problem_sets_exist() -> None:
    for name in ("01_building_blocks", "02_alexnet_zfnet", "03_vgg", "04_googlenet", "05_resnet", "06_wide_resnext",
                 "07_densenet", "08_senet", "09_mobilenet", "10_efficientnet", "11_convnext",
                 "12_transfer_learning", "13_at_a_glance"):
        assert EXERCISES / f"{name}.ipynb" in NOTEBOOKS, name
    # Every check in cnncourse.checks belongs to a problem set.
    chapters = {name[2:4] for name in vars(checks) if re.fullmatch(r"ex\d\d_\w+", name)}
    assert chapters == {p.name[:2] for p in NOTEBOOKS}


# ---- stored unsolved ------------------------------------------------------------------------

@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_stored_without_outputs(path: Path) -> None:
    nb = read(path)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: output stored in {cell.source!r}"
    assert nb.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_answer_is_still_none(path: Path) -> None:
    answers = answer_cells(read(path))
    assert len(answers) >= 4, "a problem set has at least four problems"
    assert sorted(answers) == list(range(1, len(answers) + 1))
    for k, cell in answers.items():
        assert re.fullmatch(rf"answer_{k} = None  # your answer", cell.source), f"{path.name}: {cell.source!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_each_answer_has_its_check_and_each_check_is_used(path: Path) -> None:
    nb = read(path)
    chapter = path.name[:2]
    used = check_cells(nb)
    assert sorted(k for _, _, k in used) == sorted(answer_cells(nb)), "one check cell per answer"
    # The check cell comes right after its answer cell.
    order = [c for c in nb.cells if c.cell_type == "code"]
    for cell, _, k in used:
        assert order[order.index(cell) - 1] is answer_cells(nb)[k]
    available = sorted(n for n in vars(checks) if n.startswith(f"ex{chapter}_"))
    assert sorted(name for _, name, _ in used) == available


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_first_markdown_line_is_its_colab_badge(path: Path) -> None:
    nb = read(path)
    first_md = next(c for c in nb.cells if c.cell_type == "markdown")
    assert first_md.source.splitlines()[0] == expected_badge(f"exercises/{path.name}")
    assert f"../notebooks/{path.name}" in first_md.source, "link back to the chapter"


# ---- runs unsolved ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_runs_unsolved(path: Path) -> None:
    before = path.read_bytes()
    nb = execute(read(path))
    assert path.read_bytes() == before, "the notebook file must not be written"
    for cell, name, _ in check_cells(nb):
        assert stdout(cell).startswith("No answer yet"), f"{name}: {stdout(cell)!r}"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not [o for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"], cell.source


# ---- end to end with the reference answers ----------------------------------------------------

@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_pass_with_reference_answers(path: Path) -> None:
    nb = read(path)
    answers = answer_cells(nb)
    checked = check_cells(nb)
    chapter = path.name[:2]
    assert sorted(name for _, name, _ in checked) == sorted(n for n in ref.REFERENCE if n.startswith(f"ex{chapter}_"))
    for _, name, k in checked:
        answers[k].source = f"answer_{k} = {ref.REFERENCE[name]()!r}  # measured on real layers"
    nb = execute(nb)
    for cell, name, _ in check_cells(nb):
        assert stdout(cell).startswith("Correct"), f"{name}: {stdout(cell)!r}"
        results = [o for o in cell.outputs if o.output_type == "execute_result"]
        assert [o.data["text/plain"] for o in results] == ["True"]

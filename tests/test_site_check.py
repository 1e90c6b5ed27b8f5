"""The site check's judgements, on pages described by hand (the browser run itself is `make site-check`)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BASE = "http://127.0.0.1:8000/"
URL, BRANCH = "https://github.com/cnn-course/cnn-architectures", "main"
CHAPTER = "notebooks/05_resnet"


def load_site_check():
    sys.path.insert(0, str(ROOT / "tools"))
    spec = importlib.util.spec_from_file_location("site_check", ROOT / "tools" / "site_check.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["site_check"] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


site_check = load_site_check()


def good_pages() -> dict[str, object]:
    """A two-page site without problems: the intro and chapter 5 with its stored figures."""
    colab = f"https://colab.research.google.com/github/cnn-course/cnn-architectures/blob/main/{CHAPTER}.ipynb"
    figures = site_check.notebook_png_outputs(ROOT / f"{CHAPTER}.ipynb")
    page = site_check.Page
    return {
        "intro.html": page(200, "CNN Architectures — CNN Architectures", "CNN Architectures", {"how-to-read-it"},
                           [BASE + f"{CHAPTER}.html#the-idea", "https://example.org/"],
                           [(BASE + "_static/logo.svg", True)], 0, [], []),
        f"{CHAPTER}.html": page(200, "ResNet — CNN Architectures", "ResNet", {"the-idea"},
                                [BASE + "intro.html", BASE + "intro.html#how-to-read-it"],
                                [(BASE + "_images/a.png", True)] * figures, figures, [colab], [colab]),
    }


def problems(pages: dict[str, object]) -> list[str]:
    return site_check.check(pages, BASE, "CNN Architectures", URL, BRANCH)


def test_a_good_site_has_no_problems() -> None:
    assert site_check.notebook_png_outputs(ROOT / f"{CHAPTER}.ipynb") > 0
    assert problems(good_pages()) == []


@pytest.mark.parametrize("change, expected", [
    (lambda p: setattr(p[f"{CHAPTER}.html"], "status", 404), "HTTP 404"),
    (lambda p: setattr(p[f"{CHAPTER}.html"], "title", "ResNet"), "title 'ResNet'"),
    (lambda p: p["intro.html"].links.append(BASE + f"{CHAPTER}.html#no-such-section"), "missing anchor"),
    (lambda p: p["intro.html"].images.append((BASE + "_images/gone.png", False)), "image did not load"),
    (lambda p: p["intro.html"].failed.append(BASE + "_static/x.css (HTTP 404)"), "request failed"),
    (lambda p: setattr(p[f"{CHAPTER}.html"], "output_images", 0), "output figures"),
    (lambda p: setattr(p[f"{CHAPTER}.html"], "colab_launch", []), "Colab launch button"),
    (lambda p: setattr(p[f"{CHAPTER}.html"], "colab_badge",
                       [p[f"{CHAPTER}.html"].colab_badge[0].replace("05_resnet", "04_googlenet")]), "Colab badge"),
], ids=["status", "title", "anchor", "image", "request", "figures", "launch", "badge"])
def test_each_kind_of_problem_is_reported(change, expected: str) -> None:
    pages = good_pages()
    change(pages)
    found = problems(pages)
    assert len(found) == 1 and expected in found[0], found


def test_colab_urls_come_from_the_config() -> None:
    badges = site_check.badges
    assert badges.colab_url(*badges.repository(), "notebooks/05_resnet.ipynb") == (
        "https://colab.research.google.com/github/cnn-course/cnn-architectures/blob/main/notebooks/05_resnet.ipynb")

"""The bibliography: references.bib, the chapters' References lists that cite it, and the page that prints it."""
from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import nbformat
import pybtex.errors
import pytest
from pybtex.database import BibliographyData, Entry, parse_file

ROOT = Path(__file__).resolve().parent.parent
BIB = ROOT / "references.bib"
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

CITE = re.compile(r"\{cite:p\}`([^`]*)`")
CITE_AT_END = re.compile(r"\S \{cite:p\}`([^`\s]+)`$")
LINK = re.compile(r"\]\((https?://[^)\s]+)\)")
DOI_PREFIX = "https://doi.org/"
ARXIV = re.compile(r"^https?://arxiv\.org/abs/(\d{4}\.\d{4,5})$")


@cache
def bibliography() -> BibliographyData:
    """references.bib parsed in pybtex's strict mode, so that any warning fails the test."""
    previous = pybtex.errors.strict
    pybtex.errors.set_strict_mode(True)
    try:
        return parse_file(str(BIB), bib_format="bibtex")
    finally:
        pybtex.errors.set_strict_mode(previous)


def reference_bullets(source: str) -> list[str]:
    """The bullets of the `## References` list in a Markdown cell, each joined into one line."""
    lines = source.split("\n")
    start = lines.index("## References") + 1
    bullets: list[list[str]] = []
    in_bullet = False
    for line in lines[start:]:
        if line.startswith("#"):
            break
        if line.startswith("- "):
            bullets.append([line])
            in_bullet = True
        elif in_bullet and line.startswith((" ", "\t")) and line.strip():
            bullets[-1].append(line.strip())
        else:
            in_bullet = False
    return [" ".join(parts) for parts in bullets]


@cache
def chapter_bullets(path: Path) -> tuple[str, ...]:
    """The References bullets of one chapter notebook; it must have exactly one such section."""
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "markdown" and "## References" in c.source.split("\n")]
    assert len(cells) == 1, f"{path.name}: expected one Markdown cell with '## References', found {len(cells)}"
    return tuple(reference_bullets(cells[0].source))


def all_bullets() -> Iterator[tuple[str, str]]:
    """(chapter file name, bullet) for every References bullet of every chapter."""
    for path in CHAPTERS:
        for bullet in chapter_bullets(path):
            yield path.name, bullet


def cited_key(bullet: str) -> str:
    """The key of the single citation a bullet ends with."""
    match = CITE_AT_END.search(bullet)
    assert match, f"bullet does not end with ' {{cite:p}}`key`': {bullet}"
    return match.group(1)


def test_bib_parses_with_unique_keys_and_author_title_year() -> None:
    """pybtex reads the file without warnings; keys are unique; each entry has author, title and year."""
    db = bibliography()
    text = BIB.read_text(encoding="utf-8")
    declared = [
        key.lower()
        for kind, key in re.findall(r"^@(\w+)\s*\{\s*([^,\s]+)\s*,", text, re.M)
        if kind.lower() not in {"comment", "preamble", "string"}
    ]
    assert declared, "references.bib has no entries"
    assert len(declared) == len(set(declared)), "duplicate keys in references.bib"
    assert len(db.entries) == len(declared)
    for key, entry in db.entries.items():
        assert entry.persons.get("author"), f"{key}: no author"
        for field in ("title", "year"):
            assert entry.fields.get(field, "").strip(), f"{key}: no {field}"


def test_chapters_exist() -> None:
    """The glob finds the chapter notebooks, so the parametrised tests below are not vacuous."""
    assert len(CHAPTERS) >= 13


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_reference_bullet_ends_with_one_known_citation(path: Path) -> None:
    """Each bullet of the chapter's References list ends with exactly one `{cite:p}` of a key in references.bib."""
    bullets = chapter_bullets(path)
    assert bullets, f"{path.name}: empty References list"
    keys = bibliography().entries
    for bullet in bullets:
        assert len(CITE.findall(bullet)) == 1, f"{path.name}: expected one citation in: {bullet}"
        key = cited_key(bullet)
        assert key in keys, f"{path.name}: {key!r} is not in references.bib"


def test_every_bib_entry_is_cited_by_a_chapter() -> None:
    """The bibliography page lists only cited works, so an uncited entry would silently vanish from it."""
    cited = {cited_key(bullet).lower() for _, bullet in all_bullets()}
    uncited = sorted(key for key in bibliography().entries if key.lower() not in cited)
    assert not uncited, f"entries no chapter cites: {uncited}"


def first_author_surname(entry: Entry) -> str:
    """The first author's last name without braces, lower-cased."""
    person = entry.persons["author"][0]
    return " ".join(person.last_names).replace("{", "").replace("}", "").lower()


def test_bullet_and_cited_entry_describe_the_same_work() -> None:
    """The bullet's DOI, arXiv id or other link, and its first author, agree with the cited entry."""
    db = bibliography()
    for chapter, bullet in all_bullets():
        key = cited_key(bullet)
        entry = db.entries[key]
        where = f"{chapter}, {key}"
        first_word = re.match(r"- ([^\s,']+)", bullet)
        assert first_word and first_word.group(1).lower() == first_author_surname(entry), f"{where}: first author"
        for link in LINK.findall(bullet):
            arxiv = ARXIV.match(link)
            if link.startswith(DOI_PREFIX):
                assert entry.fields.get("doi", "").lower() == link.removeprefix(DOI_PREFIX).lower(), f"{where}: doi"
            elif arxiv:
                ids = entry.fields.get("url", "") + " " + entry.fields.get("eprint", "")
                assert arxiv.group(1) in ids, f"{where}: arXiv {arxiv.group(1)} not in url/eprint"
            else:
                assert entry.fields.get("url") == link, f"{where}: url {link}"


def test_references_page_prints_the_bibliography() -> None:
    """references.md is titled References and holds a plain bibliography directive (cited works only)."""
    text = (ROOT / "references.md").read_text(encoding="utf-8")
    assert text.startswith("# References\n")
    assert re.search(r"^```\{bibliography\}[ \t]*\n```[ \t]*$", text, re.M)
    assert ":all:" not in text


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_citation_roles_only_close_reference_bullets(path: Path) -> None:
    """Colab shows a `{cite:p}` role as raw text: the prose never uses one, so it reads the same there.

    The only roles are the last words of the References bullets, after the full human-readable reference.
    """
    allowed = sum(len(CITE.findall(b)) for b in chapter_bullets(path))
    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
    assert len(re.findall(r"\{cite(:\w+)?\}", text)) == allowed, f"{path.name}: a citation role outside References"

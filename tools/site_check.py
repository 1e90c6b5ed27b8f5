#!/usr/bin/env python3
"""Build the course site with warnings as errors, then check every page in headless Chromium.

What a reader of the published site would notice, checked on a local copy:

* the build: ``jupyter-book build . -W`` finishes with zero warnings;
* every HTML page of ``_build/html`` answers HTTP 200 and has the title
  "<its heading> — <site title>";
* every internal link points at a page or file that exists, and at an anchor
  that exists on that page; every image of the site loads;
* every chapter page shows as many figures as its notebook stores PNG outputs;
* every notebook page (chapters and exercises) has the theme's Colab launch link
  and the notebook's own "Open in Colab" badge, both pointing at
  ``https://colab.research.google.com/github/<org>/<repo>/blob/<branch>/<folder>/<name>.ipynb``
  as generated from ``_config.yml`` (tools/badges.py).

The site is served from 127.0.0.1; every request to another host is aborted
(CI has no network), so only the site's own resources are judged. Chromium is
Debian's ``/usr/bin/chromium``, driven through Playwright, in a fresh profile.
A screenshot of one chapter page is saved as ``_build/site-check/<chapter>.png``.

Usage: python tools/site_check.py [--no-build] [--chromium PATH]
"""
from __future__ import annotations

import argparse
import functools
import http.server
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import nbformat
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import badges  # noqa: E402  (tools/badges.py: the one place Colab URLs are made)

ROOT = badges.ROOT
SITE = ROOT / "_build" / "html"
EVIDENCE = ROOT / "_build" / "site-check"
SCREENSHOT_OF = "notebooks/05_resnet"
# Flags for a root user on a machine without network (see the project's README).
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
WARNING = re.compile(r"\bWARNING\b|\bwarning:", re.I)


@dataclass
class Page:
    """What one page looked like in the browser."""

    status: int
    title: str
    heading: str
    ids: set[str]
    links: list[str]
    images: list[tuple[str, bool]]  # (url, loaded)
    output_images: int  # <img> inside a notebook cell's output
    colab_launch: list[str]  # the theme's "Launch on Colab" links
    colab_badge: list[str]  # links around the "Open In Colab" badge image
    failed: list[str] = field(default_factory=list)  # same-origin requests that failed or answered ≥ 400
    redirect: str = ""  # where a redirect page (the site's index.html) led the browser


def build() -> None:
    """``jupyter-book build . -W``; fails on any warning, also one printed without failing the build."""
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", ".", "-W", "--keep-going"]
    print("$", " ".join(cmd), flush=True)
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    log = run.stdout + run.stderr
    EVIDENCE.mkdir(parents=True, exist_ok=True)
    (EVIDENCE / "build.log").write_text(log)
    warnings = [line for line in log.splitlines() if WARNING.search(line)]
    if run.returncode != 0 or warnings:
        print(log[-5000:])
        sys.exit(f"the book build failed or warned ({len(warnings)} warning lines; exit {run.returncode}); "
                 f"full log in {EVIDENCE / 'build.log'}")
    print(f"book built with -W: 0 warnings ({SITE})")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        # The browser drops connections it no longer needs (a page closed mid-load); that is no error of the site.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def serve(directory: Path) -> tuple[_Server, str]:
    """Serve ``directory`` on 127.0.0.1 (a free port) in a background thread; returns (server, base URL)."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = _Server(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def site_pages() -> list[str]:
    """Every HTML page of the built site, relative to its root (theme assets and sources excluded)."""
    skip = ("_static/", "_sources/", "_images/")
    return sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html")
                  if not p.relative_to(SITE).as_posix().startswith(skip))


# Runs in the page: everything the checks need, in one round trip.
PAGE_SCRIPT = """() => {
  const h1 = document.querySelector('main h1, article h1, h1');
  const text = el => el ? el.textContent.replace(/[#¶]\\s*$/, '').trim() : '';
  const colab = 'https://colab.research.google.com/';
  return {
    title: document.title,
    heading: text(h1),
    ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
    links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
    images: Array.from(document.querySelectorAll('img')).map(i => [i.currentSrc || i.src, i.complete && i.naturalWidth > 0]),
    outputImages: document.querySelectorAll('.cell_output img').length,
    launch: Array.from(document.querySelectorAll('.article-header-buttons a[href^="' + colab + '"], .dropdown-launch-buttons a[href^="' + colab + '"]')).map(a => a.href),
    badge: Array.from(document.querySelectorAll('article a[href^="' + colab + '"]')).filter(a => a.querySelector('img[alt="Open In Colab"]')).map(a => a.href),
  };
}"""


def visit(context, base: str, rel: str, screenshot: Path | None = None) -> Page:  # context: playwright BrowserContext
    page = context.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(f"{r.url} ({r.failure})") if r.url.startswith(base) else None)
    page.on("response", lambda r: failed.append(f"{r.url} (HTTP {r.status})")
            if r.url.startswith(base) and r.status >= 400 else None)
    response = page.goto(base + rel, wait_until="load")
    redirect = ""
    if (SITE / rel).read_text(encoding="utf-8", errors="replace").lstrip().lower().startswith("<meta http-equiv=\"refresh\""):
        page.wait_for_url(lambda u: u != base + rel)  # index.html only forwards to the root page
        page.wait_for_load_state("load")
        redirect = page.url
    # Images below the fold may load lazily: scroll through the page, then wait for the network to settle.
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_load_state("networkidle")
    info = page.evaluate(PAGE_SCRIPT)
    if screenshot is not None:
        page.evaluate("() => window.scrollTo(0, 0)")
        page.screenshot(path=str(screenshot))
    page.close()
    return Page(status=response.status if response else 0, title=info["title"], heading=info["heading"],
                ids=set(info["ids"]), links=info["links"], images=[tuple(i) for i in info["images"]],
                output_images=info["outputImages"], colab_launch=info["launch"], colab_badge=info["badge"],
                failed=failed, redirect=redirect)


def notebook_png_outputs(path: Path) -> int:
    """Number of PNG outputs stored in ``path`` that the site shows (cells not tagged to remove them)."""
    nb = nbformat.read(path, as_version=4)
    hidden = {"remove-cell", "remove-output", "remove_cell", "remove_output"}
    return sum("image/png" in out.get("data", {})
               for cell in nb.cells if cell.cell_type == "code" and not hidden & set(cell.metadata.get("tags", []))
               for out in cell.get("outputs", []))


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def check(pages: dict[str, Page], base: str, site_title: str, url: str, branch: str) -> list[str]:
    """Every problem found on the visited pages, as one line each."""
    problems: list[str] = []
    statuses: dict[str, int] = {}
    for rel, page in pages.items():
        where = f"{rel}:"
        if page.status != 200:
            problems.append(f"{where} HTTP {page.status}")
        if page.redirect:
            target = urlsplit(page.redirect).path.lstrip("/")
            if target not in pages or pages[target].status != 200:
                problems.append(f"{where} redirects to a missing page: {page.redirect}")
            continue
        stem = rel.removesuffix(".html")
        has_source = any((ROOT / f"{stem}{ext}").exists() for ext in (".md", ".ipynb"))
        if has_source and (not page.heading or page.title != f"{page.heading} — {site_title}"):
            problems.append(f"{where} title {page.title!r} is not '<heading> — {site_title}' (heading {page.heading!r})")
        if not has_source and not page.title.endswith(site_title):  # Sphinx's own pages: index, search
            problems.append(f"{where} title {page.title!r} does not name the site")
        problems += [f"{where} request failed: {f}" for f in page.failed]
        problems += [f"{where} image did not load: {src}" for src, ok in page.images if src.startswith(base) and not ok]
        for link in page.links:
            if not link.startswith(base):
                continue
            target, fragment = urldefrag(link)
            target_rel = urlsplit(target).path.lstrip("/") or "index.html"
            if target_rel.endswith("/"):
                target_rel += "index.html"
            if target_rel in pages:
                if fragment and fragment not in pages[target_rel].ids:
                    problems.append(f"{where} link to a missing anchor: {link}")
            else:
                if target not in statuses:
                    statuses[target] = http_status(target)
                status = statuses[target]
                if status != 200:
                    problems.append(f"{where} broken link ({status}): {link}")
        source = ROOT / f"{stem}.ipynb"
        if source.exists():
            want = badges.colab_url(url, branch, f"{stem}.ipynb")
            if not page.colab_launch or any(link != want for link in page.colab_launch):
                problems.append(f"{where} Colab launch button {page.colab_launch} is not {want}")
            if page.colab_badge != [want]:
                problems.append(f"{where} Colab badge {page.colab_badge} is not [{want}]")
            if stem.startswith("notebooks/"):
                stored = notebook_png_outputs(source)
                if page.output_images != stored:
                    problems.append(f"{where} shows {page.output_images} output figures; the notebook stores {stored}")
    return problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-build", action="store_true", help="check the existing _build/html")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium",
                        help="the Chromium executable (Debian package 'chromium')")
    args = parser.parse_args(argv)
    if not Path(args.chromium).exists():
        sys.exit(f"Chromium not found at {args.chromium}: install Debian's package "
                 "(`apt-get install chromium`) or pass --chromium PATH.")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sys.exit("Playwright is missing: `make site-check` installs it (pip install -e '.[site]').")
    if not args.no_build:
        build()
    if not (SITE / "index.html").exists():
        sys.exit(f"no site in {SITE}: run `make html` first, or drop --no-build")

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    url, branch = badges.repository()
    rels = site_pages()
    EVIDENCE.mkdir(parents=True, exist_ok=True)
    server, base = serve(SITE)
    pages: dict[str, Page] = {}
    try:
        with sync_playwright() as p, tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
            context = p.chromium.launch_persistent_context(
                profile, executable_path=args.chromium, headless=True, args=CHROMIUM_FLAGS,
                viewport={"width": 1280, "height": 900})
            # No network here or in CI: requests that leave 127.0.0.1 are aborted at once instead of timing out.
            context.route(re.compile(r"^(?!" + re.escape(base) + ")"), lambda route: route.abort())
            for rel in rels:
                shot = EVIDENCE / f"{Path(SCREENSHOT_OF).name}.png" if rel == f"{SCREENSHOT_OF}.html" else None
                pages[rel] = visit(context, base, rel, screenshot=shot)
            context.close()
        problems = check(pages, base, config["title"], url, branch)  # links to files need the server
    finally:
        server.shutdown()

    notebooks = [r for r in rels if (ROOT / r.replace(".html", ".ipynb")).exists()]
    figures = sum(pages[r].output_images for r in notebooks)
    print(f"{len(pages)} pages opened in Chromium ({len(notebooks)} notebook pages, {figures} output figures, "
          f"{sum(len(p.links) for p in pages.values()):,} links checked); screenshot: "
          f"{EVIDENCE / (Path(SCREENSHOT_OF).name + '.png')}")
    for line in problems:
        print("PROBLEM", line)
    if not any(r == f"{SCREENSHOT_OF}.html" for r in rels):
        problems.append(f"{SCREENSHOT_OF}.html is not in the site")
    print(f"site check: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

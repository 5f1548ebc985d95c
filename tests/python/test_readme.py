"""Runs every README code block marked runnable (```sh runnable), in order and as written, from the
repository root, as a newcomer would paste them: in a new virtual environment that has only what
the README says to install (DuckDB for the Make example), so the Install block's `pip install` puts
the wheel's `zoom-licenses` on PATH for the blocks after it. The README cannot drift from the tool.
Also checks that every relative link of the README and docs/ resolves."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"^ *```sh runnable\n(.*?)^ *```$", README, re.S | re.M)
DUCKDB = next(line for line in (ROOT / "tests/python/requirements.txt").read_text().splitlines()
              if line.startswith("duckdb=="))


def test_the_readme_has_runnable_blocks():
    assert len(BLOCKS) >= 4, BLOCKS


def test_the_runnable_readme_blocks_run_as_written(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([venv / "bin/pip", "install", "--quiet", "--disable-pip-version-check", DUCKDB],
                   check=True)
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",
           "VIRTUAL_ENV": str(venv)}
    env.pop("PYTHONHOME", None)
    # The blocks write under out/, the tool's own scratch folder: start it empty.
    shutil.rmtree(ROOT / "out", ignore_errors=True)
    for block in BLOCKS:
        # A block indented inside a list item is pasted without its indentation.
        script = "\n".join(line.strip() for line in block.splitlines())
        done = subprocess.run(["bash", "-e", "-c", script], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, (
            f"{script}\n--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}")
    assert shutil.which("zoom-licenses", path=env["PATH"]) == str(venv / "bin/zoom-licenses")


def anchors(markdown: str) -> set[str]:
    """GitHub's anchors of a Markdown file's headings."""
    found = set()
    for heading in re.findall(r"^#{1,6} (.+)$", markdown, re.M):
        found.add(re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-"))
    return found


def test_every_relative_link_of_the_readme_and_docs_resolves():
    """Links between the README and docs/ name files that exist, and headings that exist in them."""
    broken = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = page.read_text()
        # Code blocks hold no links, and may hold brackets that look like them.
        prose = re.sub(r"```.*?```", "", text, flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", prose):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            if not file.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif anchor and file.suffix == ".md" and anchor not in anchors(file.read_text()):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert not broken, "\n".join(broken)

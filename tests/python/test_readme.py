"""Runs every README code block marked runnable (```sh runnable), in order and as written, from the
repository root, as a newcomer would paste them: in a new virtual environment that has only what
the README says to install (DuckDB for the Make example), so the Install block's `pip install` puts
the wheel's `zoom-licenses` on PATH for the blocks after it. The README cannot drift from the tool.
Also checks that every link of the README into the repository (absolute, as it is also the wheel's
description on PyPI) and every relative link of docs/ resolves."""

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"^ *```sh runnable\n(.*?)^ *```$", README, re.S | re.M)
DUCKDB = next(line for line in (ROOT / "tests/python/requirements.txt").read_text().splitlines()
              if line.startswith("duckdb=="))


def test_the_readme_has_runnable_blocks():
    assert len(BLOCKS) >= 4, BLOCKS


def test_make_run_says_the_first_build_takes_minutes_and_shows_its_progress():
    """`make run` on a machine that has not built the tool says so before compiling, and cargo's
    progress is not silenced (`make -n` prints the recipe; the binary is looked for where it is)."""
    recipe = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout
    assert "the first run compiles the tool" in recipe, recipe
    build = next(line for line in recipe.splitlines() if "build --release" in line)
    assert "--quiet" not in build and " -q" not in build, build


def test_the_runnable_readme_blocks_run_as_written(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([venv / "bin/pip", "install", "--quiet", "--disable-pip-version-check", DUCKDB],
                   check=True)
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",
           "VIRTUAL_ENV": str(venv)}
    env.pop("PYTHONHOME", None)
    # The blocks write under out/, as a newcomer's paste would: the user's own out/ (what `make
    # run` wrote) is moved aside first and put back as it was, whatever happens.
    out, saved = ROOT / "out", ROOT / "target/readme-test-saved-out"
    before = snapshot(out)
    shutil.rmtree(saved, ignore_errors=True)
    saved.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.rename(saved)
    try:
        for block in BLOCKS:
            # A block indented inside a list item is pasted without its indentation.
            script = "\n".join(line.strip() for line in block.splitlines())
            done = subprocess.run(["bash", "-e", "-c", script], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=900)
            assert done.returncode == 0, (
                f"{script}\n--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}")
        assert shutil.which("zoom-licenses", path=env["PATH"]) == str(venv / "bin/zoom-licenses")
        # The README's SQL, run on what its Make example wrote.
        rows = readme_sql()
        assert rows and all(account == "emea" for account, _, _ in rows), rows
    finally:
        shutil.rmtree(out, ignore_errors=True)
        if saved.exists():
            saved.rename(out)
    assert snapshot(out) == before, "the user's out/ was not put back as it was"


SQL = re.search(r"^ *```sql\n(.*?)^ *```$", README, re.S | re.M).group(1)


def readme_sql() -> list:
    """The README's SQL block, run from the repository root as the reader runs it."""
    import duckdb

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return duckdb.connect().execute(SQL).fetchall()
    finally:
        os.chdir(cwd)


def snapshot(folder: Path) -> dict:
    """Every file under `folder` with its size and modification time (empty when none)."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def anchors(markdown: str) -> set[str]:
    """GitHub's anchors of a Markdown file's headings."""
    found = set()
    for heading in re.findall(r"^#{1,6} (.+)$", markdown, re.M):
        found.add(re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-"))
    return found


def test_every_link_of_the_readme_and_docs_into_the_repository_resolves():
    """The README links into the repository by absolute URL only (PyPI shows it as the wheel's
    description, where a relative link leads nowhere); docs/ link relatively. Either way, each
    link names a file that exists, and a heading that exists in it."""
    repository = tomllib.loads((ROOT / "Cargo.toml").read_text())["workspace"]["package"]["repository"]
    broken = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = page.read_text()
        # Code blocks hold no links, and may hold brackets that look like them.
        prose = re.sub(r"```.*?```", "", text, flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", prose):
            absolute = re.match(r"[a-z]+:", target)
            if page.name == "README.md" and not absolute:
                broken.append(f"{page.name}: {target} (relative: PyPI cannot follow it)")
                continue
            into = re.match(rf"{re.escape(repository)}/(?:blob|tree)/main/(.*)", target)
            if into:
                target, base = into[1], ROOT
            elif absolute:
                continue
            else:
                base = page.parent
            path, _, anchor = target.partition("#")
            file = (base / path).resolve() if path else page
            if not file.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif anchor and file.suffix == ".md" and anchor not in anchors(file.read_text()):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert not broken, "\n".join(broken)

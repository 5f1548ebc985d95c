"""Runs every README code block marked runnable (```sh runnable), as written, from the repository
root, with the release binary on PATH as a user who installed it would have it, and the test venv's
Python (which has DuckDB) first: the README cannot drift from the tool."""

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BLOCKS = re.findall(r"^ *```sh runnable\n(.*?)^ *```$", (ROOT / "README.md").read_text(),
                    re.S | re.M)


def test_the_readme_has_runnable_blocks():
    assert len(BLOCKS) >= 3, BLOCKS


@pytest.mark.parametrize("block", BLOCKS, ids=[b.splitlines()[0][:40] for b in BLOCKS])
def test_a_runnable_readme_block_runs_as_written(block):
    # Blocks indented inside a list item lose their indentation, as a shell paste would.
    script = "\n".join(line.strip() for line in block.splitlines())
    venv_bin = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"
    path = f"{ROOT / 'target/release'}:{venv_bin}:{os.environ['PATH']}"
    done = subprocess.run(["bash", "-e", "-c", script], cwd=ROOT, env={**os.environ, "PATH": path},
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{script}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"


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

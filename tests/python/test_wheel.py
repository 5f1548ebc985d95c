"""The wheel `make wheel` built, installed into a new virtual environment whose PATH has no cargo,
runs the tool: its version, and the bundled sample replayed (from the repository, and as `demo`
writes it), with the row count of the recording's JSON. Its man pages and shell completions are
installed beside it. Its tag is manylinux_2_17 (glibc 2.17 or later), and auditwheel, pinned in
requirements-wheel.txt, agrees with it."""

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from recorded import expected

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_runs_where_there_is_no_rust(tmp_path):
    wheels = sorted((ROOT / "target/wheels").glob("zoom_licenses-*.whl"))
    assert len(wheels) == 1, wheels
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([venv / "bin/pip", "install", "--quiet", "--no-index",
                    "--disable-pip-version-check", str(wheels[0])], check=True)
    path = str(venv / "bin")
    assert shutil.which("cargo", path=path) is None and shutil.which("rustc", path=path) is None
    env = {"PATH": path, "HOME": str(tmp_path)}
    version = tomllib.loads((ROOT / "Cargo.toml").read_text())["workspace"]["package"]["version"]
    shown = subprocess.run(["zoom-licenses", "--version"], env=env, check=True,
                           capture_output=True, text=True).stdout
    assert shown.strip() == f"zoom-licenses {version}"
    assert shutil.which("zoom-licenses", path=path) == str(venv / "bin/zoom-licenses")

    subprocess.run(["zoom-licenses", "-q", "extract", "--replay", str(ROOT / "fixtures/sample"),
                    "--output", "out/u.parquet"], env=env, cwd=tmp_path, check=True,
                   capture_output=True)
    manifest = json.loads((tmp_path / "out/u_manifest.json").read_text())
    assert manifest["rows_written"] == len(expected(ROOT / "fixtures/sample")["keys"])
    # A pip-only user has the sample too: `demo` writes it out of the binary.
    subprocess.run(["zoom-licenses", "demo", "sample"], env=env, cwd=tmp_path, check=True,
                   capture_output=True)
    subprocess.run(["zoom-licenses", "-q", "extract", "--replay", "sample", "--output",
                    "demo/u.parquet"], env=env, cwd=tmp_path, check=True, capture_output=True)
    manifest = json.loads((tmp_path / "demo/u_manifest.json").read_text())
    assert manifest["rows_written"] == len(expected(ROOT / "fixtures/sample")["keys"])

    share = venv / "share"
    assert (share / "man/man1/zoom-licenses-extract.1").is_file()
    assert (share / "bash-completion/completions/zoom-licenses").is_file()
    assert (share / "zsh/site-functions/_zoom-licenses").is_file()
    assert (share / "fish/vendor_completions.d/zoom-licenses.fish").is_file()


def test_the_wheel_is_manylinux_2_17():
    """Linked against glibc 2.17 (zig), whatever glibc built it: CentOS 7 and later install it."""
    wheels = sorted((ROOT / "target/wheels").glob("zoom_licenses-*.whl"))
    assert len(wheels) == 1, wheels
    platforms = wheels[0].name.removesuffix(".whl").split("-")[-1].split(".")
    assert sorted(platforms) == ["manylinux2014_x86_64", "manylinux_2_17_x86_64"], wheels[0].name
    shown = subprocess.run([ROOT / ".venv-wheel/bin/auditwheel", "show", wheels[0]], check=True,
                           capture_output=True, text=True).stdout
    assert ('is consistent with the following platform tag: "manylinux_2_17_x86_64"'
            in " ".join(shown.split())), shown

"""Air-gapped install: ``scripts/install-offline`` installs from a wheelhouse alone into a fresh virtual
environment, with pip's network cut off, and the installed Nigran runs its demo.

Skipped unless ``NIGRAN_TEST_WHEELHOUSE=DIR`` names a folder built by ``scripts/build-wheelhouse DIR`` (CI
builds it first; see docs/operations.md). pip gets ``--no-index`` and ``PIP_NO_INDEX=1``, and every proxy
variable points at a closed port on this machine, so any attempt to reach a registry fails.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

WHEELHOUSE = os.environ.get("NIGRAN_TEST_WHEELHOUSE")
ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not WHEELHOUSE, reason="NIGRAN_TEST_WHEELHOUSE is not set")
NO_NETWORK = {
    "PIP_NO_INDEX": "1",
    "PIP_CONFIG_FILE": "/dev/null",
    "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
    "PIP_RETRIES": "0",
    "PIP_TIMEOUT": "2",
    **{k: "http://127.0.0.1:9" for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")},
    "no_proxy": "",
    "NO_PROXY": "",
}


def test_install_from_the_wheelhouse_alone_and_run_the_demo(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUAL_ENV", "NIGRAN_"))}
    env.update(NO_NETWORK)
    venv = tmp_path / "venv"
    done = subprocess.run(
        [str(ROOT / "scripts" / "install-offline"), str(WHEELHOUSE), str(venv)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    nigran = venv / "bin" / "nigran"
    version = subprocess.run([str(nigran), "--version"], env=env, capture_output=True, text=True, check=True)
    assert version.stdout.startswith("nigran ")
    # installed from the wheel, not from this checkout: the package lives in the new environment
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import nigran, sys; print(nigran.__file__)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    package = Path(where.stdout.strip()).parent
    assert str(package).startswith(str(venv))
    assert (package / "web" / "static" / "vendor" / "MANIFEST.json").exists()
    work = tmp_path / "site"
    work.mkdir()
    demo = subprocess.run(
        [str(nigran), "demo", "--no-serve"], env=env, capture_output=True, text=True, cwd=work, timeout=600
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert (work / "nigran.db").exists()
    listed = subprocess.run(
        [str(nigran), "framework", "list"], env=env, capture_output=True, text=True, cwd=work, check=True
    )
    assert "NAP-2021" in listed.stdout

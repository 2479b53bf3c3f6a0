"""The real data sets, read in place from ``../shared/data`` (never copied).

Skipped cleanly when the folder is absent; with ``CI=true`` they must be there, so a
missing folder fails. Each folder's ``SHA256SUMS`` is checked before any test reads it.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[3]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


def _verified(name: str) -> Path:
    folder = SHARED_DATA / name
    if not folder.is_dir():
        message = f"real data set {folder} is missing"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI=true: the benchmarks' data must be present)")
        pytest.skip(message)
    sums = folder / "SHA256SUMS"
    assert sums.is_file(), f"{sums} is missing"
    for line in sums.read_text().splitlines():
        if not line.strip():
            continue
        expected, filename = line.split(maxsplit=1)
        digest = hashlib.sha256((folder / filename.strip().lstrip("*")).read_bytes()).hexdigest()
        assert digest == expected, f"{folder / filename}: checksum differs from SHA256SUMS"
    return folder


@pytest.fixture(scope="session")
def uci_dir() -> Path:
    return _verified("uci-student-performance")


@pytest.fixture(scope="session")
def oulad_dir() -> Path:
    return _verified("oulad")

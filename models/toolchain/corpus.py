"""Offline corpora for the demo models.

Domain A: CPython 3.11 standard library sources (no tests, no third-party packages).
Domain B: the java.base module of the OpenJDK 17 source archive.
Other JDK modules and other Python packages are reserved for held-out evaluation and never read here.
Validation files are chosen by a stable hash of the path, whole files only.
"""
import hashlib
import os
import zipfile

PY_ROOT = "/usr/lib/python3.11"
JDK_SRC = "/usr/lib/jvm/openjdk-17/lib/src.zip"
EXCLUDED_PY_DIRS = {"test", "tests", "idle_test", "__pycache__", "dist-packages", "site-packages"}
VAL_MODULUS = 40  # 1 file in 40 is held out for validation


def is_validation(path: str) -> bool:
    return int(hashlib.sha256(path.encode()).hexdigest(), 16) % VAL_MODULUS == 0


def python_stdlib_files():
    """Yields (relative path, text) for domain A, sorted for determinism."""
    found = []
    for dirpath, dirnames, filenames in os.walk(PY_ROOT):
        dirnames[:] = sorted(d for d in dirnames if d not in EXCLUDED_PY_DIRS)
        for name in sorted(filenames):
            if name.endswith(".py"):
                found.append(os.path.join(dirpath, name))
    for path in sorted(found):
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", errors="replace")
        yield os.path.relpath(path, PY_ROOT), text


def java_base_files():
    """Yields (relative path, text) for domain B: java.base/ only."""
    with zipfile.ZipFile(JDK_SRC) as z:
        names = sorted(n for n in z.namelist() if n.startswith("java.base/") and n.endswith(".java"))
        for name in names:
            yield name, z.read(name).decode("utf-8", errors="replace")


def load_domain(domain: str, limit_bytes=None):
    """Returns {'train': [texts], 'val': [texts], 'files': n, 'bytes': n} for domain 'A' or 'B'."""
    source = python_stdlib_files() if domain == "A" else java_base_files()
    train, val, val_paths, total, files = [], [], [], 0, 0
    for path, text in source:
        if is_validation(path):
            val.append(text)
            val_paths.append(path)
        else:
            train.append(text)
        total += len(text.encode("utf-8"))
        files += 1
        if limit_bytes and total >= limit_bytes and len(val) >= 3:
            break
    return {"train": train, "val": val, "val_paths": val_paths, "files": files, "bytes": total}

"""Put pip into a virtualenv made without it, for Debian's python3 without python3-venv.

Debian leaves ensurepip out of python3 (it is in python3-venv), so `python3 -m venv` fails on
a machine that has only python3 and make. `python3 -m venv --without-pip` still works; this
then fetches pip's wheel from PyPI (checked against PyPI's sha256) and lets the wheel install
itself into the virtualenv. Standard library only: it runs before anything is installed.

    python3 tools/bootstrap_pip.py .venv
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

INDEX = "https://pypi.org/pypi/pip/json"


def main(venv: Path) -> None:
    with urllib.request.urlopen(INDEX, timeout=60) as response:
        release = json.load(response)
    wheel = next(f for f in release["urls"] if f["packagetype"] == "bdist_wheel")
    # A mirror may give the file's address relative to the index's.
    with urllib.request.urlopen(urllib.parse.urljoin(INDEX, wheel["url"]), timeout=300) as response:
        data = response.read()
    if hashlib.sha256(data).hexdigest() != wheel["digests"]["sha256"]:
        sys.exit(f"bootstrap_pip: {wheel['filename']} does not match PyPI's sha256")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / wheel["filename"]
        path.write_bytes(data)
        install = ["install", "--quiet", "--no-index", str(path)]
        subprocess.run([str(venv / "bin" / "python"), f"{path}/pip", *install], check=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]))

#!/usr/bin/env bash
# Create (if absent) the Python virtual environment for the peer benchmarks and reference fixtures, and install
# the pinned peers of benches/peers/requirements.txt into it. Idempotent: an existing venv is reused and pip only
# installs what is missing or at another version.
#
# Usage: benches/peers/setup_venv.sh        (from anywhere; paths are found from this script's location)
# Prints the venv's python path on its last line, e.g.  py=$(benches/peers/setup_venv.sh | tail -1)
# Needs: python3 (3.11+) with the venv module, and access to PyPI.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/target/peers-venv"
py="$venv/bin/python"
if [ ! -x "$py" ]; then
  mkdir -p "$root/target"
  python3 -m venv "$venv"
  "$py" -m pip install --quiet --upgrade pip
fi
# Fast path: everything already at the pinned version.
if ! "$py" - "$here/requirements.txt" <<'PYEOF' 2>/dev/null
import sys
from importlib.metadata import version, PackageNotFoundError
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    name, want = line.split("==")
    try:
        if version(name) != want:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PYEOF
then
  "$py" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
fi
echo "$py"

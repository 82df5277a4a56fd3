"""Makes the in-tree package importable without installing it, unless
FDVJP_TEST_INSTALLED=1: then the tests run against the installed package (the suite's
venv; see pytest_installed.sh)."""

import os
import sys
from pathlib import Path

if os.environ.get("FDVJP_TEST_INSTALLED") != "1":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
else:
    import fdvjp

    source = Path(__file__).resolve().parents[1]
    assert source not in Path(fdvjp.__file__).resolve().parents, f"fdvjp imported from the source tree: {fdvjp.__file__}"

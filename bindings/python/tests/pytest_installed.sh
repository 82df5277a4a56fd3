#!/usr/bin/env bash
# The Python test suite against the installed package: a venv the suite creates (with the
# system's site packages, for jax, autograd, scipy, dask, pytest), the wheel that
# install.sh built installed into it, and pytest run from /tmp with FDVJP_TEST_INSTALLED=1
# (conftest.py then keeps the source tree off sys.path) and no FDVJP_LIB: the package finds
# its bundled library.
#   bash bindings/python/tests/pytest_installed.sh WHEEL_DIR
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
WHEELS=${1:?usage: pytest_installed.sh WHEEL_DIR}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 -m venv --system-site-packages "$WORK/venv" || exit 1
"$WORK/venv/bin/pip" install -q --no-deps --force-reinstall "$WHEELS"/fdvjp-*.whl || exit 1
cd /tmp || exit 1
env -u FDVJP_LIB -u PYTHONPATH FDVJP_TEST_INSTALLED=1 "$WORK/venv/bin/python" -m pytest -q -rs \
    -p no:cacheprovider "$ROOT/bindings/python/tests"

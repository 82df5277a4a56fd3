#!/usr/bin/env bash
# The pip package from scratch: a clean venv (python3 -m venv), `pip install
# ./bindings/python` (cargo builds libfdvjp into the package; CARGO_TARGET_DIR reused),
# `import fdvjp` from /tmp with no FDVJP_LIB, a derivative through the bundled library,
# `pip wheel` carrying the library, and no build debris left in the source tree. The
# install is the README's own install lines, run as printed.
# Prints "N passed, N failed". With a directory argument, the wheel is left there (for
# pytest_installed.sh).
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
passed=0 failed=0
check() { # check NAME COMMAND...
    local name=$1
    shift
    if "$@" >"$WORK/log" 2>&1; then
        passed=$((passed + 1))
        echo "ok   $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name"
        tail -n 20 "$WORK/log" | sed 's/^/     /'
    fi
}
before=$(cd "$ROOT" && git status --porcelain --ignored bindings/python | grep -v __pycache__)
check "python3 -m venv" python3 -m venv "$WORK/venv"
# readme_install: the install lines of README.md's Python section (its first ```sh block),
# run as printed from the checkout's root with the venv first on PATH; the path printed by
# its `python -c` line must be the copy inside the venv's site-packages.
readme_install() {
    local lines
    lines=$(python3 - "$ROOT/README.md" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
section = text[text.index("### Python"):]
print(re.search(r"^```sh\n(.*?)^```", section, flags=re.S | re.M).group(1))
PY
    ) || return 1
    grep -q "pip install ./bindings/python" <<<"$lines" || { echo "README: no pip install line"; return 1; }
    (cd "$ROOT" && env -u FDVJP_LIB -u PYTHONPATH PATH="$WORK/venv/bin:$PATH" bash -euo pipefail -c "$lines") \
        >"$WORK/printed" 2>&1
    local status=$?
    cat "$WORK/printed"
    [ "$status" -eq 0 ] && grep -q "$WORK/venv/.*site-packages/fdvjp/libfdvjp.so" "$WORK/printed"
}
check "README install lines as printed (pip install ./bindings/python)" readme_install
check "import fdvjp from /tmp, no FDVJP_LIB, bundled library" \
    env -u FDVJP_LIB -u PYTHONPATH bash -c "cd /tmp && '$WORK/venv/bin/python' -c '
import numpy as np, fdvjp, os
assert fdvjp.library_path.startswith(os.path.dirname(fdvjp.__file__)), fdvjp.library_path
g = fdvjp.vjp(np.sin, np.array([0.0, 1.0]), np.ones(2))
assert np.allclose(g, np.cos([0.0, 1.0]), rtol=0, atol=1e-9), g
print(\"ok\", fdvjp.library_path)'"
check "pip wheel carries libfdvjp.so" bash -c "'$WORK/venv/bin/pip' wheel -q --no-deps -w '$WORK/wheels' '$ROOT/bindings/python' &&
    '$WORK/venv/bin/python' -m zipfile -l '$WORK'/wheels/fdvjp-*.whl | grep 'fdvjp/libfdvjp.so' >/dev/null"
after=$(cd "$ROOT" && git status --porcelain --ignored bindings/python | grep -v __pycache__)
check "no build debris in the source tree" test "$before" = "$after"
if [ $# -ge 1 ]; then
    rm -rf "$1" && mkdir -p "$1" && cp "$WORK"/wheels/fdvjp-*.whl "$1"/
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

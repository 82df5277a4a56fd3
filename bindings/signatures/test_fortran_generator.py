"""The Fortran interface generator copes with what the header may grow (new handles,
callback types and scalar kinds): its output for such a header compiles with
gfortran -std=f2018 -Wall -Werror, and binds each function under its C name."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fortran"))
import generate_interfaces  # noqa: E402

GROWN_HEADER = """#include <stdint.h>
typedef struct fdvjp_thing fdvjp_thing;
typedef int32_t (*fdvjp_watch)(void *user, int64_t k);
enum fdvjp_mode { FDVJP_MODE_A = 0, FDVJP_MODE_B = 7, };
fdvjp_thing *fdvjp_thing_new(void);
void fdvjp_thing_free(fdvjp_thing *t);
int32_t fdvjp_thing_watch(fdvjp_thing *t, fdvjp_watch w, void *user, float scale, const double *x, size_t n);
double fdvjp_thing_norm(const fdvjp_thing *t);
"""


@pytest.mark.skipif(shutil.which("gfortran") is None, reason="gfortran is not installed")
def test_generated_interfaces_for_a_grown_header_compile(tmp_path):
    header = tmp_path / "grown.h"
    header.write_text(GROWN_HEADER)
    source = generate_interfaces.generate(header)
    for name in ("fdvjp_thing_new", "fdvjp_thing_free", "fdvjp_thing_watch", "fdvjp_thing_norm"):
        assert f'bind(c, name="{name}")' in source
    assert "enumerator :: FDVJP_MODE_B = 7" in source
    (tmp_path / "grown.f90").write_text(source)
    result = subprocess.run(["gfortran", "-std=f2018", "-Wall", "-Werror", "-c", "grown.f90"], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_real_header_binds_every_function():
    import c_header

    source = generate_interfaces.generate()
    for name in c_header.functions():
        assert f'bind(c, name="{name}")' in source, name

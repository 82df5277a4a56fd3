"""A small PEP 517 build backend: builds libfdvjp with cargo and puts it inside the wheel.

Why not maturin or setuptools-rust: the package loads the library with ctypes, so it
needs the crate's plain C-ABI cdylib copied next to its modules, not a PyO3/cffi
extension module (maturin's cdylib-only packaging expects one of those bindings), and
setuptools leaves `build/` and `*.egg-info` in the source tree. This backend needs nothing
but the standard library and `cargo`, writes nothing in the source tree (cargo builds in
$CARGO_TARGET_DIR, or the crate's own, git-ignored, target/ so that a checkout's build is
reused), and writes the wheel straight to pip's directory.

The crate is found at ../../ (bindings/python in a checkout) or in crate/ (an sdist made
by `build_sdist`, which carries it).
"""

import base64
import hashlib
import io
import os
import subprocess
import sysconfig
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # bindings/python (or the sdist's root)
NAME = "fdvjp"
CRATE_FILES = ("Cargo.toml", "Cargo.lock", "build.rs", "src", "include", "cbindgen.toml", "benches")


def _version():
    for line in (ROOT / "pyproject.toml").read_text().splitlines():
        if line.startswith("version"):
            return line.split("=", 1)[1].strip().strip('"')
    raise RuntimeError("fdvjp build: no version in pyproject.toml")


def _crate():
    for candidate in (ROOT / "crate", ROOT.parents[1]):
        if (candidate / "Cargo.toml").is_file() and (candidate / "src" / "lib.rs").is_file():
            return candidate
    raise RuntimeError(f"fdvjp build: the Rust crate is neither in {ROOT / 'crate'} nor in {ROOT.parents[1]}")


def _build_library():
    crate = _crate()
    target = Path(os.environ.get("CARGO_TARGET_DIR") or crate / "target")
    if not target.is_absolute():
        target = crate / target
    env = dict(os.environ, CARGO_TARGET_DIR=str(target))
    cmd = ["cargo", "build", "--release", "--lib", "--manifest-path", str(crate / "Cargo.toml")]
    print("fdvjp build:", " ".join(cmd), f"(CARGO_TARGET_DIR={target})", flush=True)
    subprocess.run(cmd, check=True, env=env)
    library = target / "release" / "libfdvjp.so"
    if not library.is_file():
        raise RuntimeError(f"fdvjp build: cargo did not produce {library}")
    return library


def _metadata():
    version = _version()
    return (f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {version}\n"
            "Summary: Finite-difference vector-Jacobian products of black-box functions (ctypes over libfdvjp)\n"
            "License: MIT OR Apache-2.0\nRequires-Python: >=3.8\nRequires-Dist: numpy\n"
            "Provides-Extra: autograd\nRequires-Dist: autograd; extra == \"autograd\"\n"
            "Provides-Extra: jax\nRequires-Dist: jax; extra == \"jax\"\n")


def _tag():
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"py3-none-{platform}"


def _dist_info():
    return f"{NAME}-{_version()}.dist-info"


def _write_dist_info(directory):
    info = Path(directory) / _dist_info()
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(_metadata())
    (info / "WHEEL").write_text(f"Wheel-Version: 1.0\nGenerator: fdvjp_build\nRoot-Is-Purelib: false\nTag: {_tag()}\n")
    return info.name


# ---------------------------------------------------------------- PEP 517 hooks


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    return _write_dist_info(metadata_directory)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    library = _build_library()
    files = {}
    for path in sorted((ROOT / NAME).glob("*.py")):
        files[f"{NAME}/{path.name}"] = path.read_bytes()
    files[f"{NAME}/libfdvjp.so"] = library.read_bytes()
    info = _dist_info()
    files[f"{info}/METADATA"] = _metadata().encode()
    files[f"{info}/WHEEL"] = (f"Wheel-Version: 1.0\nGenerator: fdvjp_build\nRoot-Is-Purelib: false\n"
                              f"Tag: {_tag()}\n").encode()
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = f"{NAME}-{_version()}-{_tag()}.whl"
    with zipfile.ZipFile(Path(wheel_directory) / wheel, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            zinfo = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            zinfo.external_attr = (0o755 if name.endswith(".so") else 0o644) << 16
            zinfo.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zinfo, data)
    return wheel


def build_sdist(sdist_directory, config_settings=None):
    """The Python package, this backend and the crate (in crate/), buildable anywhere."""
    crate = _crate()
    base = f"{NAME}-{_version()}"
    sdist = f"{base}.tar.gz"

    def skip(info):
        parts = Path(info.name).parts
        return None if "__pycache__" in parts or "target" in parts else info

    with tarfile.open(Path(sdist_directory) / sdist, "w:gz") as tar:
        for item in ("pyproject.toml", NAME, "build_backend"):
            tar.add(ROOT / item, arcname=f"{base}/{item}", filter=skip)
        if crate != ROOT / "crate":
            for item in CRATE_FILES:
                if (crate / item).exists():
                    tar.add(crate / item, arcname=f"{base}/crate/{item}", filter=skip)
        else:
            tar.add(crate, arcname=f"{base}/crate", filter=skip)
        data = _metadata().encode()
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return sdist

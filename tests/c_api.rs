//! A few of the C test programs (`tests/c/test_*.c`), compiled and run from `cargo test`,
//! so that a change checked only with the Rust tests still exercises the C surface: the
//! header, the status codes, the last-error messages and the untouched outputs, as a C
//! caller sees them.
//!
//! Each program is compiled with the system C compiler (`$CC`, else `cc`: the one rustc
//! links with) as C99 with warnings as errors, against the checked-in `include/fdvjp.h`
//! and the shared library this `cargo test` just built, and must exit 0 (every check of
//! `tests/c/check.h` passed). `tests/run.sh` runs all of them, and under valgrind and the
//! sanitizers too; this is the subset that covers each family of exported functions in
//! seconds.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The directory holding the `libfdvjp.so` built for this test binary: the test runs from
/// `target/<profile>/deps/`, and cargo builds the library (all its crate types) there.
fn library_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let deps = exe.parent().expect("target/<profile>/deps").to_path_buf();
    let lib = deps.join(format!(
        "{}fdvjp{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    assert!(lib.exists(), "cargo did not build {}", lib.display());
    deps
}

/// Compiles `tests/c/<name>.c` and runs it; panics with its output unless it exits 0.
fn compile_and_run(name: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = library_dir();
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("c_api_{name}"));
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let compiled = Command::new(&cc)
        .args([
            "-std=c99",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            "-O1",
        ])
        .arg(format!("-I{}", root.join("include").display()))
        .arg(root.join("tests/c").join(format!("{name}.c")))
        .arg("-o")
        .arg(&out)
        .arg(format!("-L{}", lib.display()))
        .arg("-lfdvjp")
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-lm")
        .output()
        .unwrap_or_else(|e| panic!("cannot run the C compiler `{cc}`: {e}"));
    assert!(
        compiled.status.success(),
        "compiling tests/c/{name}.c failed:\n{}",
        String::from_utf8_lossy(&compiled.stderr)
    );
    let ran = Command::new(&out)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", out.display()));
    assert!(
        ran.status.success(),
        "tests/c/{name}.c failed ({}):\n{}{}",
        ran.status,
        String::from_utf8_lossy(&ran.stdout),
        String::from_utf8_lossy(&ran.stderr)
    );
}

/// VJP, JVP and Jacobian of C functions against analytic derivatives, every scheme.
#[test]
fn drivers() {
    compile_and_run("test_fd");
}

/// Every bad argument of every family: status, message naming function, argument and
/// value, outputs untouched.
#[test]
fn errors() {
    compile_and_run("test_errors");
}

/// The bad-input matrix rows not covered by `test_errors.c`.
#[test]
fn bad_input() {
    compile_and_run("test_bad_input");
}

/// The tape: built-in ops, opaque and custom-VJP calls, backward, replay, handle checks.
#[test]
fn tape() {
    compile_and_run("test_tape");
}

/// Batch functions, threads and progress reports.
#[test]
fn batch() {
    compile_and_run("test_batch");
}

/// The estimates and complex step.
#[test]
fn accuracy() {
    compile_and_run("test_accuracy");
}

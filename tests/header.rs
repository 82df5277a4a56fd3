//! The checked-in header, and the C layers of the bindings generated from it, must equal
//! what the sources give now. `FDVJP_BLESS=1 cargo test --test header` rewrites them.
//!
//! The header is cbindgen's output (cbindgen.toml) arranged by `header/layout.rs` into the
//! sections of `header/sections.rs`; the Python and Julia C layers are then written from
//! the header by bindings/signatures/generate_bindings.py (Fortran's at build time). One
//! test does both, in that order, so that blessing regenerates the bindings from the new
//! header.

#[path = "header/layout.rs"]
mod layout;
#[path = "header/sections.rs"]
mod sections;

use std::path::Path;
use std::process::Command;

#[test]
fn header_and_generated_bindings_are_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bless = std::env::var_os("FDVJP_BLESS").is_some();
    let mut stale = Vec::new();
    if !header_is_current(root, bless) {
        stale.push("include/fdvjp.h".to_string());
    }
    if let Some(report) = bindings_are_stale(root, bless) {
        stale.push(report);
    }
    assert!(
        stale.is_empty(),
        "stale: {}; run `FDVJP_BLESS=1 cargo test --test header` and commit the result",
        stale.join("; ")
    );
}

/// Whether include/fdvjp.h equals what cbindgen and the layout give now (after writing it
/// when blessing).
fn header_is_current(root: &Path, bless: bool) -> bool {
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    // cbindgen reads the macro-expanded crate (`[parse.expand]`: the product entry points
    // are declared by a macro), which it gets from `cargo rustc -- -Zunpretty=expanded`.
    // That flag only prints the expanded source; RUSTC_BOOTSTRAP lets a stable rustc take
    // it, as cargo-expand does. Its own target directory keeps later runs to a second or two.
    std::env::set_var("RUSTC_BOOTSTRAP", "1");
    std::env::set_var(
        "CARGO_EXPAND_TARGET_DIR",
        concat!(env!("CARGO_TARGET_TMPDIR"), "/expand"),
    );
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut generated);
    let generated = String::from_utf8(generated).expect("utf-8 header");
    let generated = layout::arrange(&generated).unwrap_or_else(|e| panic!("{e}"));
    let path = root.join("include/fdvjp.h");
    if bless {
        std::fs::write(&path, &generated).expect("write include/fdvjp.h");
    }
    std::fs::read_to_string(&path).unwrap_or_default() == generated
}

/// The generator's complaint when the Python/Julia C layers differ from the header's
/// (after rewriting them when blessing); None when current, or when python3 is missing.
fn bindings_are_stale(root: &Path, bless: bool) -> Option<String> {
    let mut command = Command::new("python3");
    command.arg(root.join("bindings/signatures/generate_bindings.py"));
    if !bless {
        command.arg("--check");
    }
    let Ok(output) = command.output() else {
        eprintln!("python3 is not installed: the generated bindings were not checked");
        return None;
    };
    (!output.status.success()).then(|| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout).trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        )
    })
}

//! The checked-in header must equal what cbindgen generates from the sources now.
//! `FDVJP_BLESS=1 cargo test --test header` rewrites it.

use std::path::Path;

#[test]
fn header_is_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut generated);
    let generated = String::from_utf8(generated).expect("utf-8 header");
    let path = root.join("include/fdvjp.h");
    if std::env::var_os("FDVJP_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write include/fdvjp.h");
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "include/fdvjp.h is stale: run `FDVJP_BLESS=1 cargo test --test header` and commit it"
    );
}

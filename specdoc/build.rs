//! Embeds the rule fixtures (`tests/rules/*.toml`) in the `indiv` binary, so
//! that `indiv explain` and `indiv spec --format markdown` show each rule's
//! examples without the source tree. Writes `$OUT_DIR/fixtures.rs`, which
//! `src/fixtures.rs` includes.

use std::error::Error;
use std::fmt::Write as _;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn Error>> {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let dir = manifest.join("tests").join("rules");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            println!("cargo:rerun-if-changed={}", path.display());
            let name = path.file_name().and_then(|n| n.to_str()).ok_or("a fixture file name is not UTF-8")?.to_string();
            files.push((name, path));
        }
    }
    files.sort();
    let mut out = String::from(
        "/// Every fixture file of `specdoc/tests/rules/`, sorted by name: (file name, text).\n\
         pub(crate) static FILES: &[(&str, &str)] = &[\n",
    );
    for (name, path) in &files {
        let path = path.to_str().ok_or("a fixture path is not UTF-8")?;
        writeln!(out, "    ({name:?}, include_str!({path:?})),")?;
    }
    out.push_str("];\n");
    let target = PathBuf::from(std::env::var("OUT_DIR")?).join("fixtures.rs");
    // Rewrite only on change, so that an unchanged list does not rebuild the crate.
    if std::fs::read_to_string(&target).ok().as_deref() != Some(out.as_str()) {
        std::fs::write(&target, out)?;
    }
    Ok(())
}

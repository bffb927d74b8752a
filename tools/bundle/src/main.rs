//! `bundle <frontend.wasm> <out-dir>`: the dashboard's WASM as cargo compiled it, turned into
//! what its pages load: `promptvault_bg.wasm` and its JavaScript glue `promptvault.js` (an ES
//! module, wasm-bindgen's `--target web`), no TypeScript declarations.
//!
//! This is the step of the `wasm-bindgen` command-line tool, through its library, with the
//! options `scripts/build.sh` gave that tool. Built with the workspace, it needs no separate
//! `cargo install` on a new machine (the tool's own 160 crates took two minutes), and its
//! version is the one `Cargo.lock` pins beside the `wasm-bindgen` crate: the two must match
//! exactly, or the glue and the WASM disagree.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use wasm_bindgen_cli_support::Bindgen;

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [wasm, out_dir] = args.as_slice() else {
        eprintln!("usage: bundle <frontend.wasm> <out-dir>");
        return ExitCode::from(2);
    };
    match bundle(wasm, out_dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bundle: {}: {error:#}", wasm.display());
            ExitCode::FAILURE
        }
    }
}

/// What `wasm-bindgen --target web --no-typescript --out-name promptvault` writes.
fn bundle(wasm: &Path, out_dir: &Path) -> anyhow::Result<()> {
    Bindgen::new()
        .web(true)?
        .input_path(wasm)
        .out_name("promptvault")
        .typescript(false)
        // The tool's default (the library's is the opposite): the glue can find the WASM
        // beside itself when a page does not name it.
        .omit_default_module_path(false)
        .generate(out_dir)
}

//! The IDL from the program's source. The program's `__anchor_private_print_idl` test (feature
//! `idl-build`) prints it in pieces between `--- IDL begin <piece> ---` and `--- IDL end <piece>
//! ---` lines: the address, the program (instructions, accounts, types), each event with its
//! types, the errors and the constants. They are assembled, module paths shortened to names where
//! no two types share a name, and every list sorted, as `anchor idl build` does.
//!
//! Why not `anchor_lang_idl::build::IdlBuilder`, which does the same: it runs the build with
//! `RUSTFLAGS=-A warnings`, which compiles the program's whole dependency tree a second time
//! (9 minutes on a 2-core machine, against 2 for the feature alone).
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use anchor_lang_idl::types::{Idl, IdlConst, IdlErrorCode, IdlEvent, IdlTypeDef};
use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;

/// The program's crate directory.
pub fn program_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../programs/ballast")
}

/// Builds the program's IDL: compiles its `idl-build` test and assembles what it prints.
pub fn build(program_dir: &Path) -> Result<Idl> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["test", "-p", "ballast", "--features", "idl-build", "--lib", "--locked", "--"])
        .args(["__anchor_private_print_idl", "--show-output", "--quiet"])
        .env("ANCHOR_IDL_BUILD_PROGRAM_PATH", program_dir)
        .env("ANCHOR_IDL_BUILD_RESOLUTION", "TRUE")
        .env("ANCHOR_IDL_BUILD_SKIP_LINT", "FALSE")
        .env("ANCHOR_IDL_BUILD_NO_DOCS", "FALSE")
        .current_dir(program_dir)
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("running cargo")?;
    if !output.status.success() {
        bail!("the program's idl-build test failed");
    }
    assemble(&String::from_utf8_lossy(&output.stdout))
}

#[derive(Deserialize)]
struct EventPiece {
    event: IdlEvent,
    types: Vec<IdlTypeDef>,
}

/// The IDL from the printed pieces.
pub fn assemble(printed: &str) -> Result<Idl> {
    let mut address = None;
    let mut program: Option<Idl> = None;
    let mut events = Vec::new();
    let mut event_types = BTreeMap::new();
    let mut errors: Vec<IdlErrorCode> = Vec::new();
    let mut constants: Vec<IdlConst> = Vec::new();
    let mut lines = printed.lines();
    while let Some(line) = lines.next() {
        let Some(piece) = line.strip_prefix("--- IDL begin ").and_then(|rest| rest.strip_suffix(" ---")) else {
            continue;
        };
        let end = format!("--- IDL end {piece} ---");
        let body: Vec<&str> = lines.by_ref().take_while(|l| *l != end).collect();
        let body = body.join("\n");
        match piece {
            "address" => address = Some(body.replace(|c: char| !c.is_alphanumeric(), "")),
            "program" => program = Some(serde_json::from_str(&body).context("the program piece")?),
            "event" => {
                let EventPiece { event, types } = serde_json::from_str(&body).context("an event piece")?;
                events.push(event);
                event_types.extend(types.into_iter().map(|ty| (ty.name.clone(), ty)));
            }
            "errors" => errors = serde_json::from_str(&body).context("the errors piece")?,
            "const" => constants.push(serde_json::from_str(&body).context("a constant piece")?),
            other => bail!("an IDL piece of unknown kind: {other}"),
        }
    }
    let mut idl = program.ok_or_else(|| anyhow!("the test printed no program piece"))?;
    idl.address = address.ok_or_else(|| anyhow!("the test printed no address"))?;
    idl.events = events;
    idl.errors = errors;
    idl.constants = constants;
    event_types.extend(std::mem::take(&mut idl.types).into_iter().map(|ty| (ty.name.clone(), ty)));
    idl.types = event_types.into_values().collect();
    let mut idl = short_names(idl)?;
    idl.accounts.sort_by(|a, b| a.name.cmp(&b.name));
    idl.constants.sort_by(|a, b| a.name.cmp(&b.name));
    idl.events.sort_by(|a, b| a.name.cmp(&b.name));
    idl.instructions.sort_by(|a, b| a.name.cmp(&b.name));
    idl.types.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(idl)
}

/// `"ballast::events::Deposited"` becomes `"Deposited"` wherever no other path ends in the same
/// name.
fn short_names(idl: Idl) -> Result<Idl> {
    let text = serde_json::to_string(&idl)?;
    let path = regex::Regex::new(r#""(\w+::)+(\w+)""#)?;
    let mut by_name: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for found in path.captures_iter(&text) {
        by_name.entry(found[2].to_string()).or_default().insert(found[0].to_string());
    }
    let mut text = text;
    for (name, paths) in by_name {
        if let [only] = paths.into_iter().collect::<Vec<_>>().as_slice() {
            text = text.replace(only.as_str(), &format!("\"{name}\""));
        }
    }
    Ok(serde_json::from_str(&text)?)
}

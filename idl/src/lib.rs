//! Ballast's Anchor IDL: built from the program (natively: the program's `idl-build` test prints
//! the IDL in pieces, assembled here as the Anchor CLI assembles them), checked against the
//! committed `idl/ballast.json`, and read back to decode the program's instructions and events.
pub mod build;
pub mod decode;

pub use anchor_lang_idl::types::Idl;

/// The committed IDL, as the app serves it.
pub const COMMITTED: &str = include_str!("../ballast.json");

/// The committed IDL, parsed.
pub fn committed() -> anyhow::Result<Idl> {
    Ok(serde_json::from_str(COMMITTED)?)
}

/// The first line (from 1) where `committed` and `built` differ; `None` when they are the same.
pub fn first_difference(committed: &str, built: &str) -> Option<usize> {
    if committed == built {
        return None;
    }
    let same = committed.lines().zip(built.lines()).take_while(|(a, b)| a == b).count();
    Some(same + 1)
}

/// The IDL as it is committed: pretty JSON with a final newline.
pub fn to_json(idl: &Idl) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(idl)? + "\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_drifted_idl_is_found_at_its_first_changed_line() {
        let idl = "{\n  \"a\": 1,\n  \"b\": 2\n}\n";
        assert_eq!(super::first_difference(idl, idl), None);
        assert_eq!(super::first_difference(idl, &idl.replace("2", "3")), Some(3));
        assert_eq!(super::first_difference(idl, &idl.replace("}\n", "}")), Some(5));
        assert_eq!(super::first_difference(idl, "{\n"), Some(2));
    }
}

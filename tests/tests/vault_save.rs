//! The vault's integration tests again, every lending market created on Save's deployed
//! program (its SBF binary, in program-test's VM) instead of spl-token-lending 0.2.0: the same
//! cases, parameterised by the venue `VaultClient` binds.
#![allow(deprecated)]

#[ctor::ctor]
fn lend_on_save() {
    ballast_localnet::vault::set_default_venue(ballast::state::LendingVenue::Save);
}

mod cases;
/// Save's part of each vault instruction, in compute units, with its accounts and size.
#[path = "cases/save_compute_units.rs"]
mod save_compute_units;

//! `scenarios.rs` again, every lending market created on Save's deployed program (its SBF binary,
//! in program-test's VM) instead of spl-token-lending 0.2.0.
#![allow(deprecated)]

#[ctor::ctor]
fn lend_on_save() {
    ballast_localnet::vault::set_default_venue(ballast::state::LendingVenue::Save);
}

#[path = "cases/test_scenarios.rs"]
mod test_scenarios;

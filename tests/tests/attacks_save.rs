//! The attack suite again, every lending market created on Save's deployed program (its SBF
//! binary, in program-test's VM) instead of spl-token-lending 0.2.0.
#![allow(deprecated)]

#[ctor::ctor]
fn lend_on_save() {
    ballast_localnet::vault::set_default_venue(ballast::state::LendingVenue::Save);
}

#[path = "cases/attacks_accounts.rs"]
mod attacks_accounts;
#[path = "cases/attacks_authority.rs"]
mod attacks_authority;
#[path = "cases/attacks_common.rs"]
mod attacks_common;
#[path = "cases/attacks_economics.rs"]
mod attacks_economics;
#[path = "cases/attacks_extraction.rs"]
mod attacks_extraction;
#[path = "cases/attacks_history.rs"]
mod attacks_history;
#[path = "cases/attacks_risk.rs"]
mod attacks_risk;

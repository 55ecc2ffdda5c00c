//! The attack suite: one test per item of `docs/SECURITY.md`'s adversarial checklist, each
//! against the real program and counterparties.
#![allow(deprecated)]

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

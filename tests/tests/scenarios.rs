//! The scenarios of `keeper/scenarios`, shortened, replayed with and without the keeper.
#![allow(deprecated)]

#[path = "cases/test_scenarios.rs"]
mod test_scenarios;

//! The scenarios of `sim/scenarios`, shortened, replayed with and without the keeper.
#![allow(deprecated)]

#[path = "cases/test_scenarios.rs"]
mod test_scenarios;

#[path = "cases/test_scenario_fields.rs"]
mod test_scenario_fields;

#[path = "cases/test_search.rs"]
mod test_search;

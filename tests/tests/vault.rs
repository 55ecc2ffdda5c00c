//! Integration tests of the Ballast program against the real SPL programs. The attack suite,
//! the stateful property tests and the scenario replays are test binaries of their own
//! (`attacks.rs`, `stateful.rs`, `scenarios.rs`): program-test 1.18 keeps every bank it starts
//! alive until the process ends (its program cache holds its own bank forks), each with a few
//! background threads, so fewer banks per process keeps the heavy tests from paying for the
//! others' leftovers.
#![allow(deprecated)]

mod cases;
/// Save's deployed program on its own (layouts, health, liquidation, flash loans): once.
#[path = "cases/test_save_market.rs"]
mod test_save_market;

//! Property tests over random sequences of the whole program on one shared bank per batch.
#![allow(deprecated)]

#[path = "cases/test_property_sequences.rs"]
mod test_property_sequences;
#[path = "cases/test_stateful.rs"]
mod test_stateful;

//! The Ballast keeper: watches vaults from raw account bytes with the program crate's own math,
//! unwinds a vault before its lending market could liquidate it, cranks the stake pool after
//! an epoch boundary; and the DAO side of a vault (the proposal that changes risk parameters).
#![allow(deprecated)] // stake-pool 1.0 state is decoded with the borsh helpers it was written with

pub mod chain;
pub mod dao;
pub mod keeper;
pub mod lookup_table;
pub mod service;
pub mod trend;
pub mod view;

//! An embedded chain: the Ballast program and the real SPL programs (stake pool, lending, swap
//! and governance natively; spl-token and the stake program built into program-test) in one
//! `ProgramTest` bank, fixtures that seed them, and a client with one method per instruction.
//! The integration tests, the keeper's embedded mode and the demo run on it.
#![allow(deprecated)] // stake-pool 1.0 state is decoded with the borsh helpers it was written with

pub mod chain;
pub mod entry;
pub mod governance;
pub mod lending;
pub mod oracle;
pub mod save;
pub mod snapshot;
pub mod stake_pool;
pub mod swap;
pub mod vault;
pub mod vault_pool;

pub use chain::{Chain, TxResult};
pub use stake_pool::StakePoolFixture;
pub use vault::{VaultClient, VaultFixture};

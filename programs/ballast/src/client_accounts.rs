//! The client structs of the composite account sets no instruction names directly (Anchor keeps
//! them in crate-private modules), for the `ballast-client` crate.
pub use crate::__client_accounts_lending_core::LendingCore;
pub use crate::__client_accounts_loop_accounts::LoopAccounts;
pub use crate::__client_accounts_pool_accounts::{PoolAccounts, PoolCore};
pub use crate::__client_accounts_stake_pool_exit::StakePoolExit;

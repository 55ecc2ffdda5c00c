//! One module per external program. Program ids and account layouts of counterparties live
//! here and nowhere else.
pub mod lending;
pub mod positions;
pub mod save;
pub mod stake_pool;
pub mod token_lending;
pub mod token_swap;
pub mod wsol;

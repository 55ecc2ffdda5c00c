// Every module names its entry point `handler`; lib.rs calls each by its path. The glob
// re-exports exist for the account structs Anchor's `#[program]` expects at the crate root.
#![allow(ambiguous_glob_reexports)]

pub mod allocator_stake;
pub mod dao_accept_admin;
pub mod dao_cancel_risk_params;
pub mod dao_execute_risk_params;
pub mod dao_propose_risk_params;
pub mod dao_set_pause;
pub mod dao_set_roles;
pub mod dao_transfer_admin;
pub mod leave_loop;
pub mod lending_accounts;
pub mod lending_bind;
pub mod lending_supply;
pub mod lending_withdraw;
pub mod leverage_down;
pub mod leverage_up;
pub mod loop_exit;
pub mod pool_accounts;
pub mod pool_add;
pub mod pool_bind;
pub mod pool_remove;
pub mod unwind;
pub mod vault_deposit;
pub mod vault_harvest;
pub mod vault_initialize;
pub mod vault_withdraw;

pub use allocator_stake::*;
pub use dao_accept_admin::*;
pub use dao_cancel_risk_params::*;
pub use dao_execute_risk_params::*;
pub use dao_propose_risk_params::*;
pub use dao_set_pause::*;
pub use dao_set_roles::*;
pub use dao_transfer_admin::*;
pub use leave_loop::*;
pub use lending_accounts::*;
pub use lending_bind::*;
pub use lending_supply::*;
pub use lending_withdraw::*;
pub use leverage_down::*;
pub use leverage_up::*;
pub use loop_exit::*;
pub use pool_accounts::*;
pub use pool_add::*;
pub use pool_bind::*;
pub use pool_remove::*;
pub use unwind::*;
pub use vault_deposit::*;
pub use vault_harvest::*;
pub use vault_initialize::*;
pub use vault_withdraw::*;

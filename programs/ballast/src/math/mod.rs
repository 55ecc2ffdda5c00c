//! Pure arithmetic: no accounts, no syscalls, reachable from unit tests, the keeper and the app.
//! Each function that rounds says which way in its name.
pub mod fees;
pub mod health;
pub mod market;
pub mod pool_fair_value;
pub mod safe_math;
pub mod save_health;
pub mod shares;
pub mod unwind;
pub mod valuation;

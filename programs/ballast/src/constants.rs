//! Scales, seeds and hard caps. Every number the DAO cannot exceed lives here.

/// Basis points in one whole.
pub const BPS_DENOMINATOR: u64 = 10_000;
/// Seconds in a 365-day year, the period the management fee is quoted over.
pub const SECONDS_PER_YEAR: u64 = 365 * 24 * 60 * 60;
/// Share price in events is quoted as lamports per 10^9 share units (one whole share).
pub const SHARE_PRICE_SCALE: u64 = 1_000_000_000;
/// Shares have the same 9 decimals as SOL, so the first share is worth one lamport.
pub const SHARE_DECIMALS: u8 = 9;

/// The seed deposit that becomes dead shares: large enough that a donation or rounding
/// attack on the first real depositor costs the attacker far more than it could take.
pub const MIN_SEED_DEPOSIT_LAMPORTS: u64 = 1_000_000;

/// The borrow that opens the vault's SOL borrow entry in the lending market before the real
/// borrow (see `LendingAccounts::borrow_sol_at_par`): the smallest borrow that passes any borrow
/// fee below 100% with its minimum of two lamports.
pub const SEED_BORROW_LAMPORTS: u64 = 3;

// Hard caps on what a DAO may vote in.
pub const MAX_MANAGEMENT_FEE_BPS: u16 = 500;
pub const MAX_PERFORMANCE_FEE_BPS: u16 = 3_000;
pub const MAX_WITHDRAWAL_FEE_BPS: u16 = 100;
pub const MAX_KEEPER_REWARD_BPS: u16 = 100;
pub const MAX_LTV_BPS: u16 = 9_500;
/// 10x: leverage is quoted in bps of 1x.
pub const MAX_LEVERAGE_BPS: u32 = 100_000;
pub const MAX_ORACLE_AGE_SECS: u32 = 3_600;
pub const MAX_CONF_BPS: u16 = 1_000;
pub const MAX_DEPEG_BPS: u16 = 2_000;
pub const MAX_SLIPPAGE_BPS: u16 = 1_000;
/// An unwind's bound stays small whatever the conversion bound: it is what a caller who
/// sandwiches the unwind can take.
pub const MAX_UNWIND_SLIPPAGE_BPS: u16 = 100;
/// How far below the lending market's borrow limit the unwind trigger must sit: above the limit
/// the market refuses any collateral withdrawal, so an unwind that starts there has no room.
pub const MIN_TRIGGER_MARGIN_BELOW_BORROW_LIMIT_BPS: u16 = 100;
pub const MIN_TIMELOCK_SECS: u32 = 24 * 60 * 60;
pub const MAX_TIMELOCK_SECS: u32 = 30 * 24 * 60 * 60;
pub const MAX_PROFIT_UNLOCK_SECS: u32 = 30 * 24 * 60 * 60;

pub mod seeds {
    pub const VAULT: &[u8] = b"vault";
    pub const SHARE_MINT: &[u8] = b"shares";
    pub const SOL_RESERVE: &[u8] = b"sol_reserve";
    pub const LST_ACCOUNT: &[u8] = b"lst";
    pub const DEAD_SHARES: &[u8] = b"dead_shares";
    pub const COLLATERAL_ACCOUNT: &[u8] = b"collateral";
    pub const WSOL_ACCOUNT: &[u8] = b"wsol";
    pub const POOL_TOKEN_ACCOUNT: &[u8] = b"pool_tokens";
    pub const POOL_WSOL_ACCOUNT: &[u8] = b"pool_wsol";
}

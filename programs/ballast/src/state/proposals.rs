//! Timelocked changes other than risk parameters: binding a lending market, binding a pool, and
//! naming the roles. Each is proposed by the admin, may be executed once the timelock has passed
//! and until `PROPOSAL_GRACE_SECS` after that, and may be cancelled until executed. One pending
//! proposal of each kind; an expired one may be replaced.
use anchor_lang::prelude::*;

use crate::errors::VaultError;

/// How long after its ETA a proposal may still be executed. After that it is void: a change
/// nobody executed for a week is not one depositors can be expected to still be watching.
pub const PROPOSAL_GRACE_SECS: i64 = 7 * 86_400;

/// The ETA of a proposal made now under `timelock_secs`.
pub fn eta_from_now(now_unix: i64, timelock_secs: u32) -> Result<i64> {
    now_unix.checked_add(timelock_secs as i64).ok_or_else(|| error!(VaultError::MathOverflow))
}

/// A proposal with this ETA may be executed now: the timelock has passed and it has not expired.
pub fn require_executable(eta_unix: i64, now_unix: i64) -> Result<()> {
    require!(now_unix >= eta_unix, VaultError::TimelockNotExpired);
    require!(!expired(eta_unix, now_unix), VaultError::ProposalExpired);
    Ok(())
}

/// Past its grace period: void, and replaceable by a new proposal.
pub fn expired(eta_unix: i64, now_unix: i64) -> bool {
    now_unix > eta_unix.saturating_add(PROPOSAL_GRACE_SECS)
}

/// A new proposal may take the slot of `pending` (none, or one that expired).
pub fn require_slot_free(pending_eta_unix: Option<i64>, now_unix: i64) -> Result<()> {
    require!(pending_eta_unix.is_none_or(|eta| expired(eta, now_unix)), VaultError::ChangePending);
    Ok(())
}

/// A lending market and its two reserves, proposed for `bind_lending`.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingLending {
    pub market: Pubkey,
    pub lst_reserve: Pubkey,
    pub sol_reserve: Pubkey,
    pub eta_unix: i64,
}

/// A stable-swap pool, proposed for `bind_pool`.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingPool {
    pub swap: Pubkey,
    pub eta_unix: i64,
}

/// The three roles, proposed for `set_roles`.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingRoles {
    pub guardian: Pubkey,
    pub allocator: Pubkey,
    pub fee_recipient: Pubkey,
    pub eta_unix: i64,
}

/// Which pending proposal `cancel_proposal` drops.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProposalKind {
    RiskParams,
    Lending,
    Pool,
    Roles,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proposal_runs_from_its_eta_until_the_grace_period_ends() {
        let eta = 1_000;
        assert!(require_executable(eta, eta - 1).is_err());
        assert!(require_executable(eta, eta).is_ok());
        assert!(require_executable(eta, eta + PROPOSAL_GRACE_SECS).is_ok());
        assert!(require_executable(eta, eta + PROPOSAL_GRACE_SECS + 1).is_err());
        assert!(require_slot_free(None, 0).is_ok());
        assert!(require_slot_free(Some(eta), eta + PROPOSAL_GRACE_SECS).is_err());
        assert!(require_slot_free(Some(eta), eta + PROPOSAL_GRACE_SECS + 1).is_ok());
        assert_eq!(eta_from_now(10, 172_800).unwrap(), 172_810);
        assert!(eta_from_now(i64::MAX, 1).is_err());
    }
}

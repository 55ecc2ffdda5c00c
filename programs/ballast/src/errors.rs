use anchor_lang::prelude::*;

#[error_code]
pub enum VaultError {
    #[msg("Arithmetic overflow or division by zero")]
    MathOverflow,
    #[msg("Amount must be greater than zero")]
    ZeroAmount,
    #[msg("The deposit would mint zero shares")]
    ZeroSharesMinted,
    #[msg("The withdrawal would pay zero lamports")]
    ZeroLamportsOut,
    #[msg("Fewer shares than min_shares_out")]
    MinSharesOutNotMet,
    #[msg("Fewer lamports than min_lamports_out")]
    MinLamportsOutNotMet,
    #[msg("The deposit would exceed the vault's deposit cap")]
    DepositCapExceeded,
    #[msg("The SOL reserve cannot pay this amount")]
    InsufficientReserve,
    #[msg("The vault is paused")]
    VaultPaused,
    #[msg("The vault has no assets backing its shares")]
    VaultInsolvent,
    #[msg("Seed deposit below the minimum")]
    SeedDepositTooSmall,
    #[msg("Signer is not the vault admin")]
    NotAdmin,
    #[msg("Signer is not the pending admin")]
    NotPendingAdmin,
    #[msg("Signer is not the allocator")]
    NotAllocator,
    #[msg("Signer may not change the pause state this way")]
    NotPauseAuthority,
    #[msg("A risk parameter change is already pending")]
    RiskParamsChangePending,
    #[msg("No risk parameter change is pending")]
    NoPendingRiskParams,
    #[msg("The timelock has not expired")]
    TimelockNotExpired,
    #[msg("Fee above its hard cap")]
    FeeAboveCap,
    #[msg("LTV bounds out of order or above the hard cap")]
    LtvBoundsInvalid,
    #[msg("Leverage bound out of range")]
    LeverageBoundInvalid,
    #[msg("Oracle bound out of range")]
    OracleBoundInvalid,
    #[msg("Slippage bound out of range")]
    SlippageBoundInvalid,
    #[msg("Allocation cap out of range")]
    AllocationCapInvalid,
    #[msg("Timelock out of range")]
    TimelockInvalid,
    #[msg("Profit unlock period out of range")]
    ProfitUnlockInvalid,
    #[msg("Account is not the vault's bound stake pool")]
    StakePoolMismatch,
    #[msg("Stake pool account is not owned by a supported stake-pool program, or not by the one the vault pinned")]
    StakePoolOwnerMismatch,
    #[msg("Stake pool account could not be decoded")]
    StakePoolInvalid,
    #[msg("Stake pool was not updated this epoch: run UpdateValidatorListBalance and UpdateStakePoolBalance first")]
    StakePoolStale,
    #[msg("The stake pool's mint is not the vault's LST mint")]
    LstMintMismatch,
    #[msg("The stake pool paid less LST than its rate allows")]
    StakeDepositShortfall,
    #[msg("Source and destination must differ")]
    DuplicateAccount,
    #[msg("Share token account does not receive fees for this vault")]
    FeeRecipientMismatch,
    #[msg("Reserve would fall below the minimum SOL reserve")]
    MinReserveBreached,
    #[msg("Price account is not owned by the Pyth receiver program")]
    OracleOwnerMismatch,
    #[msg("Price account is not a PriceUpdateV2")]
    OracleAccountInvalid,
    #[msg("Price update is not fully verified")]
    OracleNotFullyVerified,
    #[msg("Price update is for another feed")]
    OracleFeedMismatch,
    #[msg("Price update is older than max_oracle_age_secs")]
    OracleStale,
    #[msg("Price is zero or negative")]
    OraclePriceNotPositive,
    #[msg("Price confidence interval wider than max_conf_bps")]
    OracleConfidenceTooWide,
    #[msg("Price exponent outside the supported range")]
    OracleExponentUnsupported,
    #[msg("Market LST/SOL price is further from the stake-pool rate than max_depeg_bps")]
    OracleDepegTooLarge,
    #[msg("Lending account is not the one this vault is bound to")]
    LendingAccountMismatch,
    #[msg("Lending account is not owned by the lending program or cannot be decoded")]
    LendingAccountInvalid,
    #[msg("This vault has a lending position: pass [obligation, LST reserve, SOL reserve] after the named accounts")]
    LendingAccountsMissing,
    #[msg("The vault is already bound to a lending market")]
    LendingAlreadyBound,
    #[msg("The vault is not bound to a lending market")]
    LendingNotBound,
    #[msg("Reserve does not lend the expected token")]
    LendingReserveMintMismatch,
    #[msg("unwind_trigger_ltv_bps must sit below the market's liquidation threshold")]
    TriggerAboveLiquidationThreshold,
    #[msg("Borrowed value would exceed the lending market's borrow limit")]
    BorrowLimitExceeded,
    #[msg("Conservative LTV would exceed target_ltv_high_bps")]
    LtvAboveMax,
    #[msg("Leverage would exceed max_leverage_bps")]
    LeverageAboveMax,
    #[msg("Equity in the lending market would exceed max_lending_alloc_bps")]
    LendingAllocationExceeded,
    #[msg("A counterparty moved a different amount than accounted")]
    BalanceMismatch,
    #[msg("Pool account is not the one this vault is bound to")]
    PoolAccountMismatch,
    #[msg("Pool account is not owned by the expected program or cannot be decoded")]
    PoolAccountInvalid,
    #[msg("This vault has a pool: pass [pool mint, pool LST reserve, pool wSOL reserve] after the lending accounts")]
    PoolAccountsMissing,
    #[msg("The vault is already bound to a pool")]
    PoolAlreadyBound,
    #[msg("The vault is not bound to a pool")]
    PoolNotBound,
    #[msg("Pool must trade the vault's LST (token A) against wrapped SOL (token B)")]
    PoolMintsUnsupported,
    #[msg("Pool must use SPL Token, the stable curve and no withdrawal fee")]
    PoolUnsupported,
    #[msg("The pool's curve cannot price this amount")]
    PoolQuoteFailed,
    #[msg("The pool's price is further from the stake-pool rate than max_slippage_bps")]
    PoolPriceOffRate,
    #[msg("The pool would pay less than the stake-pool rate minus max_slippage_bps")]
    SlippageExceeded,
    #[msg("The vault's value in the pool would exceed max_pool_alloc_bps")]
    PoolAllocationExceeded,
    #[msg("Neither the SOL reserve nor an LST sale through the pool can pay this withdrawal")]
    InsufficientLiquidity,
    #[msg("The vault does not hold that much of this asset")]
    InsufficientHoldings,
    #[msg("The lending market's LTV is at or below unwind_trigger_ltv_bps: nothing to unwind")]
    UnwindNotNeeded,
    #[msg("Selling collateral through the pool cannot bring the LTV to the target")]
    UnwindTargetUnreachable,
    #[msg("The unwind would not leave the LTV lower and at or below its target")]
    UnwindInsufficient,
    #[msg("The lending market's borrow limit blocks any collateral withdrawal: unwind before it is reached")]
    UnwindBlockedByBorrowLimit,
    #[msg("The lending market added more debt than the borrow and its fee")]
    BorrowOvercharged,
    #[msg("The pool's curve has no point priced at the stake-pool rate within range: it cannot be valued")]
    PoolCurveOutOfRange,
    #[msg("A fee changes: harvest in the same transaction first, so fees so far accrue at the old rates")]
    HarvestRequired,
    #[msg("unwind_trigger_ltv_bps must sit at least MIN_TRIGGER_MARGIN_BELOW_BORROW_LIMIT_BPS below the market's borrow limit")]
    TriggerTooCloseToBorrowLimit,
    #[msg("The lending market's own LTV would be above target_ltv_high_bps")]
    MarketLtvAboveBand,
    #[msg("The lending market's LTV is already at or below the target: nothing to leave")]
    LeaveLoopNotNeeded,
    #[msg("The target LTV must be below 100%")]
    TargetLtvInvalid,
    #[msg("A proposal of this kind is pending: execute or cancel it first")]
    ChangePending,
    #[msg("No proposal of this kind is pending")]
    NoPendingProposal,
    #[msg("The accounts differ from the pending proposal's")]
    ProposalMismatch,
    #[msg("The proposal was not executed within PROPOSAL_GRACE_SECS of its ETA: it is void")]
    ProposalExpired,
    #[msg("The lending market's oracle program is not the pinned Pyth program")]
    LendingOracleProgramNotPinned,
    #[msg("The lending market's owner changed since it was bound: no risk is added until the DAO binds anew")]
    LendingMarketOwnerChanged,
    #[msg("The LST reserve's liquidity is borrowed out and the vault has no SOL of its own to repay with")]
    UnwindLstReserveIlliquid,
    #[msg("The stake-pool program is not the one the vault pinned at initialisation")]
    StakePoolProgramMismatch,
    #[msg("No flash borrow of this amount from the bound SOL reserve into the exit's wSOL account just before this instruction")]
    FlashLoanMissing,
    #[msg("The bound lending venue has no flash loan a vault instruction can be paid from")]
    FlashLoanUnsupported,
    #[msg("The flash loan is larger than the debt it would repay")]
    FlashLoanTooLarge,
    #[msg("The conversions did not raise the flash loan and its fee: choose a smaller loan")]
    FlashLoanUnpaid,
}

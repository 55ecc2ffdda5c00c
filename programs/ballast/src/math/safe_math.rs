//! Checked arithmetic that reports where it failed. `#[track_caller]` puts the caller's file and
//! line in the program log, which is what an auditor needs when an overflow error comes back.
use anchor_lang::prelude::*;

use crate::errors::VaultError;

#[track_caller]
#[inline(never)]
pub fn overflow() -> Error {
    let caller = std::panic::Location::caller();
    msg!("math overflow at {}:{}", caller.file(), caller.line());
    error!(VaultError::MathOverflow)
}

/// A result of the lending program's own `Decimal`/`Rate` math, its failure reported as ours.
#[track_caller]
pub fn lending_math<T>(r: std::result::Result<T, ProgramError>) -> Result<T> {
    r.map_err(|_| overflow())
}

#[track_caller]
pub fn add(a: u64, b: u64) -> Result<u64> {
    a.checked_add(b).ok_or_else(overflow)
}

#[track_caller]
pub fn sub(a: u64, b: u64) -> Result<u64> {
    a.checked_sub(b).ok_or_else(overflow)
}

/// `a * b / c` in u128, rounded down.
#[track_caller]
pub fn mul_div_floor(a: u64, b: u64, c: u64) -> Result<u64> {
    if c == 0 {
        return Err(overflow());
    }
    let q = (a as u128) * (b as u128) / (c as u128);
    u64::try_from(q).map_err(|_| overflow())
}

/// `a * b / c` in u128, rounded up.
#[track_caller]
pub fn mul_div_ceil(a: u64, b: u64, c: u64) -> Result<u64> {
    if c == 0 {
        return Err(overflow());
    }
    let q = ((a as u128) * (b as u128)).div_ceil(c as u128);
    u64::try_from(q).map_err(|_| overflow())
}

/// `amount * bps / 10_000`, rounded up: for fees charged by the vault.
#[track_caller]
pub fn bps_of_ceil(amount: u64, bps: u64) -> Result<u64> {
    mul_div_ceil(amount, bps, crate::constants::BPS_DENOMINATOR)
}

/// `amount * bps / 10_000`, rounded down: for bounds a counterparty must meet.
#[track_caller]
pub fn bps_of_floor(amount: u64, bps: u64) -> Result<u64> {
    mul_div_floor(amount, bps, crate::constants::BPS_DENOMINATOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mul_div_rounds_as_named() {
        assert_eq!(mul_div_floor(10, 10, 3).unwrap(), 33);
        assert_eq!(mul_div_ceil(10, 10, 3).unwrap(), 34);
        assert_eq!(mul_div_ceil(9, 1, 3).unwrap(), 3);
        assert_eq!(mul_div_floor(u64::MAX, u64::MAX, u64::MAX).unwrap(), u64::MAX);
    }

    #[test]
    fn overflow_and_zero_divisor_are_errors() {
        assert!(mul_div_floor(u64::MAX, 2, 1).is_err());
        assert!(mul_div_ceil(1, 1, 0).is_err());
        assert!(add(u64::MAX, 1).is_err());
        assert!(sub(0, 1).is_err());
    }
}

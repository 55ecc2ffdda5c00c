//! Instruction builders for off-chain callers (keeper, app, tests), behind the `client`
//! feature: one place that knows each instruction's accounts.
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::solana_program::pubkey::Pubkey;
use anchor_lang::{InstructionData, ToAccountMetas};

use crate::state::RiskParams;

/// The vault an admin instruction acts on, its admin, and the LST reserve of its lending market
/// once bound (parameter changes are checked against its liquidation threshold).
#[derive(Clone, Copy, Debug)]
pub struct AdminTarget {
    pub vault: Pubkey,
    pub admin: Pubkey,
    pub lst_reserve: Option<Pubkey>,
}

impl AdminTarget {
    fn with_market(&self, mut metas: Vec<AccountMeta>) -> Vec<AccountMeta> {
        metas.extend(self.lst_reserve.map(|reserve| AccountMeta::new_readonly(reserve, false)));
        metas
    }
}

pub fn propose_risk_params(target: &AdminTarget, params: RiskParams) -> Instruction {
    let accounts = crate::accounts::ProposeRiskParams { admin: target.admin, vault: target.vault };
    Instruction {
        program_id: crate::ID,
        accounts: target.with_market(accounts.to_account_metas(None)),
        data: crate::instruction::ProposeRiskParams { params }.data(),
    }
}

pub fn execute_risk_params(target: &AdminTarget) -> Instruction {
    let accounts = crate::accounts::ExecuteRiskParams { admin: target.admin, vault: target.vault };
    Instruction {
        program_id: crate::ID,
        accounts: target.with_market(accounts.to_account_metas(None)),
        data: crate::instruction::ExecuteRiskParams {}.data(),
    }
}

pub fn cancel_risk_params(vault: Pubkey, admin: Pubkey) -> Instruction {
    Instruction {
        program_id: crate::ID,
        accounts: crate::accounts::CancelRiskParams { admin, vault }.to_account_metas(None),
        data: crate::instruction::CancelRiskParams {}.data(),
    }
}

pub fn set_pause(vault: Pubkey, authority: Pubkey, paused: bool) -> Instruction {
    Instruction {
        program_id: crate::ID,
        accounts: crate::accounts::SetPause { authority, vault }.to_account_metas(None),
        data: crate::instruction::SetPause { paused }.data(),
    }
}

pub fn transfer_admin(vault: Pubkey, admin: Pubkey, new_admin: Pubkey) -> Instruction {
    Instruction {
        program_id: crate::ID,
        accounts: crate::accounts::TransferAdmin { admin, vault }.to_account_metas(None),
        data: crate::instruction::TransferAdmin { new_admin }.data(),
    }
}

pub fn accept_admin(vault: Pubkey, pending_admin: Pubkey) -> Instruction {
    Instruction {
        program_id: crate::ID,
        accounts: crate::accounts::AcceptAdmin { pending_admin, vault }.to_account_metas(None),
        data: crate::instruction::AcceptAdmin {}.data(),
    }
}

pub fn set_roles(
    vault: Pubkey,
    admin: Pubkey,
    guardian: Pubkey,
    allocator: Pubkey,
    fee_recipient: Pubkey,
) -> Instruction {
    Instruction {
        program_id: crate::ID,
        accounts: crate::accounts::SetRoles { admin, vault }.to_account_metas(None),
        data: crate::instruction::SetRoles { guardian, allocator, fee_recipient }.data(),
    }
}

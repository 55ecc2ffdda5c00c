//! A DAO on the real spl-governance 4.0.0 program (the program behind Realms): a realm with a
//! community mint, voters with deposited tokens, and a governance whose PDA becomes the vault's
//! admin. Proposals are created, signed off, voted, finalized and executed through the program.
use solana_program::instruction::Instruction;
use solana_program::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use spl_governance::instruction as gov_ix;
use spl_governance::state::enums::{MintMaxVoterWeightSource, VoteThreshold, VoteTipping};
use spl_governance::state::governance::{get_governance_address, GovernanceConfig};
use spl_governance::state::proposal::{get_proposal_address, VoteType};
use spl_governance::state::proposal_transaction::{get_proposal_transaction_address, InstructionData};
use spl_governance::state::realm::get_realm_address;
use spl_governance::state::token_owner_record::get_token_owner_record_address;
use spl_governance::state::vote_record::{Vote, VoteChoice};

use crate::chain::{Chain, TxResult};

/// Where the harness loads spl-governance: the address of the program Realms uses on mainnet.
pub fn governance_program_id() -> Pubkey {
    solana_program::pubkey!("GovER5Lthms3bLBqWub97yVrMmEogzX7xNjdXpPPCVZw")
}

/// Voting lasts three days; a passed transaction waits at least a day before it may execute.
pub const VOTING_BASE_SECS: u32 = 3 * 24 * 60 * 60;
pub const MIN_HOLD_UP_SECS: u32 = 24 * 60 * 60;

pub struct Voter {
    pub keypair: Keypair,
    pub token_owner_record: Pubkey,
    /// Community tokens left in the voter's wallet after the deposit.
    pub wallet: Pubkey,
}

pub struct Dao {
    pub program: Pubkey,
    pub realm: Pubkey,
    pub community_mint: Pubkey,
    pub governance: Pubkey,
    pub voters: Vec<Voter>,
}

pub fn governance_config() -> GovernanceConfig {
    GovernanceConfig {
        community_vote_threshold: VoteThreshold::YesVotePercentage(50),
        min_community_weight_to_create_proposal: 1,
        min_transaction_hold_up_time: MIN_HOLD_UP_SECS,
        voting_base_time: VOTING_BASE_SECS,
        community_vote_tipping: VoteTipping::Strict,
        council_vote_threshold: VoteThreshold::Disabled,
        council_veto_vote_threshold: VoteThreshold::Disabled,
        min_council_weight_to_create_proposal: 0,
        council_vote_tipping: VoteTipping::Disabled,
        community_veto_vote_threshold: VoteThreshold::Disabled,
        voting_cool_off_time: 0,
        deposit_exempt_proposal_count: 10,
    }
}

/// A transaction of a proposal: its instructions and how long it waits after the vote.
pub struct ProposalTx {
    pub instructions: Vec<Instruction>,
    pub hold_up_secs: u32,
}

impl Dao {
    /// A realm named `name` whose community tokens are split between voters as `weights`, and
    /// one governance (created by the first voter) over an arbitrary seed account.
    pub async fn create(chain: &mut Chain, name: &str, weights: &[u64]) -> Self {
        let program = governance_program_id();
        let payer = chain.payer();
        let mint_authority = Keypair::new();
        let community_mint = chain.mint(&mint_authority.pubkey(), 6).await;
        let realm = get_realm_address(&program, name);
        let create_realm = gov_ix::create_realm(
            &program,
            &payer.pubkey(),
            &community_mint,
            &payer.pubkey(),
            None,
            None,
            None,
            name.to_string(),
            1,
            MintMaxVoterWeightSource::FULL_SUPPLY_FRACTION,
        );
        chain.send_ok(&[create_realm], &[]).await;

        let mut voters = Vec::new();
        for &weight in weights {
            let keypair = chain.funded_keypair(1_000_000_000).await;
            let wallet = chain.token_account(&community_mint, &keypair.pubkey()).await;
            let mint_to = spl_token::instruction::mint_to(
                &spl_token::id(),
                &community_mint,
                &wallet,
                &mint_authority.pubkey(),
                &[],
                weight,
            )
            .unwrap();
            let deposit = gov_ix::deposit_governing_tokens(
                &program,
                &realm,
                &wallet,
                &keypair.pubkey(),
                &keypair.pubkey(),
                &payer.pubkey(),
                weight,
                &community_mint,
            );
            chain.send_ok(&[mint_to, deposit], &[&mint_authority, &keypair]).await;
            let token_owner_record =
                get_token_owner_record_address(&program, &realm, &community_mint, &keypair.pubkey());
            voters.push(Voter { keypair, token_owner_record, wallet });
        }

        let governed = Pubkey::new_unique();
        let creator = &voters[0];
        let create_governance = gov_ix::create_governance(
            &program,
            &realm,
            Some(&governed),
            &creator.token_owner_record,
            &payer.pubkey(),
            &creator.keypair.pubkey(),
            None,
            governance_config(),
        );
        chain.send_ok(&[create_governance], &[&creator.keypair]).await;
        let governance = get_governance_address(&program, &realm, &governed);
        Self { program, realm, community_mint, governance, voters }
    }

    /// A proposal by voter `owner` holding `txs`, signed off and open for voting.
    pub async fn propose(&self, chain: &mut Chain, owner: usize, name: &str, txs: Vec<ProposalTx>) -> Pubkey {
        let payer = chain.payer();
        let voter = &self.voters[owner];
        let seed = Pubkey::new_unique();
        let proposal = get_proposal_address(&self.program, &self.governance, &self.community_mint, &seed);
        let create = gov_ix::create_proposal(
            &self.program,
            &self.governance,
            &voter.token_owner_record,
            &voter.keypair.pubkey(),
            &payer.pubkey(),
            None,
            &self.realm,
            name.to_string(),
            String::new(),
            &self.community_mint,
            VoteType::SingleChoice,
            vec!["Approve".to_string()],
            true,
            &seed,
        );
        chain.send_ok(&[create], &[&voter.keypair]).await;
        for (index, tx) in txs.into_iter().enumerate() {
            let insert = gov_ix::insert_transaction(
                &self.program,
                &self.governance,
                &proposal,
                &voter.token_owner_record,
                &voter.keypair.pubkey(),
                &payer.pubkey(),
                0,
                index as u16,
                tx.hold_up_secs,
                tx.instructions.into_iter().map(InstructionData::from).collect(),
            );
            chain.send_ok(&[insert], &[&voter.keypair]).await;
        }
        let sign_off = gov_ix::sign_off_proposal(
            &self.program,
            &self.realm,
            &self.governance,
            &proposal,
            &voter.keypair.pubkey(),
            Some(&voter.token_owner_record),
        );
        chain.send_ok(&[sign_off], &[&voter.keypair]).await;
        proposal
    }

    pub async fn vote(
        &self,
        chain: &mut Chain,
        proposal: &Pubkey,
        owner: usize,
        voter: usize,
        approve: bool,
    ) -> TxResult {
        let payer = chain.payer();
        let v = &self.voters[voter];
        let vote =
            if approve { Vote::Approve(vec![VoteChoice { rank: 0, weight_percentage: 100 }]) } else { Vote::Deny };
        let ix = gov_ix::cast_vote(
            &self.program,
            &self.realm,
            &self.governance,
            proposal,
            &self.voters[owner].token_owner_record,
            &v.token_owner_record,
            &v.keypair.pubkey(),
            &self.community_mint,
            &payer.pubkey(),
            None,
            None,
            vote,
        );
        chain.send(&[ix], &[&v.keypair]).await
    }

    pub async fn finalize(&self, chain: &mut Chain, proposal: &Pubkey, owner: usize) -> TxResult {
        let ix = gov_ix::finalize_vote(
            &self.program,
            &self.realm,
            &self.governance,
            proposal,
            &self.voters[owner].token_owner_record,
            &self.community_mint,
            None,
        );
        chain.send(&[ix], &[]).await
    }

    pub async fn cancel(&self, chain: &mut Chain, proposal: &Pubkey, owner: usize) -> TxResult {
        let v = &self.voters[owner];
        let ix = gov_ix::cancel_proposal(
            &self.program,
            &self.realm,
            &self.governance,
            proposal,
            &v.token_owner_record,
            &v.keypair.pubkey(),
        );
        chain.send(&[ix], &[&v.keypair]).await
    }

    /// Executes transaction `index` of `proposal`, which holds `instruction`. Anyone may.
    pub async fn execute(
        &self,
        chain: &mut Chain,
        proposal: &Pubkey,
        index: u16,
        instruction: &Instruction,
    ) -> TxResult {
        let transaction =
            get_proposal_transaction_address(&self.program, proposal, &0u8.to_le_bytes(), &index.to_le_bytes());
        // The governance PDA signs inside the governance program, not in this transaction.
        let accounts: Vec<_> = instruction
            .accounts
            .iter()
            .map(|meta| solana_program::instruction::AccountMeta { is_signer: false, ..meta.clone() })
            .collect();
        let ix = gov_ix::execute_transaction(
            &self.program,
            &self.governance,
            proposal,
            &transaction,
            &instruction.program_id,
            &accounts,
        );
        chain.send(&[ix], &[]).await
    }

    pub async fn proposal_state(
        &self,
        chain: &mut Chain,
        proposal: &Pubkey,
    ) -> spl_governance::state::enums::ProposalState {
        let data = chain.data(proposal).await;
        solana_program::borsh0_10::try_from_slice_unchecked::<spl_governance::state::proposal::ProposalV2>(&data)
            .expect("proposal account")
            .state
    }
}

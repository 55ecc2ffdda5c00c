//! Save (formerly Solend), the deployed lending program: its account layouts (`state`) and
//! instructions (`instruction`) as plain data, written from its public layout and checked
//! against the deployed binary in the tests.
use anchor_lang::prelude::*;

pub mod instruction;
pub mod state;

/// Save's program on mainnet; the tests load the deployed binary at this address.
pub const SAVE_PROGRAM_ID: Pubkey = pubkey!("So1endDq2YkqhipRh3WViPa8hdiSpxWy6z3Z6tMCpAo");
/// The oracle programs Save tells apart by owner: legacy Pyth price accounts and Switchboard v2.
pub const SWITCHBOARD_V2_PROGRAM_ID: Pubkey = pubkey!("SW1TCH7qEPTdLsDHRgPuMQjbQxKdH2aBStViMFnt64f");

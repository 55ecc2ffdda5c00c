//! "Changes nothing": the lamports and bytes of every account a rejected call could touch,
//! taken before and compared after.
use solana_program::pubkey::Pubkey;

use crate::chain::Chain;

/// An account's lamports and data; `None` when it does not exist.
type AccountState = Option<(u64, Vec<u8>)>;

#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot(Vec<(Pubkey, AccountState)>);

impl Snapshot {
    pub async fn take(chain: &mut Chain, keys: &[Pubkey]) -> Self {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            let account = chain.ctx.banks_client.get_account(*key).await.unwrap();
            out.push((*key, account.map(|a| (a.lamports, a.data))));
        }
        Snapshot(out)
    }

    #[track_caller]
    pub fn assert_same(&self, after: &Snapshot) {
        for ((key, before), (_, now)) in self.0.iter().zip(after.0.iter()) {
            assert!(before == now, "account {key} changed");
        }
    }
}

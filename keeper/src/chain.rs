//! The keeper's view of a chain: read accounts, learn the slot, simulate and send. Two back
//! ends: the embedded program-test bank of `ballast-localnet`, and JSON-RPC (`rpc`).
use anyhow::{anyhow, Result};
use solana_banks_client::BanksClient;
use solana_sdk::account::Account;
use solana_sdk::address_lookup_table::AddressLookupTableAccount;
use solana_sdk::clock::Clock;
use solana_sdk::hash::Hash;
use solana_sdk::instruction::Instruction;
use solana_sdk::message::{v0, VersionedMessage};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signature, Signer};
use solana_sdk::transaction::{Transaction, VersionedTransaction};

/// The most bytes a transaction may have on a cluster (one network packet).
pub const MAX_TRANSACTION_BYTES: usize = solana_sdk::packet::PACKET_DATA_SIZE;

/// Why a sent transaction did not land, when it never will.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The cluster executed it and it failed: sending it again fails again.
    #[error("transaction {signature} failed: {error}")]
    Failed { signature: Signature, error: String },
    /// Its blockhash expired before it landed: it can no longer land, and a new transaction (a
    /// new blockhash) may be built without doubling it.
    #[error("transaction {signature} expired unconfirmed after {broadcasts} broadcasts")]
    Expired { signature: Signature, broadcasts: u32 },
    /// Over the size a cluster accepts, even with the lookup tables given: never sent.
    #[error(
        "the transaction is {bytes} bytes, over the {MAX_TRANSACTION_BYTES} a cluster accepts: give the keeper an address lookup table with the vault's accounts (`ballast-keeper lookup-table`)"
    )]
    TooLarge { bytes: usize },
}

/// `ixs` signed and paid by `payer`: a legacy transaction when it fits, else a version 0 one
/// whose accounts `tables` hold are looked up there; `SendError::TooLarge` when neither fits.
pub fn compile(
    ixs: &[Instruction],
    payer: &Keypair,
    tables: &[AddressLookupTableAccount],
    blockhash: Hash,
) -> Result<VersionedTransaction> {
    let size = |tx: &VersionedTransaction| bincode::serialized_size(tx).map(|n| n as usize);
    let legacy =
        VersionedTransaction::from(Transaction::new_signed_with_payer(ixs, Some(&payer.pubkey()), &[payer], blockhash));
    let legacy_bytes = size(&legacy)?;
    if legacy_bytes <= MAX_TRANSACTION_BYTES {
        return Ok(legacy);
    }
    if tables.is_empty() {
        return Err(SendError::TooLarge { bytes: legacy_bytes }.into());
    }
    let message = v0::Message::try_compile(&payer.pubkey(), ixs, tables, blockhash)?;
    let tx = VersionedTransaction::try_new(VersionedMessage::V0(message), &[payer])?;
    match size(&tx)? {
        bytes if bytes > MAX_TRANSACTION_BYTES => Err(SendError::TooLarge { bytes }.into()),
        _ => Ok(tx),
    }
}

/// A confirmed transaction.
#[derive(Clone, Debug)]
pub struct Sent {
    pub signature: Signature,
    pub logs: Vec<String>,
}

/// What a simulation said.
#[derive(Clone, Debug, Default)]
pub struct Simulation {
    /// `None` when the transaction would succeed.
    pub error: Option<String>,
    /// The custom program error code, when that is what failed.
    pub custom_error: Option<u32>,
    pub logs: Vec<String>,
    /// Compute units the transaction used, when the back end says.
    pub units_consumed: Option<u64>,
}

#[allow(async_fn_in_trait)]
pub trait Chain {
    async fn accounts(&self, keys: &[Pubkey]) -> Result<Vec<Option<Account>>>;
    async fn clock(&self) -> Result<Clock>;
    /// Simulates `ixs` signed and paid by `payer`.
    async fn simulate(&self, ixs: &[Instruction], payer: &Keypair) -> Result<Simulation> {
        self.simulate_with(ixs, payer, &[]).await
    }
    /// Simulates `ixs` as `compile` builds them with `tables`.
    async fn simulate_with(
        &self,
        ixs: &[Instruction],
        payer: &Keypair,
        tables: &[AddressLookupTableAccount],
    ) -> Result<Simulation> {
        let tx = compile(ixs, payer, tables, self.latest_blockhash().await?)?;
        self.simulate_transaction(&tx).await
    }
    /// Simulates `tx`, signed or not (signatures are not checked): a user's transaction before
    /// the user signs it.
    async fn simulate_transaction(&self, tx: &VersionedTransaction) -> Result<Simulation>;
    /// Sends `ixs` signed and paid by `payer` and waits for confirmation.
    async fn send(&self, ixs: &[Instruction], payer: &Keypair) -> Result<Signature> {
        self.send_with(ixs, payer, &[]).await
    }
    /// Sends `ixs` as `compile` builds them with `tables`, and waits for confirmation.
    async fn send_with(
        &self,
        ixs: &[Instruction],
        payer: &Keypair,
        tables: &[AddressLookupTableAccount],
    ) -> Result<Signature> {
        let tx = compile(ixs, payer, tables, self.latest_blockhash().await?)?;
        Ok(self.send_transaction(tx).await?.signature)
    }
    async fn latest_blockhash(&self) -> Result<Hash>;
    /// Sends a signed transaction and waits for confirmation; its program log when the back end
    /// keeps one.
    async fn send_transaction(&self, tx: VersionedTransaction) -> Result<Sent>;

    async fn account(&self, key: &Pubkey) -> Result<Option<Account>> {
        Ok(self.accounts(std::slice::from_ref(key)).await?.pop().flatten())
    }

    /// Recent priority fees (micro-lamports per compute unit) paid by transactions that wrote
    /// any of `writable`, one per recent slot; none where the back end has no fee market.
    async fn recent_prioritization_fees(&self, writable: &[Pubkey]) -> Result<Vec<u64>> {
        let _ = writable;
        Ok(Vec::new())
    }

    async fn data(&self, key: &Pubkey) -> Result<Vec<u8>> {
        self.account(key).await?.map(|a| a.data).ok_or_else(|| anyhow!("account {key} not found"))
    }
}

/// Sends `ixs` as a new transaction, up to `attempts` times with a growing `backoff` between.
/// Another is built only when the last can no longer land (it expired, or was never sent), never
/// after one that failed on chain: the keeper's next pass re-reads the vault and decides again.
pub async fn send_landed<C: Chain>(
    chain: &C,
    ixs: &[Instruction],
    payer: &Keypair,
    tables: &[AddressLookupTableAccount],
    attempts: u32,
    backoff: std::time::Duration,
) -> Result<Signature> {
    let mut delay = backoff;
    let mut attempt = 1;
    loop {
        match chain.send_with(ixs, payer, tables).await {
            Ok(signature) => return Ok(signature),
            Err(error)
                if matches!(
                    error.downcast_ref::<SendError>(),
                    Some(SendError::Failed { .. } | SendError::TooLarge { .. })
                ) =>
            {
                return Err(error)
            }
            Err(error) if attempt < attempts => {
                tracing::warn!(attempt, %error, "not landed, sending a new transaction");
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            Err(error) => return Err(error),
        }
    }
}

fn custom_code(error: &solana_sdk::transaction::TransactionError) -> Option<u32> {
    use solana_sdk::instruction::InstructionError;
    match error {
        solana_sdk::transaction::TransactionError::InstructionError(_, InstructionError::Custom(code)) => Some(*code),
        _ => None,
    }
}

/// The embedded chain: a client of a program-test bank (`ballast-localnet`'s), shared with
/// whoever drives the market there (tests, the simulator, the app).
#[derive(Clone)]
pub struct EmbeddedChain {
    pub banks: BanksClient,
}

impl EmbeddedChain {
    pub fn new(banks: BanksClient) -> Self {
        Self { banks }
    }
}

impl Chain for EmbeddedChain {
    async fn accounts(&self, keys: &[Pubkey]) -> Result<Vec<Option<Account>>> {
        let mut banks = self.banks.clone();
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            out.push(banks.get_account(*key).await?);
        }
        Ok(out)
    }

    async fn clock(&self) -> Result<Clock> {
        Ok(self.banks.clone().get_sysvar::<Clock>().await?)
    }

    async fn simulate_transaction(&self, tx: &VersionedTransaction) -> Result<Simulation> {
        let out = self.banks.clone().simulate_transaction(tx.clone()).await?;
        let result = out.result.unwrap_or(Ok(()));
        Ok(Simulation {
            custom_error: result.as_ref().err().and_then(custom_code),
            error: result.err().map(|e| e.to_string()),
            units_consumed: out.simulation_details.as_ref().map(|d| d.units_consumed),
            logs: out.simulation_details.map(|d| d.logs).unwrap_or_default(),
        })
    }

    async fn latest_blockhash(&self) -> Result<Hash> {
        Ok(self.banks.clone().get_latest_blockhash().await?)
    }

    async fn send_transaction(&self, tx: VersionedTransaction) -> Result<Sent> {
        let signature = tx.signatures[0];
        let out = self.banks.clone().process_transaction_with_metadata(tx).await?;
        let logs = out.metadata.map(|m| m.log_messages).unwrap_or_default();
        match out.result {
            Ok(()) => Ok(Sent { signature, logs }),
            Err(error) => Err(SendError::Failed { signature, error: format!("{error}\n{}", logs.join("\n")) }.into()),
        }
    }
}

/// A real cluster over JSON-RPC. Reads and simulations are retried on transport errors and
/// timeouts with exponential backoff. A transaction is signed once and sent without preflight
/// (it was simulated just before), then the same bytes are broadcast again every `rebroadcast`
/// until it is confirmed, fails, or its blockhash expires: it returns only once the transaction
/// has landed or never can (`SendError`), so a retry never doubles it.
pub struct RpcChain {
    pub client: solana_client::nonblocking::rpc_client::RpcClient,
    pub attempts: u32,
    pub backoff: std::time::Duration,
    pub rebroadcast: std::time::Duration,
    /// At most this many requests a second (`None`: no limit).
    pub pace: Option<Pace>,
}

/// Requests spaced `interval` apart, across every task using the chain. Written here rather than
/// taken from a rate-limiting crate: it is a single "next free instant" behind a lock, and the
/// one the workspace would otherwise pull in brings its own clock and map types.
pub struct Pace {
    interval: std::time::Duration,
    next: tokio::sync::Mutex<tokio::time::Instant>,
}

impl Pace {
    pub fn per_second(requests: u32) -> Option<Self> {
        (requests > 0).then(|| Self {
            interval: std::time::Duration::from_secs(1) / requests,
            next: tokio::sync::Mutex::new(tokio::time::Instant::now()),
        })
    }

    /// Waits for this request's turn.
    async fn wait(&self) {
        let at = {
            let mut next = self.next.lock().await;
            let at = (*next).max(tokio::time::Instant::now());
            *next = at + self.interval;
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

/// Whether an RPC error can pass on its own, so that asking again may help: the transport failed
/// or timed out, the node is overloaded (5xx) or behind. Not a 429: the client's own HTTP
/// sender already waited and retried it, and a retry here would stack on top. Not a refused
/// request (bad parameters, an unknown method): it fails the same way again.
pub fn transient(error: &solana_client::client_error::ClientError) -> bool {
    use solana_client::client_error::ClientErrorKind;
    use solana_client::rpc_request::RpcError;
    match error.kind() {
        ClientErrorKind::Io(_) => true,
        ClientErrorKind::Reqwest(e) => match e.status() {
            Some(status) => status.is_server_error(),
            None => e.is_timeout() || e.is_connect() || e.is_request() || e.is_body(),
        },
        // Block not available, node unhealthy or behind, slot skipped: the node catches up.
        ClientErrorKind::RpcError(RpcError::RpcResponseError { code, .. }) => {
            matches!(code, -32004 | -32005 | -32007 | -32014 | -32016)
        }
        // No proper answer came back (the client's own version query failed, a garbled reply).
        ClientErrorKind::RpcError(RpcError::RpcRequestError(_)) => true,
        _ => false,
    }
}

impl RpcChain {
    pub fn new(url: &str, timeout: std::time::Duration) -> Self {
        Self {
            client: solana_client::nonblocking::rpc_client::RpcClient::new_with_timeout_and_commitment(
                url.to_string(),
                timeout,
                solana_sdk::commitment_config::CommitmentConfig::confirmed(),
            ),
            attempts: 4,
            backoff: std::time::Duration::from_millis(250),
            rebroadcast: std::time::Duration::from_secs(2),
            pace: None,
        }
    }

    async fn paced(&self) {
        if let Some(pace) = &self.pace {
            pace.wait().await;
        }
    }

    async fn retry<T, F, Fut>(&self, what: &str, mut call: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = std::result::Result<T, solana_client::client_error::ClientError>>,
    {
        let mut delay = self.backoff;
        let mut attempt = 1;
        loop {
            self.paced().await;
            match call().await {
                Ok(value) => return Ok(value),
                Err(error) if transient(&error) && attempt < self.attempts => {
                    tracing::warn!(what, attempt, %error, "RPC call failed, retrying");
                    // Jitter, so keepers that failed together do not retry together.
                    let jitter = rand::Rng::gen_range(&mut rand::thread_rng(), 0.5..1.5);
                    tokio::time::sleep(delay.mul_f64(jitter)).await;
                    delay *= 2;
                    attempt += 1;
                }
                Err(error) if transient(&error) => {
                    return Err(anyhow!("{what} failed after {attempt} attempts: {error}"))
                }
                Err(error) => return Err(anyhow!("{what} refused: {error}")),
            }
        }
    }
}

impl Chain for RpcChain {
    async fn accounts(&self, keys: &[Pubkey]) -> Result<Vec<Option<Account>>> {
        let mut out = Vec::with_capacity(keys.len());
        // getMultipleAccounts takes at most 100 keys.
        for chunk in keys.chunks(100) {
            out.extend(self.retry("getMultipleAccounts", || self.client.get_multiple_accounts(chunk)).await?);
        }
        Ok(out)
    }

    async fn clock(&self) -> Result<Clock> {
        let clock = solana_sdk::sysvar::clock::id();
        // Through getMultipleAccounts: the client keeps its transport errors there (its
        // getAccountInfo folds every failure into "account not found", which is not retried).
        let account = self.accounts(&[clock]).await?.pop().flatten().ok_or_else(|| anyhow!("no clock sysvar"))?;
        Ok(bincode::deserialize(&account.data)?)
    }

    async fn simulate_transaction(&self, tx: &VersionedTransaction) -> Result<Simulation> {
        let out = self.retry("simulateTransaction", || self.client.simulate_transaction(tx)).await?.value;
        Ok(Simulation {
            custom_error: out.err.as_ref().and_then(custom_code),
            error: out.err.map(|e| e.to_string()),
            logs: out.logs.unwrap_or_default(),
            units_consumed: out.units_consumed,
        })
    }

    async fn latest_blockhash(&self) -> Result<Hash> {
        self.retry("getLatestBlockhash", || self.client.get_latest_blockhash()).await
    }

    async fn recent_prioritization_fees(&self, writable: &[Pubkey]) -> Result<Vec<u64>> {
        // The method takes at most 128 accounts.
        let writable = &writable[..writable.len().min(128)];
        let fees =
            self.retry("getRecentPrioritizationFees", || self.client.get_recent_prioritization_fees(writable)).await?;
        Ok(fees.into_iter().map(|f| f.prioritization_fee).collect())
    }

    /// Broadcasts `tx` until it lands or never can (see the type). A resend of the same signed
    /// transaction is harmless: the cluster executes a signature once. Transport errors while
    /// polling are waited out until the blockhash expires. The log is not fetched (a second
    /// round trip the keeper has no use for).
    async fn send_transaction(&self, tx: VersionedTransaction) -> Result<Sent> {
        use solana_client::rpc_config::RpcSendTransactionConfig;
        use solana_sdk::commitment_config::CommitmentConfig;
        let signature = tx.signatures[0];
        let blockhash = *tx.message.recent_blockhash();
        let config = RpcSendTransactionConfig { skip_preflight: true, max_retries: Some(0), ..Default::default() };
        let mut broadcasts = 0u32;
        loop {
            self.paced().await;
            match self.client.send_transaction_with_config(&tx, config).await {
                Ok(_) => broadcasts += 1,
                Err(error) => tracing::warn!(%signature, %error, "broadcast failed"),
            }
            tokio::time::sleep(self.rebroadcast).await;
            self.paced().await;
            if let Ok(response) = self.client.get_signature_statuses(&[signature]).await {
                if let Some(Some(status)) = response.value.into_iter().next() {
                    if let Some(error) = status.err {
                        return Err(SendError::Failed { signature, error: error.to_string() }.into());
                    }
                    if status.satisfies_commitment(CommitmentConfig::confirmed()) {
                        return Ok(Sent { signature, logs: Vec::new() });
                    }
                    // Processed, not yet confirmed: it has landed; keep polling, do not resend.
                    continue;
                }
            }
            // Unseen: broadcast again while the blockhash can still land it.
            self.paced().await;
            match self.client.is_blockhash_valid(&blockhash, CommitmentConfig::processed()).await {
                Ok(false) => {
                    // It may have landed between the two reads: look once more before saying it
                    // never will.
                    let last = self.client.get_signature_statuses(&[signature]).await;
                    if let Ok(Some(status)) = last.map(|r| r.value.into_iter().next().flatten()) {
                        return match status.err {
                            Some(error) => Err(SendError::Failed { signature, error: error.to_string() }.into()),
                            None => Ok(Sent { signature, logs: Vec::new() }),
                        };
                    }
                    return Err(SendError::Expired { signature, broadcasts }.into());
                }
                Ok(true) => {}
                Err(error) => tracing::warn!(%signature, %error, "blockhash check failed"),
            }
        }
    }
}

//! The keeper on the embedded chain: it reads the vault, its obligation, reserves and oracles
//! from raw bytes, values the position with the program crate's math, and unwinds in the same
//! slot the market crosses the trigger; it cranks a stale stake pool first; a second keeper, or
//! the same one restarted, finds nothing left to do.
use ballast_keeper::chain::EmbeddedChain;
use ballast_keeper::keeper::{Action, HarvestReason, Keeper, KeeperConfig};
use ballast_keeper::trend::TrendConfig;
use ballast_keeper::view::VaultView;
use ballast_localnet::vault::{default_params, SOL};
use ballast_localnet::VaultClient;
use solana_sdk::signature::{Keypair, Signer};

/// A keeper that harvests only after an unwind (the harness's bindings waited their timelocks,
/// so a scheduled harvest would be due in every test); `the_keeper_harvests_on_its_schedule`
/// covers the schedule. It has the vault's lookup table, as an operator's keeper would: the
/// flash unwind on Save is too large for a legacy transaction.
async fn keeper(env: &mut VaultClient) -> Keeper<EmbeddedChain> {
    let keypair = env.chain.funded_keypair(SOL).await;
    let chain = EmbeddedChain::new(env.chain.ctx.banks_client.clone());
    let table = ballast_keeper::lookup_table::create_for_vault(&chain, &keypair, &env.v.vault, None).await.unwrap();
    env.chain.warp_slots(1).await;
    Keeper::new(chain, keypair, KeeperConfig { lookup_table: Some(table), ..unscheduled() })
}

fn unscheduled() -> KeeperConfig {
    KeeperConfig { harvest_interval_secs: None, ..KeeperConfig::default() }
}

#[tokio::test]
async fn the_keeper_reads_health_as_the_program_computes_it() {
    let mut env = VaultClient::start_looped_in_pool().await;
    let keeper = keeper(&mut env).await;
    env.mark_lst_down(0.8).await;
    let view = VaultView::load(&keeper.chain, &env.v.vault).await.unwrap();
    // The keeper prices from the oracles without refreshing; the harness refreshes the reserves
    // and reads what the lending program recorded.
    assert_eq!(view.lending.as_ref().unwrap().market_ltv_bps, env.market_ltv_bps().await);
    assert!(!view.needs_unwind());
    // 50% marked 20% down: 62.5%, and a slot's interest.
    let ltv = env.market_ltv_bps().await;
    assert!((6_250..=6_252).contains(&ltv), "{ltv}");
    assert_eq!(keeper.tick(&env.v.vault).await.unwrap(), vec![Action::Healthy { market_ltv_bps: Some(ltv) }]);
}

#[tokio::test]
async fn the_keeper_unwinds_in_the_slot_the_trigger_is_crossed() {
    let mut env = VaultClient::start_looped_in_pool().await;
    let keeper = keeper(&mut env).await;
    env.mark_lst_down(0.64).await;
    let crossed_at = env.chain.clock().await.slot;
    let actions = keeper.tick(&env.v.vault).await.unwrap();
    assert!(
        matches!(
            actions[..],
            [Action::Unwound { market_ltv_bps, .. }, Action::Harvested { reason: HarvestReason::AfterUnwind, .. }]
                if market_ltv_bps > 7_500
        ),
        "{actions:?}"
    );
    let landed_at = env.chain.clock().await.slot;
    assert_eq!(landed_at - crossed_at, 0, "slots from the trigger crossing to the unwind");
    assert!(env.market_ltv_bps().await <= 6_000);
    // The harvest after it booked the rest at once.
    let clock = env.chain.clock().await;
    assert_eq!(env.vault().await.accounting.last_fee_accrual_unix, clock.unix_timestamp);

    // Another keeper, or this one after a restart, finds a healthy vault.
    let other = Keeper::new(keeper.chain.clone(), Keypair::new(), unscheduled());
    assert!(matches!(other.tick(&env.v.vault).await.unwrap()[..], [Action::Healthy { .. }]));
    assert!(matches!(keeper.tick(&env.v.vault).await.unwrap()[..], [Action::Healthy { .. }]));
}

#[tokio::test]
async fn after_an_epoch_boundary_the_keeper_cranks_the_stake_pool_first() {
    let mut env = VaultClient::start_looped_in_pool().await;
    let keeper = keeper(&mut env).await;
    // A new epoch, the pool not updated: every vault action that needs the rate would fail.
    env.chain.next_epoch().await;
    env.chain.ctx.warp_forward_force_reward_interval_end().unwrap();
    env.mark_lst_down(0.64).await;
    let view = VaultView::load(&keeper.chain, &env.v.vault).await.unwrap();
    assert!(!view.stake_pool_current());
    let actions = keeper.tick(&env.v.vault).await.unwrap();
    assert!(matches!(actions[..], [Action::Cranked, Action::Unwound { .. }, Action::Harvested { .. }]), "{actions:?}");
    assert!(env.market_ltv_bps().await <= 6_000);
}

#[tokio::test]
async fn stale_market_oracles_are_reported_not_acted_on() {
    let mut env = VaultClient::start_looped_in_pool().await;
    env.mark_lst_down(0.64).await;
    let keeper = keeper(&mut env).await;
    // Past the age at which the market's refresh refuses a price.
    let stale_after = env.venue.oracle_stale_after_slots();
    env.chain.warp_slots(stale_after + 5).await;
    // The stake pool brought to the epoch the warp may have entered: only the oracles are old.
    env.pool.update(&mut env.chain).await;
    assert_eq!(keeper.tick(&env.v.vault).await.unwrap(), vec![Action::OraclesStale]);
}

#[tokio::test]
async fn the_service_passes_until_stopped_and_reports_metrics_and_health() {
    use ballast_keeper::service::{self, Metrics};
    use std::sync::Arc;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut env = VaultClient::start_looped_in_pool().await;
    let keeper = keeper(&mut env).await;
    let vault = env.v.vault;
    let metrics = Arc::new(Metrics::new().unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let rules = service::HealthRules { stale_after: Duration::from_secs(60), min_balance_lamports: SOL / 10 };
    let server = service::serve(listener, metrics.clone(), rules, stop.clone());
    let vaults = [vault];
    let passes = service::run(&keeper, &vaults, Duration::from_millis(20), &metrics, stop);

    let get = |path: &'static str| async move {
        let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: keeper\r\nConnection: close\r\n\r\n");
        socket.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        socket.read_to_string(&mut response).await.unwrap();
        response
    };
    let driver = async {
        // Healthy passes first, then the market turns and the service unwinds.
        while !metrics.render().contains("action=\"healthy\"") {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(get("/health").await.starts_with("HTTP/1.1 200"));
        env.mark_lst_down(0.64).await;
        while !metrics.render().contains("action=\"unwound\"") {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let page = get("/metrics").await;
        for series in [
            "ballast_keeper_passes_total",
            "ballast_keeper_market_ltv_ratio",
            "ballast_keeper_pass_duration_seconds_bucket",
            "ballast_keeper_last_success_timestamp_seconds",
            "ballast_keeper_balance_lamports",
            "ballast_keeper_unwinds_total",
            "ballast_keeper_fees_paid_lamports_total",
        ] {
            assert!(page.contains(series), "{series} in {page}");
        }
        stop_tx.send(true).unwrap();
        assert!(env.market_ltv_bps().await <= 6_000);
    };
    let (served, (), ()) = tokio::join!(server, passes, driver);
    served.unwrap();
    // Exactly one unwind, however many passes saw the vault.
    assert!(metrics
        .render()
        .contains(&format!("ballast_keeper_actions_total{{action=\"unwound\",vault=\"{vault}\"}} 1")));
    // And one harvest right after it.
    assert!(metrics
        .render()
        .contains(&format!("ballast_keeper_harvests_total{{reason=\"after_unwind\",vault=\"{vault}\"}} 1")));
}

/// The vault's allocator running the keeper (and paying its fees), with the vault's
/// price-update accounts.
/// The vault's allocator as a keeper, with a lookup table of the vault's accounts (its
/// `leverage_up` is too large for a legacy transaction).
async fn allocator_keeper(env: &mut VaultClient) -> Keeper<EmbeddedChain> {
    let allocator = env.v.allocator.pubkey();
    env.chain.airdrop(&allocator, SOL).await;
    let l = env.lending();
    let prices = ballast_keeper::view::PriceUpdates { sol_usd: l.sol_usd_update, lst_usd: l.lst_usd_update };
    let chain = EmbeddedChain::new(env.chain.ctx.banks_client.clone());
    let table = ballast_keeper::lookup_table::create_for_vault(&chain, &env.v.allocator, &env.v.vault, Some(&prices))
        .await
        .unwrap();
    env.chain.warp_slots(1).await;
    let config = KeeperConfig { allocator: Some(prices), lookup_table: Some(table), ..unscheduled() };
    Keeper::new(chain, env.v.allocator.insecure_clone(), config)
}

/// A looped vault under its band with positive carry: staking pays (the pool earns 2% this
/// epoch), and the LST, marked at the new rate, is worth more SOL: the LTV falls below the band's
/// 50%. (Marking the LST up against the rate instead would be a depeg, and leverage_up refuses
/// it.)
async fn under_the_band_with_positive_carry() -> VaultClient {
    let mut env = VaultClient::start_looped_in_pool().await;
    env.epoch_with_rewards(20 * SOL).await;
    let sol = env.lending().market.sol.usd_price;
    let rate = env.pool_rate().await;
    env.set_prices(sol, sol * rate).await;
    env
}

#[tokio::test]
async fn as_allocator_the_keeper_brings_leverage_back_into_the_band() {
    let mut env = under_the_band_with_positive_carry().await;
    assert!(env.market_ltv_bps().await < 5_000);
    let keeper = allocator_keeper(&mut env).await;
    let view = VaultView::load(&keeper.chain, &env.v.vault).await.unwrap();
    assert!(!view.carry(432_000, 0.0).unwrap().negative(), "{:?}", view.carry(432_000, 0.0));
    let actions = keeper.tick(&env.v.vault).await.unwrap();
    assert!(matches!(actions[..], [Action::Healthy { .. }, Action::Leveraged { .. }]), "{actions:?}");
    let ltv = env.market_ltv_bps().await;
    assert!((5_600..=5_900).contains(&ltv), "the band's middle is 57.5%: {ltv}");
    // In the band now: nothing more to do.
    assert!(matches!(keeper.tick(&env.v.vault).await.unwrap()[..], [Action::Healthy { .. }]));
}

#[tokio::test]
async fn the_allocators_leverage_up_fits_a_clusters_packet_through_the_vaults_lookup_table() {
    use ballast_keeper::chain::{SendError, MAX_TRANSACTION_BYTES};
    // Carry is positive and the LTV under the band, so the allocator levers up.
    let mut env = under_the_band_with_positive_carry().await;
    let with_table = allocator_keeper(&mut env).await;
    let debt_before = env.lending_health(None).await.debt_lamports;

    // Named in full, leverage_up with its price updates is more than a cluster accepts: without
    // a lookup table the keeper refuses to send it (a cluster would reject it) and says what to do.
    let config = KeeperConfig { lookup_table: None, ..with_table.config.clone() };
    let without = Keeper::new(Probed::new(&env), with_table.keypair.insecure_clone(), config);
    let error = without.tick(&env.v.vault).await.unwrap_err();
    let Some(SendError::TooLarge { bytes }) = error.downcast_ref::<SendError>() else { panic!("{error:#}") };
    assert!(*bytes > MAX_TRANSACTION_BYTES, "{bytes}");
    println!("leverage_up: {bytes} bytes as a legacy transaction");
    assert!(error.to_string().contains("ballast-keeper lookup-table"), "{error}");
    assert!(without.chain.sent.lock().unwrap().is_empty());
    assert_eq!(env.lending_health(None).await.debt_lamports, debt_before);

    // With the vault's lookup table (what `ballast-keeper lookup-table` makes), it goes as a
    // version 0 transaction within the limit, and lands.
    let keeper = Keeper::new(Probed::new(&env), with_table.keypair.insecure_clone(), with_table.config.clone());
    let actions = keeper.tick(&env.v.vault).await.unwrap();
    assert!(matches!(actions[..], [Action::Healthy { .. }, Action::Leveraged { .. }]), "{actions:?}");
    let tx = keeper.chain.sent.lock().unwrap()[0].clone();
    assert!(matches!(tx.message, solana_sdk::message::VersionedMessage::V0(_)));
    let bytes = bincode::serialized_size(&tx).unwrap() as usize;
    println!("leverage_up: {bytes} bytes as version 0");
    assert!(bytes <= MAX_TRANSACTION_BYTES, "{bytes}");
    assert!(env.lending_health(None).await.debt_lamports > debt_before);
}

#[tokio::test]
async fn as_allocator_the_keeper_leaves_the_loop_when_carry_turns_negative() {
    // SOL borrowing costs 150% a year and the stake pool earns nothing.
    let mut env = VaultClient::start_looped(default_params(), 150, 200).await;
    env.bind_pool(100 * SOL).await;
    let keeper = allocator_keeper(&mut env).await;
    let debt_before = env.lending_health(None).await.debt_lamports;
    let reserve_before = env.vault().await.accounting.reserve_lamports;
    // First the idle SOL above the reserve's floor, at par.
    let actions = keeper.tick(&env.v.vault).await.unwrap();
    let [Action::Healthy { .. }, Action::Deleveraged { repay_lamports }] = actions[..] else {
        panic!("{actions:?}");
    };
    assert_eq!(env.vault().await.accounting.reserve_lamports, reserve_before - repay_lamports);
    assert!(env.lending_health(None).await.debt_lamports <= debt_before - repay_lamports + 1);
    // The reserve is at its floor: the next pass leaves the loop through the collateral, and the
    // holders pay no more than the conversion's shortfall against the rate.
    let (free_before, supply) = env.share_price().await;
    let actions = keeper.tick(&env.v.vault).await.unwrap();
    let [Action::Healthy { .. }, Action::LeftLoop { .. }, Action::Harvested { reason: HarvestReason::AfterUnwind, .. }] =
        actions[..]
    else {
        panic!("{actions:?}");
    };
    assert_eq!(env.lending_health(None).await.debt_lamports, 0);
    let (free_after, supply_after) = env.share_price().await;
    assert_eq!(supply_after, supply);
    let bound_lamports = free_before * env.vault().await.risk_params.unwind_slippage_bps as u128 / 10_000;
    assert!(free_after + bound_lamports >= free_before, "{free_before} -> {free_after}");
    // Out of the loop: nothing more to do while carry stays negative.
    assert!(matches!(keeper.tick(&env.v.vault).await.unwrap()[..], [Action::Healthy { .. }]));
}

#[tokio::test]
async fn as_allocator_the_keeper_leaves_the_loop_when_the_discount_keeps_widening() {
    // Carry is positive (the stake pool earns 2% an epoch, the debt costs a few % a year), the
    // leverage is in its band: staking alone would keep the loop. Then the market marks the LST
    // further below its rate every 500 slots, 20 bp a step, far from the unwind's trigger.
    let mut env = VaultClient::start_looped_in_pool().await;
    env.epoch_with_rewards(20 * SOL).await;
    let sol = env.lending().market.sol.usd_price;
    let rate = env.pool_rate().await;
    env.set_prices(sol, sol * rate).await;
    let mut keeper = allocator_keeper(&mut env).await;
    keeper.config.discount_trend = TrendConfig { window_slots: 4_000, exit_bps: 50 };
    let actions = keeper.tick(&env.v.vault).await.unwrap();
    assert!(matches!(actions[..], [Action::Healthy { .. }, Action::Leveraged { .. }]), "{actions:?}");
    let debt_in_band = env.lending_health(None).await.debt_lamports;
    let view = VaultView::load(&keeper.chain, &env.v.vault).await.unwrap();
    assert!(!view.carry(432_000, 0.0).unwrap().negative(), "{:?}", view.carry(432_000, 0.0));

    async fn step(env: &mut VaultClient, keeper: &Keeper<EmbeddedChain>, sol: f64, discount: f64) -> Vec<Action> {
        // The harness's epochs are short (warm-up): each one crossed pays 7% a year's worth.
        env.warp_slots_staking(500, 0.07).await;
        let rate = env.pool_rate().await;
        env.set_prices(sol, sol * rate * (1.0 - discount)).await;
        keeper.tick(&env.v.vault).await.unwrap()
    }
    let left =
        |actions: &[Action]| actions.iter().any(|a| matches!(a, Action::Deleveraged { .. } | Action::LeftLoop { .. }));
    // A discount that stands still, however deep, is no trend: a window and a half of it.
    for _ in 0..12 {
        let actions = step(&mut env, &keeper, sol, 0.01).await;
        assert!(!left(&actions), "{actions:?}");
    }
    assert!(env.lending_health(None).await.debt_lamports >= debt_in_band, "still looped");
    // Widening: not at the first step that widens (one print is no trend), then out of the
    // loop, through the stake pool at its rate.
    let (free_before, supply) = env.share_price().await;
    let mut first_exit_step = None;
    for i in 1..=12 {
        let actions = step(&mut env, &keeper, sol, 0.01 + 0.002 * i as f64).await;
        if left(&actions) && first_exit_step.is_none() {
            first_exit_step = Some(i);
        }
        if env.lending_health(None).await.debt_lamports == 0 {
            break;
        }
    }
    let first_exit_step = first_exit_step.expect("the keeper left the loop");
    assert!(first_exit_step >= 2, "left after {first_exit_step} step: too soon to see a trend");
    assert_eq!(env.lending_health(None).await.debt_lamports, 0, "out of the loop");
    assert!(env.market_ltv_bps().await < env.vault().await.risk_params.unwind_trigger_ltv_bps as u64);
    // The holders' share price fell by no more than the exit's bound (the discount itself is
    // not realised: the stake pool pays the rate). The epochs crossed paid rewards, and the
    // harvest after the exit minted the fee's shares, so the price is compared, not the value.
    let (free_after, supply_after) = env.share_price().await;
    let slippage_bps = env.vault().await.risk_params.unwind_slippage_bps as u128;
    assert!(
        free_after * supply * 10_000 >= free_before * supply_after * (10_000 - slippage_bps),
        "{free_before}/{supply} -> {free_after}/{supply_after}"
    );
}

#[tokio::test]
async fn the_keeper_harvests_on_its_schedule_into_the_fee_recipients_account() {
    let mut env = VaultClient::start_looped_in_pool().await;
    env.harvest().await.unwrap();
    let keypair = env.chain.funded_keypair(SOL).await;
    let keeper = Keeper::new(EmbeddedChain::new(env.chain.ctx.banks_client.clone()), keypair, KeeperConfig::default());
    assert!(matches!(keeper.tick(&env.v.vault).await.unwrap()[..], [Action::Healthy { .. }]));
    // Staking pays 1 SOL (profit to book, a performance fee to charge), and the schedule's six
    // hours pass.
    env.epoch_with_rewards(SOL).await;
    env.chain.advance_secs(6 * 3_600).await;
    env.sync_prices().await;
    let fee_shares = ballast_client::share_account(&env.vault().await, &env.v.fee_recipient.pubkey());
    assert!(env.chain.ctx.banks_client.get_account(fee_shares).await.unwrap().is_none());
    let (free_before, supply_before) = env.share_price().await;
    let actions = keeper.tick(&env.v.vault).await.unwrap();
    assert!(
        matches!(actions[..], [Action::Healthy { .. }, Action::Harvested { reason: HarvestReason::Schedule, .. }]),
        "{actions:?}"
    );
    // The fee shares reached the fee recipient's associated account, which the keeper created,
    // worth exactly the fee; the rest of the profit is locked, so the share price did not jump.
    let minted = env.chain.token_balance(&fee_shares).await;
    assert!(minted > 0);
    let (free_after, supply_after) = env.share_price().await;
    assert_eq!(supply_after, supply_before + minted as u128);
    assert!(free_after * supply_before <= (free_before + 2) * supply_after, "{free_before} -> {free_after}");
    // Not due again until the next interval.
    assert!(matches!(keeper.tick(&env.v.vault).await.unwrap()[..], [Action::Healthy { .. }]));

    // Off the schedule: never.
    env.chain.advance_secs(7 * 3_600).await;
    env.sync_prices().await;
    let unscheduled = Keeper::new(keeper.chain.clone(), keeper.keypair.insecure_clone(), unscheduled());
    assert!(matches!(unscheduled.tick(&env.v.vault).await.unwrap()[..], [Action::Healthy { .. }]));
}

#[tokio::test]
async fn past_the_borrow_limit_the_keeper_unwinds_with_a_flash_loan_where_the_venue_lends_one() {
    use ballast::errors::VaultError;
    use ballast::state::LendingVenue;
    let mut env = VaultClient::start_past_the_borrow_limit().await;
    let keeper = keeper(&mut env).await;
    let actions = keeper.tick(&env.v.vault).await.unwrap();
    match env.venue {
        LendingVenue::Save => {
            assert!(matches!(actions[..], [Action::FlashUnwound { .. }, ..]), "{actions:?}");
            assert!(env.market_ltv_bps().await <= 6_000);
        }
        // No flash loan a vault instruction can be paid from: the keeper reports why.
        LendingVenue::SplTokenLending => {
            let blocked: u32 = VaultError::UnwindBlockedByBorrowLimit.into();
            assert!(
                matches!(actions[..], [Action::UnwindRefused { custom_error: Some(code), .. }] if code == blocked),
                "{actions:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_stuck_vault_does_not_hold_up_the_others() {
    use ballast_keeper::service::{self, Metrics};
    use std::time::Duration;

    let mut env = VaultClient::start_looped_in_pool().await;
    let keypair = env.chain.funded_keypair(SOL).await;
    let stalled = solana_sdk::pubkey::Pubkey::new_unique();
    let chain = Probed { stalled: Some(stalled), ..Probed::new(&env) };
    let keeper = Keeper::new(chain, keypair, unscheduled());
    let metrics = Metrics::new().unwrap();
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    // The stuck vault first: served one after the other, the second would never be reached.
    let vaults = [stalled, env.v.vault];
    let passes = service::run(&keeper, &vaults, Duration::from_millis(10), &metrics, stop);
    let driver = async {
        let served = format!("ballast_keeper_passes_total{{vault=\"{}\"}} 3", env.v.vault);
        while !metrics.render().contains(&served) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        stop_tx.send(true).unwrap();
    };
    // The stuck pass never finishes, so the service is dropped once the other vault was served.
    tokio::select! {
        _ = passes => unreachable!("a pass of the stuck vault finished"),
        served = tokio::time::timeout(Duration::from_secs(60), driver) => served.expect("the healthy vault was served"),
    }
    assert!(!metrics.render().contains(&format!("vault=\"{stalled}\"")));
}

#[tokio::test]
async fn the_unwind_pays_the_going_priority_fee_and_asks_for_every_unit_it_may_need() {
    let mut env = VaultClient::start_looped_in_pool().await;
    let keypair = env.chain.funded_keypair(SOL).await;
    let chain = Probed { fees: vec![1_000, 5_000, 9_000, 20_000_000], ..Probed::new(&env) };
    let config =
        KeeperConfig { priority_fee_micro_lamports: 500, priority_fee_cap_micro_lamports: 15_000_000, ..unscheduled() };
    let keeper = Keeper::new(chain, keypair, config.clone());
    env.mark_lst_down(0.64).await;
    let actions = keeper.tick(&env.v.vault).await.unwrap();
    assert!(matches!(actions[..], [Action::Unwound { .. }, Action::Harvested { .. }]), "{actions:?}");

    // The unwind, then the harvest after it, each priced the same way.
    let sent = keeper.chain.sent.lock().unwrap();
    assert_eq!(sent.len(), 2);
    let budget = |tx: &solana_sdk::transaction::VersionedTransaction| {
        let data = |i: usize| tx.message.instructions()[i].data.clone();
        // set_compute_unit_limit (2, u32) then set_compute_unit_price (3, u64).
        assert_eq!(data(0)[0], 2);
        assert_eq!(data(1)[0], 3);
        (u32::from_le_bytes(data(0)[1..5].try_into().unwrap()), u64::from_le_bytes(data(1)[1..9].try_into().unwrap()))
    };
    let (unwind_limit, unwind_price) = budget(&sent[0]);
    let (harvest_limit, harvest_price) = budget(&sent[1]);
    // The 75th percentile of the four recent fees (nearest rank: the third).
    assert_eq!((unwind_price, harvest_price), (9_000, 9_000));
    // The unwind asks for the whole limit: if the market moves before it lands it has more to
    // do. The harvest asks for what its simulation used plus 20%: far under it.
    assert_eq!(unwind_limit, config.compute_unit_limit);
    assert!(harvest_limit > 0 && harvest_limit < config.compute_unit_limit / 10, "{harvest_limit}");
    // The fee market was asked about the accounts the unwind writes: the vault among them.
    assert!(keeper.chain.asked.lock().unwrap().contains(&env.v.vault));
}

#[tokio::test]
async fn health_turns_red_when_the_keeper_cannot_pay_for_an_unwind() {
    use ballast_keeper::service::{self, HealthRules, Metrics};
    use std::time::Duration;

    let mut env = VaultClient::start_looped_in_pool().await;
    // Enough for fees now, less than the rules ask for.
    let keypair = env.chain.funded_keypair(SOL / 100).await;
    let keeper = Keeper::new(EmbeddedChain::new(env.chain.ctx.banks_client.clone()), keypair, unscheduled());
    let metrics = Metrics::new().unwrap();
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let vaults = [env.v.vault];
    let passes = service::run(&keeper, &vaults, Duration::from_millis(10), &metrics, stop);
    let rules = HealthRules { stale_after: Duration::from_secs(60), min_balance_lamports: SOL / 10 };
    let driver = async {
        while metrics.last_pass.lock().await.is_none() || metrics.probe.lock().await.is_none() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let problems = service::problems(&metrics, rules).await;
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("balance: 10000000 lamports"), "{problems:?}");
        // Funded above the rule, it is healthy at the next probe.
        env.chain.airdrop(&keeper.keypair.pubkey(), SOL).await;
        while !service::problems(&metrics, rules).await.is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        stop_tx.send(true).unwrap();
    };
    tokio::join!(passes, driver);
    assert!(metrics.render().contains("ballast_keeper_balance_lamports 1010000000"));
}

#[tokio::test]
async fn a_pass_over_a_healthy_vault_reads_the_chain_twice() {
    let mut env = VaultClient::start_looped_in_pool().await;
    let keypair = env.chain.funded_keypair(SOL).await;
    let chain = Probed::new(&env);
    // A harvest schedule that is not due: the pass's own read answers it.
    let config = KeeperConfig { harvest_interval_secs: Some(u32::MAX as u64), ..KeeperConfig::default() };
    let keeper = Keeper::new(chain, keypair, config);
    let reads = || keeper.chain.reads.load(std::sync::atomic::Ordering::SeqCst);
    // The first pass learns the market's oracle keys (one read more).
    assert!(matches!(keeper.tick(&env.v.vault).await.unwrap()[..], [Action::Healthy { .. }]));
    assert_eq!(reads(), 3);
    for pass in 1..=3 {
        assert!(matches!(keeper.tick(&env.v.vault).await.unwrap()[..], [Action::Healthy { .. }]));
        assert_eq!(reads(), 3 + 2 * pass, "two requests a pass");
    }
}

/// The embedded chain as a test needs to bend or watch it: reads naming `stalled` never return
/// (a vault whose pass is stuck); the recent priority fees are `fees`; every request is counted;
/// the accounts the fee market was asked about and the transactions sent are kept.
struct Probed {
    inner: EmbeddedChain,
    stalled: Option<solana_sdk::pubkey::Pubkey>,
    fees: Vec<u64>,
    reads: std::sync::atomic::AtomicU32,
    asked: std::sync::Mutex<Vec<solana_sdk::pubkey::Pubkey>>,
    sent: std::sync::Mutex<Vec<solana_sdk::transaction::VersionedTransaction>>,
}

impl Probed {
    fn new(env: &VaultClient) -> Self {
        Self {
            inner: EmbeddedChain::new(env.chain.ctx.banks_client.clone()),
            stalled: None,
            fees: Vec::new(),
            reads: Default::default(),
            asked: Default::default(),
            sent: Default::default(),
        }
    }

    fn count(&self) {
        self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl ballast_keeper::chain::Chain for Probed {
    async fn accounts(
        &self,
        keys: &[solana_sdk::pubkey::Pubkey],
    ) -> anyhow::Result<Vec<Option<solana_sdk::account::Account>>> {
        self.count();
        if self.stalled.is_some_and(|stalled| keys.contains(&stalled)) {
            std::future::pending::<()>().await;
        }
        self.inner.accounts(keys).await
    }
    async fn clock(&self) -> anyhow::Result<solana_sdk::clock::Clock> {
        self.count();
        self.inner.clock().await
    }
    async fn simulate(
        &self,
        ixs: &[solana_sdk::instruction::Instruction],
        payer: &Keypair,
    ) -> anyhow::Result<ballast_keeper::chain::Simulation> {
        self.count();
        self.inner.simulate(ixs, payer).await
    }
    async fn simulate_transaction(
        &self,
        tx: &solana_sdk::transaction::VersionedTransaction,
    ) -> anyhow::Result<ballast_keeper::chain::Simulation> {
        self.count();
        self.inner.simulate_transaction(tx).await
    }
    async fn latest_blockhash(&self) -> anyhow::Result<solana_sdk::hash::Hash> {
        self.count();
        self.inner.latest_blockhash().await
    }
    async fn send_transaction(
        &self,
        tx: solana_sdk::transaction::VersionedTransaction,
    ) -> anyhow::Result<ballast_keeper::chain::Sent> {
        self.sent.lock().unwrap().push(tx.clone());
        self.inner.send_transaction(tx).await
    }
    async fn recent_prioritization_fees(&self, writable: &[solana_sdk::pubkey::Pubkey]) -> anyhow::Result<Vec<u64>> {
        self.asked.lock().unwrap().extend_from_slice(writable);
        Ok(self.fees.clone())
    }
}

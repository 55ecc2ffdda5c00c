//! Replay speed, as a table: slots replayed per second of wall time for the mSOL scenario, with
//! the keeper and without. Run it optimised (`cargo bench -p ballast-sim --bench replay`); compare
//! rows of one run, not runs across machines.
use std::time::Instant;

use ballast_sim::replay::run;
use ballast_sim::scenario::Scenario;

fn main() {
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "off");
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/msol-flash-depeg-2023-12.toml");
    let scenario = Scenario::load(&path).unwrap();
    // 18,000 slots: two hours of the path.
    let scenario = scenario.clone().until(scenario.minute(18_000));
    println!("{:<34} {:>8} {:>10} {:>12} {:>14}   goal", "replay", "steps", "slots", "seconds", "slots/second");
    for with_keeper in [true, false] {
        let started = Instant::now();
        let report = runtime.block_on(run(&scenario, with_keeper, |_| {})).unwrap();
        let secs = started.elapsed().as_secs_f64();
        let slots = scenario.duration_slots();
        println!(
            "{:<34} {:>8} {:>10} {:>12.1} {:>14.0}   18,000 slots in <= 60 s",
            format!("mSOL, {}", if with_keeper { "keeper" } else { "no keeper" }),
            report.rows.len(),
            slots,
            secs,
            slots as f64 / secs
        );
    }
}

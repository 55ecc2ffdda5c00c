//! `ballast-keeper run` stops on SIGTERM as it does on Ctrl-C: it finishes the pass under way,
//! closes its metrics server and exits with success. (Service managers and container runtimes
//! stop a process with SIGTERM.)
#![cfg(unix)]
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{write_keypair_file, Keypair};

#[test]
fn run_stops_cleanly_on_sigterm() {
    let home = std::env::temp_dir().join(format!("ballast-keeper-sigterm-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let keypair = home.join("keeper.json");
    write_keypair_file(&Keypair::new(), &keypair).unwrap();
    // A cluster that refuses connections: every pass fails fast and the keeper keeps going.
    let mut child = Command::new(env!("CARGO_BIN_EXE_ballast-keeper"))
        .args(["run", "--vault", &Pubkey::new_unique().to_string(), "--rpc-url", "http://127.0.0.1:9"])
        .args(["--listen", "127.0.0.1:0", "--interval-ms", "100", "--keypair"])
        .arg(&keypair)
        .env("HOME", &home)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1_500));
    assert!(child.try_wait().unwrap().is_none(), "the keeper stopped on its own");

    let sent = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("still running 60 s after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut log = String::new();
    child.stdout.take().unwrap().read_to_string(&mut log).unwrap();
    child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    std::fs::remove_dir_all(&home).unwrap();
    assert!(status.success(), "{status:?}\n{log}");
    assert!(log.contains("keeper started") && log.contains("stopping"), "{log}");
}

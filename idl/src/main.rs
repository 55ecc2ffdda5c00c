//! `ballast-idl write` builds the program's Anchor IDL into `idl/ballast.json`; `ballast-idl
//! check` fails when the committed file differs from what the program builds (CI runs it).
use anyhow::{bail, Result};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Ballast's Anchor IDL, built from the program")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Builds the IDL and writes it to the file.
    Write {
        #[arg(long, default_value = "idl/ballast.json")]
        file: std::path::PathBuf,
    },
    /// Builds the IDL and fails when the file differs from it.
    Check {
        #[arg(long, default_value = "idl/ballast.json")]
        file: std::path::PathBuf,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let built = ballast_idl::to_json(&ballast_idl::build::build(&ballast_idl::build::program_dir())?)?;
    match cli.command {
        Command::Write { file } => {
            std::fs::write(&file, &built)?;
            println!("wrote {}", file.display());
        }
        Command::Check { file } => {
            let committed = std::fs::read_to_string(&file)?;
            if let Some(line) = ballast_idl::first_difference(&committed, &built) {
                bail!(
                    "{} differs from the program's IDL from line {line}: run `cargo run -p ballast-idl -- write` and commit it",
                    file.display()
                );
            }
            println!("{} matches the program", file.display());
        }
    }
    Ok(())
}

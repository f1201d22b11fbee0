//! `ocireg`: a registry client on the command line.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "ocireg", version, about = "Work with container registries")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse image references from stdin, one a line, and print one JSON
    /// object a line (domain, path, tag, digest, normalized and familiar forms,
    /// or the kind of error).
    Ref,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Ref => ocireg_cli::refcmd::run(std::io::stdin().lock(), std::io::stdout().lock()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ocireg: {e}");
            ExitCode::FAILURE
        }
    }
}

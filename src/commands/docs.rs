//! `zoom-licenses completions SHELL` and `zoom-licenses man DIR`: shell completions and man pages
//! generated from the clap definition (clap_complete, clap_mangen), so they never drift from it.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use run::exit::Failure;

/// Prints the completion script of `args.shell` on stdout.
pub fn completions(args: CompletionsArgs) -> Result<(), Failure> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "zoom-licenses", &mut out);
    std::io::Write::write_all(&mut std::io::stdout().lock(), &out)
        .map_err(|e| Failure::failed_msg(format!("cannot write to stdout: {e}")))
}

/// Writes the man pages into `args.dir`.
pub fn man(args: ManArgs) -> Result<(), Failure> {
    std::fs::create_dir_all(&args.dir)
        .and_then(|()| clap_mangen::generate_to(Cli::command(), &args.dir))
        .map_err(|e| {
            Failure::failed_msg(format!(
                "cannot write the man pages into {}: {e}",
                args.dir.display()
            ))
        })
}

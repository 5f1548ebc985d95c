//! `zoom-licenses completions SHELL` and `zoom-licenses man DIR`: shell completions and man pages
//! generated from the clap definition (clap_complete, clap_mangen), so they never drift from it.

use clap::{Command, CommandFactory};
use clap_mangen::roff::{Roff, bold, roman};

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use run::exit::Failure;

/// Prints the completion script of `args.shell` on stdout.
pub fn completions(args: CompletionsArgs) -> Result<(), Failure> {
    let mut command = Cli::command();
    const BIN: &str = "zoom-licenses";
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, BIN, &mut out);
    if args.shell == clap_complete::Shell::Bash {
        // clap-rs/clap#6421: for a hyphenated name, bash's case arms spell the state
        // `zoom__subcmd__licenses__…` while its loop builds `zoom__licenses__…`, so nothing after
        // a subcommand completes. Spelled as the loop does, as the upstream fix (#6428) does.
        let script = String::from_utf8_lossy(&out);
        let fixed = script.replace(&BIN.replace('-', "__subcmd__"), &BIN.replace('-', "__"));
        out = fixed.into_bytes();
    }
    std::io::Write::write_all(&mut std::io::stdout().lock(), &out)
        .map_err(|e| Failure::failed_msg(format!("cannot write to stdout: {e}")))
}

/// Writes the man pages into `args.dir`: the tool's and one per visible subcommand, each with
/// clap_mangen's sections and EXIT STATUS, ENVIRONMENT and EXAMPLES after them.
pub fn man(args: ManArgs) -> Result<(), Failure> {
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    let mut pages = vec![command.clone()];
    pages.extend(
        command
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
            .cloned(),
    );
    std::fs::create_dir_all(&args.dir)
        .and_then(|()| {
            pages
                .into_iter()
                .try_for_each(|page| write_page(page, &args.dir))
        })
        .map_err(|e| {
            Failure::failed_msg(format!(
                "cannot write the man pages into {}: {e}",
                args.dir.display()
            ))
        })
}

/// Writes one command's page into `dir`.
fn write_page(command: Command, dir: &std::path::Path) -> std::io::Result<()> {
    let name = command.get_name().to_string();
    let examples = EXAMPLES.iter().filter(|(of, _)| *of == name.as_str());
    let examples: Vec<&str> = examples.map(|(_, example)| *example).collect();
    let environment = environment(&command);
    // clap_mangen's own render leaves out what a command does not have: so does this one.
    let has_options = command.get_arguments().any(|a| !a.is_hide_set());
    let has_version = command.get_version().is_some();
    let man = clap_mangen::Man::new(command);
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    if has_options {
        man.render_options_section(&mut page)?;
    }
    if name == "zoom-licenses" {
        man.render_subcommands_section(&mut page)?;
    }
    let mut roff = Roff::new();
    roff.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in exit_status() {
        roff.control("TP", [])
            .text([bold(code)])
            .text([roman(meaning)]);
    }
    if !environment.is_empty() {
        roff.control("SH", ["ENVIRONMENT"]);
        for (variable, meaning) in environment {
            roff.control("TP", [])
                .text([bold(variable)])
                .text([roman(meaning)]);
        }
    }
    if !examples.is_empty() {
        roff.control("SH", ["EXAMPLES"]);
        for example in examples {
            roff.control("nf", [])
                .text([roman(example)])
                .control("fi", []);
            roff.control("PP", []);
        }
    }
    roff.to_writer(&mut page)?;
    if has_version {
        man.render_version_section(&mut page)?;
    }
    std::fs::write(dir.join(man.get_filename()), page)
}

/// The exit codes (`run::exit`; docs/usage.md, "Exit codes").
fn exit_status() -> [(String, &'static str); 5] {
    use run::exit::{FAILED, INTERRUPTED, OK, TEMPORARY, TERMINATED, USAGE};
    [
        (OK.to_string(), "Done (or stdout was closed by its reader)."),
        (
            FAILED.to_string(),
            "The run failed: a corrupt or incomplete recording, an unwritable output, a request Zoom refused.",
        ),
        (
            USAGE.to_string(),
            "Usage or configuration: fix the command or the Zoom app (flags, credentials, scopes).",
        ),
        (
            TEMPORARY.to_string(),
            "Temporary: retry later (daily quota, rate limits or network errors past every retry).",
        ),
        (
            format!("{INTERRUPTED}, {TERMINATED}"),
            "Interrupted by SIGINT or SIGTERM; partial outputs were removed.",
        ),
    ]
}

/// Variables read besides the flags' own (which clap names): each a default for every account.
const MORE_ENVIRONMENT: &[(&str, &str)] = &[
    (
        "ZOOM_API_URL",
        "Zoom API base URL when --api-url is not given; an account entry's api_url wins.",
    ),
    (
        "ZOOM_OAUTH_URL",
        "Zoom OAuth base URL when --oauth-url is not given; an account entry's oauth_url wins.",
    ),
    (
        "RUST_LOG",
        "Log filter, over -v and -q (e.g. zoom_licenses=debug).",
    ),
];

/// The variables a command reads: its arguments' (and its subcommands'), then the base URLs when
/// it connects to Zoom, then RUST_LOG.
fn environment(command: &Command) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = Vec::new();
    let mut commands = vec![command];
    while let Some(next) = commands.pop() {
        for arg in next.get_arguments() {
            let Some(variable) = arg.get_env().and_then(|v| v.to_str()) else {
                continue;
            };
            if found.iter().all(|(v, _)| v != variable) {
                let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
                found.push((variable.to_string(), help));
            }
        }
        commands.extend(next.get_subcommands());
    }
    let connects = |c: &Command| c.get_arguments().any(|a| a.get_id() == "api_url");
    let any_connects = connects(command) || command.get_subcommands().any(connects);
    for (variable, help) in MORE_ENVIRONMENT {
        if any_connects || *variable == "RUST_LOG" {
            found.push((variable.to_string(), help.to_string()));
        }
    }
    found
}

/// Examples per page (the tool's own page is `zoom-licenses`).
const EXAMPLES: &[(&str, &str)] = &[
    ("zoom-licenses", "zoom-licenses check"),
    (
        "zoom-licenses",
        "zoom-licenses extract --output-dir /data/zoom --partition-date 2026-12-01",
    ),
    (
        "zoom-licenses",
        "zoom-licenses reclaim --input out/zoom_users_manifest.json --format csv -o reclaim.csv",
    ),
    ("extract", "zoom-licenses extract -o out/zoom_users.parquet"),
    (
        "extract",
        "zoom-licenses extract --with activity,hosting --output-dir /data/zoom --partition-date 2026-12-01",
    ),
    (
        "extract",
        "zoom-licenses demo && zoom-licenses extract --replay zoom-licenses-sample --format ndjson -o - | jq .email",
    ),
    (
        "check",
        "zoom-licenses check --config accounts.toml --all-accounts",
    ),
    (
        "accounts",
        "zoom-licenses accounts --sub-accounts | jq -r '.[].id'",
    ),
    (
        "reclaim",
        "zoom-licenses reclaim --output-dir /data/zoom --partition-date 2026-12-01 --prices prices.toml",
    ),
    (
        "changes",
        "zoom-licenses changes --output-dir /data/zoom --to 2026-12-01 --partition-account emea --output - --format ndjson",
    ),
    (
        "report",
        "zoom-licenses report --output-dir /data/zoom --partition-date 2026-12-01",
    ),
    (
        "auth",
        "zoom-licenses auth --client-id ID --redirect-uri http://localhost:4199",
    ),
    (
        "completions",
        "zoom-licenses completions bash > ~/.local/share/bash-completion/completions/zoom-licenses",
    ),
];

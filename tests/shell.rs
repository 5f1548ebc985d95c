//! Shell completions and man pages, generated from the command line's definition.

mod common;

use common::*;

/// Every shell's script names the subcommands; bash's parses.
#[test]
fn completions_name_every_subcommand_and_bash_parses_its_script() {
    for shell in ["bash", "zsh", "fish"] {
        let output = zoom_licenses()
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_succeeded(&output);
        let script = String::from_utf8(output.stdout).unwrap();
        for command in ["extract", "check", "auth", "revoke", "reclaim", "changes"] {
            assert!(script.contains(command), "{shell}: {command}");
        }
        if shell == "bash" {
            let dir = tempfile::tempdir().unwrap();
            let file = dir.path().join("zoom-licenses.bash");
            std::fs::write(&file, &script).unwrap();
            let parsed = std::process::Command::new("bash")
                .arg("-n")
                .arg(&file)
                .status()
                .unwrap();
            assert!(parsed.success(), "bash -n");
        }
    }
    zoom_licenses()
        .args(["completions", "tcsh"])
        .assert()
        .code(2);
}

/// The man pages `zoom-licenses man DIR` writes, in a new folder.
fn man_pages() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    zoom_licenses()
        .arg("man")
        .arg(dir.path())
        .assert()
        .success();
    dir
}

/// `zoom-licenses man DIR` writes a page for the tool and one per subcommand, with its flags.
#[test]
fn man_pages_cover_every_subcommand_and_their_flags() {
    let dir = man_pages();
    let pages = dir_entries(dir.path());
    for command in [
        "extract",
        "check",
        "auth",
        "revoke",
        "reclaim",
        "changes",
        "report",
        "accounts",
        "completions",
    ] {
        assert!(
            pages.contains(&format!("zoom-licenses-{command}.1")),
            "{pages:?}"
        );
    }
    assert!(pages.contains(&"zoom-licenses.1".to_string()));
    let reclaim = std::fs::read_to_string(dir.path().join("zoom-licenses-reclaim.1")).unwrap();
    assert!(reclaim.contains("idle\\-days"), "{reclaim}");
    assert!(
        reclaim.starts_with(".ie") || reclaim.contains(".TH"),
        "roff"
    );
}

/// Every page has an EXIT STATUS section listing exactly the codes docs/usage.md's "Exit codes"
/// table lists; a page of a command that reads the environment lists those variables under
/// ENVIRONMENT; the tool's page and extract's have EXAMPLES.
#[test]
fn man_pages_have_exit_status_environment_and_examples() {
    let dir = man_pages();
    let usage = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/usage.md"),
    )
    .unwrap();
    let table = usage.split("### Exit codes").nth(1).unwrap();
    let documented: Vec<String> = table
        .lines()
        .skip_while(|l| !l.starts_with("| 0"))
        .take_while(|l| l.starts_with('|'))
        .flat_map(|l| {
            let cell = l.split('|').nth(1).unwrap().trim().to_string();
            cell.split(" / ").map(str::to_string).collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(documented, ["0", "1", "2", "75", "130", "143"]);
    for page in dir_entries(dir.path()) {
        let text = std::fs::read_to_string(dir.path().join(&page)).unwrap();
        let section = |name: &str| {
            let start = text
                .find(&format!(".SH {name}\n"))
                .or_else(|| text.find(&format!(".SH \"{name}\"\n")));
            let start = start.unwrap_or_else(|| panic!("{page}: no {name}"));
            let rest = &text[start + 4..];
            rest[..rest.find("\n.SH").unwrap_or(rest.len())].to_string()
        };
        let exit = section("EXIT STATUS");
        let codes: Vec<String> = exit
            .lines()
            .filter_map(|l| l.strip_prefix("\\fB"))
            .flat_map(|l| {
                let codes = &l[..l.find("\\fR").unwrap()];
                codes.split(", ").map(str::to_string).collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(codes, documented, "{page}");
        if [
            "zoom-licenses-extract.1",
            "zoom-licenses.1",
            "zoom-licenses-check.1",
        ]
        .contains(&page.as_str())
        {
            let environment = section("ENVIRONMENT");
            for variable in [
                "ZOOM_CLIENT_SECRET",
                "ZOOM_API_URL",
                "ZOOM_LICENSES_CONFIG",
                "RUST_LOG",
            ] {
                assert!(environment.contains(variable), "{page}: {variable}");
            }
        }
        if ["zoom-licenses-extract.1", "zoom-licenses.1"].contains(&page.as_str()) {
            assert!(
                section("EXAMPLES").contains("zoom\\-licenses extract"),
                "{page}"
            );
        }
    }
}

/// Bash completes a subcommand's flags (`extract --rep<TAB>`), which clap's script for a hyphenated
/// name did not (clap-rs/clap#6421): the script is sourced in an interactive bash and its
/// completion function (as `complete -p` names it) asked, as bash asks it on TAB.
#[test]
fn bash_completes_a_subcommands_flags() {
    let output = zoom_licenses()
        .args(["completions", "bash"])
        .output()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("zoom-licenses.bash");
    assert_succeeded(&output);
    std::fs::write(&file, &output.stdout).unwrap();
    let complete = |words: &str, current: &str, previous: &str| {
        let script = format!(
            "source {}; f=$(complete -p zoom-licenses | sed -E 's/.*-F ([^ ]+).*/\\1/'); \
             COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
             \"$f\" zoom-licenses {current} {previous}; echo \"${{COMPREPLY[*]}}\"",
            file.display()
        );
        let done = std::process::Command::new("bash")
            .args(["--norc", "--noprofile", "-i", "-c", &script])
            .output()
            .unwrap();
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
        String::from_utf8(done.stdout).unwrap().trim().to_string()
    };
    assert_eq!(
        complete("zoom-licenses extract --rep", "--rep", "extract"),
        "--replay"
    );
    assert_eq!(
        complete("zoom-licenses reclaim --idle", "--idle", "reclaim"),
        "--idle-days"
    );
    assert_eq!(
        complete("zoom-licenses accounts --sub", "--sub", "accounts"),
        "--sub-accounts"
    );
    let top = complete("zoom-licenses rec", "rec", "zoom-licenses");
    assert_eq!(top, "reclaim");
}

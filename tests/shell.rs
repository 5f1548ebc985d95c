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

/// `zoom-licenses man DIR` writes a page for the tool and one per subcommand, with its flags.
#[test]
fn man_pages_cover_every_subcommand_and_their_flags() {
    let dir = tempfile::tempdir().unwrap();
    zoom_licenses()
        .arg("man")
        .arg(dir.path())
        .assert()
        .success();
    let pages = dir_entries(dir.path());
    for command in [
        "extract",
        "check",
        "auth",
        "revoke",
        "reclaim",
        "changes",
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

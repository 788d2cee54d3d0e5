//! What the OpenSSH flows share: ssh-keygen, a scratch directory, the CLI.
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Stdio;

use assert_cmd::Command;
use modelgate::signed::ReviewerKey;

/// Whether `ssh-keygen` is here (a notice where it is not, a failure if CI requires it).
pub fn have_ssh_keygen() -> bool {
    let found = std::process::Command::new("ssh-keygen")
        .arg("-?")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found && std::env::var("MODELGATE_REQUIRE_SSH").as_deref() == Ok("1") {
        panic!("MODELGATE_REQUIRE_SSH=1 but ssh-keygen is not on PATH (install openssh-client)");
    }
    if !found {
        eprintln!("notice: ssh-keygen is not on PATH; skipping the CLI's signed-vote flow");
    }
    found
}

/// A fresh directory for `test`.
pub fn scratch(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("ssh-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `ssh-keygen <args>` in `dir`, which must succeed.
pub fn ssh(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("ssh-keygen")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `modelgate <args>` in `dir`: exit code, stdout (bytes), stderr.
pub fn modelgate(dir: &Path, args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = Command::cargo_bin("modelgate")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// An OpenSSH key pair for `who` made by ssh-keygen in `dir`; its public key.
pub fn keypair(dir: &Path, who: &str) -> ReviewerKey {
    ssh(
        dir,
        &["-q", "-t", "ed25519", "-N", "", "-C", who, "-f", who],
    );
    std::fs::read_to_string(dir.join(format!("{who}.pub")))
        .unwrap()
        .parse()
        .unwrap()
}

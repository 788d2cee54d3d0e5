//! Signed votes against OpenSSH itself, both ways: a vote signed by
//! `ssh-keygen -Y sign -n modelgate-vote` verifies in the crate, and a vote the crate signs
//! verifies with `ssh-keygen -Y verify` against an allowed-signers file; a changed vote fails
//! both ways. Needs `ssh-keygen` (Debian's `openssh-client`); skipped with a notice where it is
//! missing, unless `MODELGATE_REQUIRE_SSH=1` (CI), which fails the test instead.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use modelgate::signed::{NAMESPACE, ReviewerKey, SignatureError, VoteSignature, VoteStatement};
use modelgate::value::SignatureKind;
use modelgate::{Head, Review, Timestamp};

/// `ssh-keygen`, or `None` (with a notice) where there is none and none is required.
fn ssh_keygen() -> Option<PathBuf> {
    let found = Command::new("ssh-keygen")
        .arg("-?")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    match found {
        true => Some(PathBuf::from("ssh-keygen")),
        false if std::env::var("MODELGATE_REQUIRE_SSH").as_deref() == Ok("1") => {
            panic!("MODELGATE_REQUIRE_SSH=1 but ssh-keygen is not on PATH (install openssh-client)")
        }
        false => {
            eprintln!("notice: ssh-keygen is not on PATH; skipping the OpenSSH interop test");
            None
        }
    }
}

/// A fresh directory under the target dir.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("sshsig-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(cmd: &mut Command) -> std::process::Output {
    cmd.output().unwrap()
}

/// A new ed25519 key pair for `rita` in `dir`, made by ssh-keygen: (private key path, public
/// key).
fn keypair(ssh: &Path, dir: &Path) -> (PathBuf, ReviewerKey) {
    let private = dir.join("rita");
    let out = run(Command::new(ssh)
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "rita@laptop", "-f"])
        .arg(&private));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let public = std::fs::read_to_string(dir.join("rita.pub")).unwrap();
    (private, public.parse().unwrap())
}

/// `ssh-keygen -Y sign -f private <args> file`: the armored signature. The old `.sig` file is
/// removed first: ssh-keygen does not overwrite it (without a terminal it keeps the old one and
/// still exits 0).
fn keygen_sign(ssh: &Path, private: &Path, file: &Path, args: &[&str]) -> String {
    let sig = file.with_extension("bin.sig");
    let _ = std::fs::remove_file(&sig);
    let out = run(Command::new(ssh)
        .args(["-Y", "sign"])
        .args(args)
        .arg("-f")
        .arg(private)
        .arg(file));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(sig).unwrap()
}

fn statement(review: &Review) -> VoteStatement {
    VoteStatement::new(
        "churn",
        "4",
        "production",
        Head::from_bytes([1; 32]),
        review,
    )
}

fn approve() -> Review {
    Review::approve("rita", "sha256:9f2c", Timestamp::from_unix_secs(100))
}

fn reject() -> Review {
    Review::reject("rita", "sha256:9f2c", Timestamp::from_unix_secs(100))
}

#[test]
fn a_vote_signed_by_ssh_keygen_verifies_in_the_crate() {
    let Some(ssh) = ssh_keygen() else { return };
    let dir = scratch("keygen-signs");
    let (private, key) = keypair(&ssh, &dir);
    // The fingerprint errors show is the one ssh-keygen prints.
    let out = run(Command::new(&ssh)
        .arg("-l")
        .arg("-f")
        .arg(dir.join("rita.pub")));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&key.ssh_fingerprint()));
    let vote = dir.join("vote.bin");
    std::fs::write(&vote, statement(&approve()).to_bytes()).unwrap();
    // What rita runs on her machine.
    let armored = keygen_sign(&ssh, &private, &vote, &["-n", NAMESPACE]);
    let signature = VoteSignature::sshsig(armored.clone()).unwrap();
    signature.verify(&statement(&approve()), &key).unwrap();
    assert_eq!(
        signature.verify(&statement(&reject()), &key),
        Err(SignatureError::Mismatch)
    );
    // SHA-256 instead of ssh-keygen's default SHA-512 verifies too.
    let sha256 = keygen_sign(
        &ssh,
        &private,
        &vote,
        &["-n", NAMESPACE, "-O", "hashalg=sha256"],
    );
    assert_ne!(sha256, armored, "a new signature, not the old file");
    VoteSignature::sshsig(sha256)
        .unwrap()
        .verify(&statement(&approve()), &key)
        .unwrap();
    // A signature for git's namespace is not a vote.
    let armored = keygen_sign(&ssh, &private, &vote, &["-n", "git"]);
    assert_eq!(
        VoteSignature::sshsig(armored)
            .unwrap()
            .verify(&statement(&approve()), &key),
        Err(SignatureError::Namespace {
            found: "git".into(),
            expected: NAMESPACE,
        })
    );
}

/// `ssh-keygen -Y verify` of `signature` over `message` for `rita`: whether it accepts.
fn keygen_verifies(
    ssh: &Path,
    dir: &Path,
    key: &ReviewerKey,
    signature: &str,
    message: &[u8],
) -> bool {
    let allowed = dir.join("allowed_signers");
    std::fs::write(
        &allowed,
        format!("rita namespaces=\"{NAMESPACE}\" {}\n", key.to_openssh()),
    )
    .unwrap();
    let sig = dir.join("crate.sig");
    std::fs::write(&sig, signature).unwrap();
    let mut child = Command::new(ssh)
        .args(["-Y", "verify", "-I", "rita", "-n", NAMESPACE, "-f"])
        .arg(&allowed)
        .arg("-s")
        .arg(&sig)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(message).unwrap();
    child.wait().unwrap().success()
}

#[test]
fn a_vote_the_crate_signs_verifies_with_ssh_keygen() {
    let Some(ssh) = ssh_keygen() else { return };
    let dir = scratch("crate-signs");
    let (private, key) = keypair(&ssh, &dir);
    let private = std::fs::read_to_string(private).unwrap();
    let signature = VoteSignature::sign_ssh(&statement(&approve()), &private).unwrap();
    assert_eq!(signature.kind(), SignatureKind::Sshsig);
    let armored = signature.as_text();
    assert!(keygen_verifies(
        &ssh,
        &dir,
        &key,
        armored,
        &statement(&approve()).to_bytes()
    ));
    // A changed vote fails with ssh-keygen too.
    assert!(!keygen_verifies(
        &ssh,
        &dir,
        &key,
        armored,
        &statement(&reject()).to_bytes()
    ));
    // And under another person's key in the allowed-signers file.
    let other = ReviewerKey::from_seed(&[8; 32]);
    assert!(!keygen_verifies(
        &ssh,
        &dir,
        &other,
        armored,
        &statement(&approve()).to_bytes()
    ));
}

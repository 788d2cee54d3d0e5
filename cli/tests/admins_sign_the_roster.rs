//! A roster's admins sign its versions with the SSH keys they have: `modelgate roster
//! statement` writes a version's bytes, `ssh-keygen -Y sign -n modelgate-roster` signs them, the
//! signatures go into the file, and `modelgate roster show` verifies the roster from its pin.
//!
//! Needs `ssh-keygen`; skipped with a notice where it is missing, unless
//! `MODELGATE_REQUIRE_SSH=1` (CI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod ssh;

use modelgate::Timestamp;
use modelgate::signed::{Member, Roster, RosterVersion};
use ssh::{have_ssh_keygen, keypair, modelgate, scratch, ssh};

fn t(s: u64) -> Timestamp {
    Timestamp::from_unix_secs(s)
}

#[test]
fn admins_sign_a_roster_version_with_ssh_keygen() {
    if !have_ssh_keygen() {
        return;
    }
    let dir = scratch("admins-sign");
    let admins = [keypair(&dir, "ada"), keypair(&dir, "alan")];
    let rita = keypair(&dir, "rita");
    let first = RosterVersion::first(
        admins.to_vec(),
        2,
        vec![Member::new("rita", rita, t(0)).with_role("risk_officer")],
    );
    let hash = first.hash().to_string();
    std::fs::write(
        dir.join("roster.json"),
        serde_json::to_string_pretty(&Roster::new(vec![first])).unwrap(),
    )
    .unwrap();
    // Unsigned, the roster does not verify.
    let (code, _, stderr) = modelgate(&dir, &["roster", "show", "roster.json", "--first", &hash]);
    assert_eq!(code, 1, "{stderr}");
    // Each admin signs the version's bytes with their own SSH key; the signatures go into
    // the file as cli/README.md says.
    let (code, bytes, stderr) = modelgate(
        &dir,
        &["roster", "statement", "roster.json", "--number", "1"],
    );
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(dir.join("version-1"), &bytes).unwrap();
    let mut roster: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("roster.json")).unwrap()).unwrap();
    for admin in ["ada", "alan"] {
        ssh(
            &dir,
            &[
                "-Y",
                "sign",
                "-f",
                admin,
                "-n",
                "modelgate-roster",
                "version-1",
            ],
        );
        let signature = std::fs::read_to_string(dir.join("version-1.sig")).unwrap();
        std::fs::remove_file(dir.join("version-1.sig")).unwrap();
        let key = std::fs::read_to_string(dir.join(format!("{admin}.pub"))).unwrap();
        roster[0]["signatures"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"key": key.trim(), "signature": {"sshsig": signature}}));
    }
    std::fs::write(dir.join("roster.json"), roster.to_string()).unwrap();
    let (code, stdout, stderr) =
        modelgate(&dir, &["roster", "show", "roster.json", "--first", &hash]);
    assert_eq!(code, 0, "{stderr}");
    assert!(String::from_utf8(stdout).unwrap().contains("rita"));
    // There is no version 2 to sign.
    let (code, bytes, stderr) = modelgate(
        &dir,
        &["roster", "statement", "roster.json", "--number", "2"],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(bytes.is_empty());
    assert!(stderr.contains("no version 2"), "{stderr}");
}

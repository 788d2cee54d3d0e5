//! The log of heads across implementations: writes checkpoints, signed notes and proofs for
//! Go's reference implementation to check (`emit DIR`), then checks what Go signed
//! (`check-go DIR`). Run by `scripts/tlog_interop.sh`, which CI runs.
//!
//! ```sh
//! cargo run --features log --example log_interop -- emit target/tlog-interop
//! ```

use std::error::Error;
use std::fs;
use std::path::Path;

use modelgate::log::{Checkpoint, Leaf, NoteSigner, NoteVerifier, Tree};
use modelgate::{Head, Timestamp};

const ORIGIN: &str = "bank.example/modelgate/heads";

fn signer() -> Result<NoteSigner, Box<dyn Error>> {
    // A fixed example key: never use it for a real log.
    Ok(NoteSigner::new("bank.example/modelgate/heads", [7; 32])?)
}

fn emit(dir: &Path) -> Result<(), Box<dyn Error>> {
    fs::create_dir_all(dir)?;
    let signer = signer()?;
    let mut tree = Tree::new();
    let mut leaves = String::new();
    for i in 0..50u64 {
        // Heads of four models' trails, as a host's appends interleave them (any 32 bytes
        // stand in for a head here).
        let head = Head::from_bytes(*tree.root().as_bytes());
        let leaf = Leaf::new(
            "churn",
            format!("{}", i % 4),
            "production",
            head,
            i / 4 + 1,
            Timestamp::from_unix_secs(1_000 + i),
        );
        tree.append(leaf.hash());
        let hex: String = leaf.to_bytes().iter().map(|b| format!("{b:02x}")).collect();
        leaves.push_str(&hex);
        leaves.push('\n');
    }
    let (size, old) = (tree.size(), 37);
    let checkpoint = Checkpoint::new(ORIGIN, size, tree.root())?;
    let old_checkpoint = Checkpoint::new(ORIGIN, old, tree.head_at(old)?.root())?;
    let mut inclusion = Vec::new();
    let mut consistency = Vec::new();
    for n in [1, 2, 3, 7, 8, 9, 16, 31, 37, 50] {
        for m in [0, 1, 5, 8, 15, 30, 36, 49] {
            if m < n {
                inclusion.push(tree.prove_inclusion(m, n)?);
            }
        }
        for o in [1, 2, 3, 4, 7, 8, 15, 16, 17, 36, 37] {
            if o < n {
                consistency.push(tree.prove_consistency(o, n)?);
            }
        }
    }
    fs::write(
        dir.join("vkey.txt"),
        format!("{}\n", signer.verifier().to_text()),
    )?;
    fs::write(dir.join("checkpoint.txt"), checkpoint.sign(&signer)?)?;
    fs::write(
        dir.join("old_checkpoint.txt"),
        old_checkpoint.sign(&signer)?,
    )?;
    fs::write(dir.join("leaves.txt"), leaves)?;
    fs::write(
        dir.join("inclusion.json"),
        serde_json::to_string(&inclusion)?,
    )?;
    fs::write(
        dir.join("consistency.json"),
        serde_json::to_string(&consistency)?,
    )?;
    println!(
        "log interop: wrote {} inclusion and {} consistency proofs for {size} leaves",
        inclusion.len(),
        consistency.len()
    );
    Ok(())
}

fn check_go(dir: &Path) -> Result<(), Box<dyn Error>> {
    let ours = signer()?.verifier();
    let go = NoteVerifier::from_text(&fs::read_to_string(dir.join("go_vkey.txt"))?)?;
    let mine = Checkpoint::open(
        &fs::read_to_string(dir.join("checkpoint.txt"))?,
        ORIGIN,
        &ours,
    )?;
    // A checkpoint Go signed, with Go's key (Go as the log).
    let theirs = Checkpoint::open(
        &fs::read_to_string(dir.join("go_checkpoint.txt"))?,
        ORIGIN,
        &go,
    )?;
    if theirs != mine {
        return Err("Go's checkpoint states another size or root".into());
    }
    // The crate's checkpoint cosigned by Go: both signatures verify; either key alone opens it.
    let cosigned = fs::read_to_string(dir.join("cosigned.txt"))?;
    let note = modelgate::log::Note::open(&cosigned, &[ours.clone(), go.clone()])?;
    if note.verified_by().count() != 2 {
        return Err(format!(
            "expected two verified signatures, got {:?}",
            note.verified_by().collect::<Vec<_>>()
        )
        .into());
    }
    Checkpoint::open_witnessed(&cosigned, ORIGIN, &ours, std::slice::from_ref(&go), 1)?;
    // A Go-signed checkpoint edited afterwards is refused.
    let edited = fs::read_to_string(dir.join("go_checkpoint.txt"))?.replacen(
        &format!("\n{}\n", mine.size()),
        &format!("\n{}\n", mine.size() - 1),
        1,
    );
    if Checkpoint::open(&edited, ORIGIN, &go).is_ok() {
        return Err("an edited Go-signed checkpoint was accepted".into());
    }
    println!("log interop: the crate verified Go's signed and cosigned checkpoints");
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    match args.as_slice() {
        [_, cmd, dir] if cmd == "emit" => emit(Path::new(dir)),
        [_, cmd, dir] if cmd == "check-go" => check_go(Path::new(dir)),
        _ => Err("usage: log_interop emit DIR | check-go DIR".into()),
    }
}

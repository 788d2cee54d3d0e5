//! An auditor's export of a registry (JSON Lines and CSV) reads back into exactly the stored
//! registry it came from, or is refused naming the line and column: a column an auditor reads
//! (who, when, what, the verdict, the policy) cannot say anything the record does not, and an
//! export forged consistently (every hash recomputed) or cut, reordered or spliced is refused
//! when the registry is restored.
#![cfg(feature = "export")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{key, t};
use modelgate::registry::export::{self, ExportError, Format};
use modelgate::registry::{PolicyBook, RestoreRegistryError, StoredRegistry};
use modelgate::{
    AnyModel, Environment, MetricGate, Metrics, Model, Quorum, Receipt, Registry, Review,
    TrainingOutcome,
};
use proptest::prelude::*;

fn production() -> Environment {
    Environment::new("production").unwrap()
}

fn policy() -> (MetricGate, Quorum) {
    (MetricGate::at_least("accuracy", 0.9), Quorum::new(2))
}

fn book() -> PolicyBook {
    PolicyBook::new().with("production", policy())
}

/// Version 1 deployed after two approvals with `comments`, version 2 rejected on metrics.
fn registry(comments: [&str; 2]) -> StoredRegistry {
    let mut registry = Registry::new("churn").unwrap();
    let outcome = |digest: &str, accuracy| {
        TrainingOutcome::new(digest, Metrics::new([("accuracy", accuracy)]).unwrap()).unwrap()
    };
    let submit = |version: &str, accuracy, at| {
        Model::new("churn", version)
            .unwrap()
            .in_environment(production())
            .submit(
                outcome(&format!("sha256:{version}"), accuracy),
                "alice",
                t(at),
            )
            .unwrap()
    };
    registry.put(submit("1", 0.93, 10)).unwrap();
    for (who, comment) in ["bob", "carol"].into_iter().zip(comments) {
        let review = Review::approve(who, "sha256:1", t(11)).with_comment(comment);
        registry.record(&production(), "1", review).unwrap();
    }
    registry
        .decide(&production(), "1", &policy(), t(12))
        .unwrap();
    let AnyModel::Approved(approved) = registry.take(&production(), "1").unwrap() else {
        panic!("approved")
    };
    registry
        .deploy(approved, Receipt::new("deploy/1"), "ci", t(13))
        .unwrap();
    registry.put(submit("2", 0.5, 20)).unwrap();
    registry
        .decide(&production(), "2", &policy(), t(21))
        .unwrap();
    registry.sealed_by(&key()).unwrap()
}

fn stored() -> StoredRegistry {
    registry(["looks good", "ok, ship it"])
}

/// `text` with the `column` of its `line` (from 1) set to `value`, in the format's own terms.
fn edit(format: Format, text: &str, line: usize, column: &str, value: &str) -> String {
    match format {
        Format::JsonLines => {
            let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
            let mut row: serde_json::Value = serde_json::from_str(&lines[line - 1]).unwrap();
            row[column] = serde_json::Value::String(value.to_owned());
            lines[line - 1] = row.to_string();
            lines.join("\n") + "\n"
        }
        Format::Csv => {
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let headers = reader.headers().unwrap().clone();
            let at = headers.iter().position(|h| h == column).unwrap();
            let mut writer = csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(Vec::new());
            writer.write_record(&headers).unwrap();
            for (i, record) in reader.records().enumerate() {
                let mut fields: Vec<String> = record.unwrap().iter().map(str::to_owned).collect();
                if i + 2 == line {
                    fields[at] = value.to_owned();
                }
                writer.write_record(&fields).unwrap();
            }
            String::from_utf8(writer.into_inner().unwrap()).unwrap()
        }
        _ => unreachable!("a new format"),
    }
}

const FORMATS: [Format; 2] = [Format::JsonLines, Format::Csv];

/// The line (from 1) of the first event row whose action is `action`.
fn line_of(format: Format, text: &str, action: &str) -> usize {
    let rows = text.lines().position(|l| match format {
        Format::JsonLines => l.contains(&format!("\"action\":\"{action}\"")),
        Format::Csv => l.starts_with("event,") && l.contains(&format!(",{action},")),
        _ => unreachable!("a new format"),
    });
    rows.unwrap() + 1
}

#[test]
fn an_export_reads_back_into_the_record_it_came_from() {
    for format in FORMATS {
        let stored = stored();
        let text = format.write(&stored);
        let back = format.read(&text).unwrap();
        assert_eq!(back, stored, "{format:?}");
        let restored = back.restore(&key(), &book()).unwrap();
        assert_eq!(restored.members().count(), 2);
    }
}

#[test]
fn every_event_is_one_row_with_who_when_what_and_the_policy() {
    let stored = stored();
    let text = export::json_lines(&stored);
    let events: usize = stored.members().iter().map(|m| m.events().len()).sum();
    assert_eq!(text.lines().count(), 1 + stored.members().len() + events);
    let decided: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|r: &serde_json::Value| r["action"] == "approved")
        .collect();
    assert_eq!(decided.len(), 1);
    assert!(decided[0]["who"].as_str().unwrap().starts_with("policy: "));
    assert!(!decided[0]["policy"].as_str().unwrap().is_empty());
    assert_eq!(decided[0]["fingerprint"].as_str().unwrap().len(), 64);
    assert_eq!(decided[0]["at"], "1970-01-01T00:00:12Z");
}

#[test]
fn the_formats_are_as_published() {
    let stored = stored();
    insta::assert_snapshot!("export_json_lines", export::json_lines(&stored));
    insta::assert_snapshot!("export_csv", export::csv(&stored));
}

#[test]
fn an_edited_column_an_auditor_reads_is_refused_by_line_and_column() {
    for format in FORMATS {
        let text = format.write(&stored());
        let vote = line_of(format, &text, "voted");
        for (column, value) in [
            ("who", "mallory"),
            ("at", "1970-01-01T00:00:11.500Z"),
            ("detail", "approve on sha256:1 (looks great)"),
            ("action", "rejected"),
        ] {
            let forged = edit(format, &text, vote, column, value);
            let error = format.read(&forged).unwrap_err();
            let expected_column = if column == "at" { "at" } else { column };
            match error {
                ExportError::Differs {
                    line,
                    column,
                    found,
                    ..
                } => {
                    assert_eq!((line, column), (vote as u64, expected_column), "{format:?}");
                    assert_eq!(found, value, "the error shows the edited cell");
                }
                // An edited time is an edited event: its hash no longer chains.
                ExportError::Chain { .. } if column == "at" => {}
                other => panic!("{format:?} {column}: {other}"),
            }
        }
        let decided = line_of(format, &text, "approved");
        for column in ["policy", "fingerprint"] {
            let forged = edit(format, &text, decided, column, "other");
            assert!(
                matches!(format.read(&forged), Err(ExportError::Differs { column: c, .. }) if c == column),
                "{format:?} {column}"
            );
        }
    }
}

#[test]
fn an_export_forged_consistently_is_refused_on_restore() {
    // Every hash recomputed: version 2's verdict changed to an approval, its chain, head and the
    // index rebuilt, the rows rendered from the forged record. Without the key, the seals fail.
    let stored = stored();
    let members = stored
        .members()
        .iter()
        .map(|member| {
            if member.version() != "2" {
                return member.clone();
            }
            let text = serde_json::to_string(member).unwrap();
            let verdict = "\"verdict\":{\"kind\":\"reject\"";
            assert!(text.contains(verdict), "{text}");
            let forged = text.replace(verdict, "\"verdict\":{\"kind\":\"approve\"");
            common::rechain(serde_json::from_str(&forged).unwrap())
        })
        .collect();
    let forged = StoredRegistry::from_parts("churn", members, stored.seal().cloned());
    for format in FORMATS {
        let text = format.write(&forged);
        let back = format.read(&text).unwrap();
        let refused = back.restore(&key(), &book()).unwrap_err();
        assert!(
            matches!(
                refused.error(),
                RestoreRegistryError::Seal(_) | RestoreRegistryError::Member { .. }
            ),
            "{format:?}: {}",
            refused.error()
        );
    }
}

#[test]
fn a_member_cut_from_the_export_is_refused_on_restore() {
    for format in FORMATS {
        let text = format.write(&stored());
        // Version 2's rows are the last: its member row and its events.
        let keep: Vec<&str> = match format {
            Format::JsonLines => text
                .lines()
                .take_while(|l| {
                    !(l.contains("\"record\":\"member\"") && l.contains("\"version\":\"2\""))
                })
                .collect(),
            Format::Csv => text
                .lines()
                .take_while(|l| !l.starts_with("member,churn,production,2,"))
                .collect(),
            _ => unreachable!("a new format"),
        };
        let cut = keep.join("\n") + "\n";
        // The registry's row (after the CSV's header) states the index of the members it
        // had: refused on reading.
        let registry_line = if format == Format::Csv { 2 } else { 1 };
        assert!(
            matches!(
                format.read(&cut),
                Err(ExportError::Differs { line, column: "hash", .. }) if line == registry_line
            ),
            "{format:?}"
        );
        // The index recomputed for the one member left: read back, refused by the index seal.
        let one = StoredRegistry::from_parts("churn", vec![stored().members()[0].clone()], None);
        let index = one.index().to_string();
        let consistent = edit(format, &cut, registry_line as usize, "hash", &index);
        let back = format.read(&consistent).unwrap();
        assert_eq!(back.members().len(), 1);
        let refused = back.restore(&key(), &book()).unwrap_err();
        assert!(
            matches!(refused.error(), RestoreRegistryError::Seal(_)),
            "{format:?}"
        );
    }
}

#[test]
fn a_last_event_cut_or_rows_reordered_do_not_read_back() {
    for format in FORMATS {
        let text = format.write(&stored());
        let mut lines: Vec<&str> = text.lines().collect();
        let last = lines.len() - 1;
        // The last event cut: the member's head no longer is its last event's hash.
        let cut = lines[..last].join("\n") + "\n";
        assert!(
            matches!(
                format.read(&cut),
                Err(ExportError::Differs { column: "hash", .. })
            ),
            "{format:?}"
        );
        // Two events swapped.
        let vote = line_of(format, &text, "voted") - 1;
        lines.swap(vote, vote + 1);
        let swapped = lines.join("\n") + "\n";
        assert!(
            matches!(format.read(&swapped), Err(ExportError::Chain { .. })),
            "{format:?}"
        );
    }
}

#[test]
fn rows_spliced_from_another_registry_do_not_read_back() {
    let ours = export::json_lines(&stored());
    let mut other = Registry::new("fraud").unwrap();
    other
        .put(
            Model::new("fraud", "1")
                .unwrap()
                .in_environment(production())
                .submit(
                    TrainingOutcome::new("sha256:f", Metrics::new([("accuracy", 0.99)]).unwrap())
                        .unwrap(),
                    "alice",
                    t(10),
                )
                .unwrap(),
        )
        .unwrap();
    let theirs = export::json_lines(&other.sealed_by(&key()).unwrap());
    let spliced: String = ours
        .lines()
        .chain(theirs.lines().skip(1))
        .map(|l| format!("{l}\n"))
        .collect();
    let error = export::read_json_lines(&spliced).unwrap_err();
    assert!(
        matches!(
            error,
            ExportError::Differs {
                column: "registry",
                ..
            } | ExportError::Chain { .. }
        ),
        "{error}"
    );
}

#[test]
fn a_formula_in_a_comment_is_inert_in_the_csv() {
    let stored = registry(["=HYPERLINK(\"http://x\",\"ok\")", "@SUM(A1:A2)"]);
    let text = export::csv(&stored);
    for line in text.lines() {
        for cell in line.split(',') {
            let cell = cell.trim_start_matches('"');
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "a cell a spreadsheet would run: {cell}"
            );
        }
    }
    assert_eq!(export::read_csv(&text).unwrap(), stored);
}

#[test]
fn bad_exports_are_typed_and_named() {
    let text = export::json_lines(&stored());
    let vote = line_of(Format::JsonLines, &text, "voted");
    let cases = [
        ("empty", String::new()),
        ("not_json", "{\"record\":".to_owned()),
        (
            "member_first",
            text.lines().skip(1).collect::<Vec<_>>().join("\n"),
        ),
        (
            "bad_time",
            edit(Format::JsonLines, &text, vote, "at", "yesterday"),
        ),
        (
            "bad_prev",
            edit(Format::JsonLines, &text, vote, "prev", "00"),
        ),
        ("bad_seal", edit(Format::JsonLines, &text, 1, "seal", "XYZ")),
        (
            "bad_event",
            edit(Format::JsonLines, &text, vote, "event", "{}"),
        ),
        (
            "who",
            edit(Format::JsonLines, &text, vote, "who", "mallory"),
        ),
    ];
    for (name, text) in cases {
        let error = export::read_json_lines(&text).unwrap_err();
        insta::assert_snapshot!(format!("export_error_{name}"), error.to_string());
    }
    let csv = export::csv(&stored()).replacen("record,registry", "kind,registry", 1);
    insta::assert_snapshot!(
        "export_error_csv_header",
        export::read_csv(&csv).unwrap_err().to_string()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any comment text round-trips in both formats: commas, quotes, line breaks, formulas,
    /// leading quotes, control and look-alike characters.
    #[test]
    fn any_comment_round_trips(a in "\\PC{0,40}", b in "['=+@\\-\",\n\t ]{0,6}[a-z]{0,4}") {
        let stored = registry([a.as_str(), b.as_str()]);
        for format in FORMATS {
            let text = format.write(&stored);
            prop_assert_eq!(&format.read(&text).unwrap(), &stored);
        }
    }
}

/// The cells of a CSV export are read back only as the writer spells them: a formula cell
/// whose guard was stripped (a spreadsheet would run it), a guard where none belongs, a number
/// spelled `+2` or `02` — each reads as the same record, and each is refused, so `registry
/// verify` never vouches for a file that runs a formula when opened.
#[test]
fn a_csv_cell_not_spelled_as_written_is_refused() {
    let mut registry = Registry::new("churn").unwrap();
    let outcome =
        TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.93)]).unwrap()).unwrap();
    let formula = "=1+1";
    let model = Model::new("churn", formula)
        .unwrap()
        .in_environment(production());
    registry
        .put(model.submit(outcome, "alice", t(10)).unwrap())
        .unwrap();
    let stored = registry.sealed_by(&key()).unwrap();
    let text = export::csv(&stored);
    assert!(
        text.contains(",'=1+1,"),
        "the writer guards the version: {text}"
    );
    assert_eq!(export::read_csv(&text).unwrap(), stored);

    let stripped = text.replace(",'=1+1,", ",=1+1,");
    let cases = [
        ("a formula unguarded", stripped, "version"),
        (
            "a guard where none belongs",
            text.replacen("event,churn,", "event,'churn,", 1),
            "registry",
        ),
        (
            "seq as +1",
            text.replacen(",'=1+1,1,", ",'=1+1,+1,", 1),
            "seq",
        ),
        (
            "seq as 01",
            text.replacen(",'=1+1,1,", ",'=1+1,01,", 1),
            "seq",
        ),
        (
            "format as 02",
            text.replacen(",,2,test-key,", ",,02,test-key,", 1),
            "format",
        ),
    ];
    for (what, edited, column) in cases {
        assert_ne!(edited, text, "{what}: the edit applies");
        match export::read_csv(&edited) {
            Err(ExportError::Differs { column: found, .. }) => {
                assert_eq!(found, column, "{what}");
            }
            other => panic!("{what}: {other:?}"),
        }
    }
}

/// What `read_csv` compares is the cells, not the file's layout: the same export re-saved as a
/// spreadsheet would (a byte-order mark, `\r\n` line ends, every field quoted, blank lines)
/// reads as the same record, and a cell changed in such a file is still refused by name.
#[test]
fn a_csv_re_saved_reads_as_the_same_record_and_its_cells_are_still_checked() {
    let stored = stored();
    let text = export::csv(&stored);
    let quoted: String = text
        .lines()
        .map(|line| {
            let cells: Vec<String> = ::csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(line.as_bytes())
                .records()
                .next()
                .unwrap()
                .unwrap()
                .iter()
                .map(|cell| format!("\"{}\"", cell.replace('"', "\"\"")))
                .collect();
            cells.join(",")
        })
        .collect::<Vec<_>>()
        .join("\r\n\r\n");
    let re_saved = format!("\u{feff}{quoted}\r\n");
    assert_ne!(re_saved, text);
    assert_eq!(export::read_csv(&re_saved).unwrap(), stored);
    let edited = re_saved.replacen("\"bob\"", "\"mallory\"", 1);
    assert_ne!(edited, re_saved, "the edit applies");
    assert!(
        export::read_csv(&edited).is_err(),
        "a changed reviewer in a re-saved file was accepted"
    );
}

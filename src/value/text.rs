//! Validation of the short texts a host hands in (names, versions, ids, roles, digests, metric
//! and step names), and escaping of the free texts it hands in (comments, receipts, notes).
//!
//! Identifiers are compared exactly, byte for byte: `alice` and `Alice` are two people. So that
//! two identifiers that *look* the same are never two people, an identifier is refused when it
//! holds anything that displays like something else:
//!
//! - control characters, and whitespace at either end;
//! - whitespace other than the ASCII space (no-break and ideographic spaces …);
//! - invisible and format characters: zero-width spaces and joiners, the byte-order mark, the soft
//!   hyphen, word joiners, bidirectional controls (U+061C, U+200E/F, U+202A–E, U+2066–9) and the
//!   line and paragraph separators (U+2028/9);
//! - full-width forms (U+FF01–U+FF5E), which display like ASCII;
//! - letters of the Latin script mixed with Cyrillic or Greek letters in one identifier, which is
//!   how `аlice` (Cyrillic `а`) passes for `alice`.
//!
//! Where the line is drawn: without Unicode's confusables tables (which would add a dependency),
//! an identifier written entirely in another script that resembles a Latin one (all-Cyrillic
//! `асе`) is accepted, and so are case variants (`Alice`), which display differently. Hosts should
//! pass canonical ids (e.g. lowercased e-mail addresses); the spec linter warns about approvers
//! that differ only by case.

use std::fmt;

/// The longest text accepted for a name, version, id, role or digest, in bytes.
pub const MAX_LEN: usize = 256;

/// What is wrong with an identifier.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TextProblem {
    /// The text is empty.
    Empty,
    /// The text contains a control character (such as a newline).
    ControlCharacter,
    /// The text is longer than 256 bytes.
    TooLong {
        /// The length found, in bytes.
        len: usize,
    },
    /// The text starts or ends with whitespace.
    SurroundingWhitespace,
    /// The text holds a character that is invisible or displays like another: a zero-width or
    /// format character, a bidirectional control, a line separator, a whitespace other than
    /// the ASCII space, or a full-width form.
    LookAlike {
        /// The character.
        ch: char,
    },
    /// The text mixes Latin letters with Cyrillic or Greek ones.
    MixedScript,
}

/// A name, version, id, role or digest that is refused: empty, too long, or holding something
/// that would display like another identifier (see the rules in [`TextProblem`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field} {value}{problem}")]
pub struct TextError {
    field: &'static str,
    value: Shown,
    problem: TextProblem,
}

impl TextError {
    /// The field that was refused, e.g. `name` or `reviewer`.
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// What is wrong with it.
    pub fn problem(&self) -> &TextProblem {
        &self.problem
    }
}

impl fmt::Display for TextProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("must not be empty"),
            Self::ControlCharacter => f.write_str("must not contain control characters"),
            Self::TooLong { len } => {
                write!(f, "is {len} bytes long; at most {MAX_LEN} are allowed")
            }
            Self::SurroundingWhitespace => f.write_str("must not start or end with whitespace"),
            Self::LookAlike { ch } => write!(
                f,
                "must not contain U+{:04X}, which is invisible or displays like another character",
                u32::from(*ch)
            ),
            Self::MixedScript => {
                f.write_str("must not mix Latin letters with Cyrillic or Greek ones")
            }
        }
    }
}

/// The refused value as shown in a message: escaped, shortened, in backticks.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Shown(String);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return Ok(());
        }
        let mut escaped = self.0.chars().flat_map(char::escape_debug);
        let shown: String = escaped.by_ref().take(40).collect();
        let more = if escaped.next().is_some() { "…" } else { "" };
        write!(f, "`{shown}{more}` ")
    }
}

/// Whether `ch` is invisible or displays like another character.
fn looks_alike(ch: char) -> bool {
    matches!(ch,
        '\u{00A0}' | '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}'
        | '\u{1680}' | '\u{17B4}' | '\u{17B5}' | '\u{180E}'
        | '\u{2000}'..='\u{200F}'
        | '\u{2028}'..='\u{202F}'
        | '\u{205F}'..='\u{206F}'
        | '\u{3000}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FF01}'..='\u{FF5E}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0000}'..='\u{E007F}')
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Script {
    Latin,
    Greek,
    Cyrillic,
}

fn script(ch: char) -> Option<Script> {
    match ch {
        'a'..='z' | 'A'..='Z' | '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}' => {
            Some(Script::Latin)
        }
        '\u{0370}'..='\u{03FF}' | '\u{1F00}'..='\u{1FFF}' => Some(Script::Greek),
        '\u{0400}'..='\u{052F}' => Some(Script::Cyrillic),
        _ => None,
    }
}

/// Checks one identifier (see the module docs): non-empty, at most [`MAX_LEN`] bytes, nothing
/// that displays like something else. Linear in the length.
pub(crate) fn check(field: &'static str, value: &str) -> Result<(), TextError> {
    problem(value).map_or(Ok(()), |problem| {
        Err(TextError {
            field,
            value: Shown(value.to_owned()),
            problem,
        })
    })
}

fn problem(value: &str) -> Option<TextProblem> {
    if value.is_empty() {
        return Some(TextProblem::Empty);
    }
    if value.len() > MAX_LEN {
        return Some(TextProblem::TooLong { len: value.len() });
    }
    if value.chars().any(char::is_control) {
        return Some(TextProblem::ControlCharacter);
    }
    if value.starts_with(char::is_whitespace) || value.ends_with(char::is_whitespace) {
        return Some(TextProblem::SurroundingWhitespace);
    }
    let mut first_script = None;
    for ch in value.chars() {
        if looks_alike(ch) || (ch.is_whitespace() && ch != ' ') {
            return Some(TextProblem::LookAlike { ch });
        }
        if let Some(s) = script(ch) {
            match first_script {
                None => first_script = Some(s),
                Some(first) if first != s && (first == Script::Latin || s == Script::Latin) => {
                    return Some(TextProblem::MixedScript);
                }
                Some(_) => {}
            }
        }
    }
    None
}

/// Free text a host handed in (a comment, a receipt, notes, an error), for display: control,
/// invisible and look-alike characters are escaped (`\n`, `\u{202e}`), so that no host string can
/// start a new line or reorder an audit line.
pub(crate) struct Escaped<'a>(pub(crate) &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for ch in self.0.chars() {
            if ch.is_control() || looks_alike(ch) {
                write!(f, "{}", ch.escape_unicode())?;
            } else {
                fmt::Write::write_char(f, ch)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem_of(s: &str) -> Option<TextProblem> {
        check("id", s).err().map(|e| e.problem)
    }

    #[test]
    fn accepts_ordinary_identifiers() {
        for ok in [
            "fraud-detector",
            "alice@example.com",
            "team lead",
            "Zoë",
            "иван",
            "Σωκράτης",
            "数据科学家",
            "sha256:7d1e",
        ] {
            assert_eq!(problem_of(ok), None, "{ok}");
        }
        assert!(check("name", &"x".repeat(MAX_LEN)).is_ok());
    }

    #[test]
    fn refuses_what_displays_like_another_identifier() {
        assert_eq!(problem_of(""), Some(TextProblem::Empty));
        assert_eq!(problem_of("a\nb"), Some(TextProblem::ControlCharacter));
        assert_eq!(
            problem_of(&"x".repeat(MAX_LEN + 1)),
            Some(TextProblem::TooLong { len: MAX_LEN + 1 })
        );
        assert_eq!(
            problem_of("alice "),
            Some(TextProblem::SurroundingWhitespace)
        );
        assert_eq!(
            problem_of(" alice"),
            Some(TextProblem::SurroundingWhitespace)
        );
        for (s, ch) in [
            ("alice\u{200b}", '\u{200b}'),
            ("\u{feff}alice", '\u{feff}'),
            ("ali\u{00ad}ce", '\u{00ad}'),
            ("al\u{202e}ice", '\u{202e}'),
            ("al\u{2028}ice", '\u{2028}'),
            ("team\u{00a0}lead", '\u{00a0}'),
            ("ａｌｉｃｅ", 'ａ'),
        ] {
            assert_eq!(problem_of(s), Some(TextProblem::LookAlike { ch }), "{s:?}");
        }
        assert_eq!(problem_of("аlice"), Some(TextProblem::MixedScript));
        assert_eq!(problem_of("bоb"), Some(TextProblem::MixedScript));
    }

    #[test]
    fn escapes_free_text_for_display() {
        assert_eq!(
            Escaped("ok\n#9 forged\u{202e}").to_string(),
            "ok\\u{a}#9 forged\\u{202e}"
        );
    }
}

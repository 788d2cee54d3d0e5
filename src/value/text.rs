//! Validation of the short texts a host hands in (names, versions, ids, roles, digests, metric
//! and step names), and escaping of the free texts it hands in (comments, receipts, notes).
//!
//! Identifiers are compared exactly, byte for byte: `alice` and `Alice` are two people. So that
//! two identifiers that *look* the same are never two people, an identifier may hold only:
//!
//! - letters and digits of any script (as Unicode classifies them alphabetic or numeric), and
//! - the printable ASCII punctuation and symbols, and the ASCII space between other characters;
//!
//! and of the letters, not those that pass for others: the mathematical alphanumerics (`𝚊𝚕𝚒𝚌𝚎`),
//! full-width forms (`ａｌｉｃｅ`), letterlike and enclosed forms (`ℂ`, `ⓐ`), superscript and
//! subscript letters, and Latin, Cyrillic or Greek letters mixed in one identifier (`аlice`
//! with a Cyrillic `а`). Everything else is refused, naming the character: whitespace at either
//! end or other than the ASCII space, control, format and invisible characters (zero-width,
//! byte-order mark, bidi controls, variation selectors, tags), combining marks (so a decomposed
//! `zoé` cannot pass for the composed one: pass NFC), line separators, emoji.
//!
//! Where the line is drawn: without Unicode's confusables tables (which would add a dependency),
//! an identifier written entirely in another script that resembles a Latin one (all-Cyrillic
//! `асе`) is accepted, and so are case variants (`Alice`), which display differently. Hosts should
//! pass canonical ids (e.g. lowercased e-mail addresses); the linter warns about approvers that
//! differ only by case.

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
    /// The text holds a character an identifier may not: invisible, a format or control
    /// character, a combining mark, whitespace other than the ASCII space, a symbol outside
    /// ASCII, or a letter that passes for another (full-width, mathematical, letterlike).
    LookAlike {
        /// The character.
        ch: char,
    },
    /// The text mixes letters of two of the Latin, Cyrillic and Greek scripts.
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
                "must not contain U+{:04X}: identifiers hold letters, digits, ASCII punctuation \
                 and inner spaces, nothing invisible or that displays like another character",
                u32::from(*ch)
            ),
            Self::MixedScript => {
                f.write_str("must not mix letters of the Latin, Cyrillic and Greek scripts")
            }
        }
    }
}

/// The refused value as shown in a message: escaped, shortened, in backticks.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Shown(String);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// At most this many characters are shown, escapes included.
        const WIDTH: usize = 40;
        if self.0.is_empty() {
            return Ok(());
        }
        let (mut shown, mut width, mut more) = (String::new(), 0, false);
        for ch in self.0.chars() {
            // Whole escapes only: a shortened value never ends inside one.
            // Rust's escapes (`\n`, `\u{200b}`), and the characters host text escapes that
            // Rust prints as they are.
            let debug: String = ch.escape_debug().collect();
            let piece: String = if debug.len() == ch.len_utf8() && escaped_in_text(ch) {
                ch.escape_unicode().collect()
            } else {
                debug
            };
            let n = piece.chars().count();
            if width + n > WIDTH {
                more = true;
                break;
            }
            shown.push_str(&piece);
            width += n;
        }
        let more = if more { "…" } else { "" };
        write!(f, "`{shown}{more}` ")
    }
}

/// Letters that pass for other letters: they are alphabetic, but not allowed in identifiers.
fn passes_for_another(ch: char) -> bool {
    matches!(ch,
        '\u{1D2C}'..='\u{1D6A}'           // modifier (superscript) letters
        | '\u{1D9B}'..='\u{1DBF}'
        | '\u{2070}'..='\u{209F}'         // superscripts and subscripts
        | '\u{2100}'..='\u{214F}'         // letterlike symbols
        | '\u{2160}'..='\u{218F}'         // number forms (Roman numerals)
        | '\u{2460}'..='\u{24FF}'         // enclosed alphanumerics
        | '\u{3000}'..='\u{303F}'         // CJK symbols, ideographic space
        | '\u{FF00}'..='\u{FFEF}'         // half-width and full-width forms
        | '\u{1D400}'..='\u{1D7FF}'       // mathematical alphanumerics
        | '\u{1F100}'..='\u{1F1FF}') // enclosed alphanumeric supplement
}

/// Whether `ch` may appear in an identifier (see the module docs); spaces are checked apart.
fn allowed(ch: char) -> bool {
    if ch.is_ascii() {
        return ch.is_ascii_graphic() || ch == ' ';
    }
    ch.is_alphanumeric() && !passes_for_another(ch)
}

/// Free text may hold any printable character; these are escaped when shown: whitespace other
/// than the ASCII space, and the invisible and format characters.
fn allowed_in_text(ch: char) -> bool {
    !matches!(ch,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{2000}'..='\u{200F}'
        | '\u{2028}'..='\u{202F}'
        | '\u{205F}'..='\u{206F}'
        | '\u{3000}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Script {
    Latin,
    Greek,
    Cyrillic,
}

fn script(ch: char) -> Option<Script> {
    match ch {
        'a'..='z'
        | 'A'..='Z'
        | '\u{00C0}'..='\u{024F}'
        | '\u{0250}'..='\u{02AF}'   // IPA extensions (ɡ …)
        | '\u{1D00}'..='\u{1D2B}'   // phonetic extensions, small capitals
        | '\u{1E00}'..='\u{1EFF}'
        | '\u{2C60}'..='\u{2C7F}'   // Latin Extended-C
        | '\u{A720}'..='\u{A7FF}'   // Latin Extended-D
        | '\u{AB30}'..='\u{AB6F}' => Some(Script::Latin), // Latin Extended-E
        '\u{0370}'..='\u{03FF}' | '\u{1F00}'..='\u{1FFF}' => Some(Script::Greek),
        '\u{0400}'..='\u{052F}'
        | '\u{1C80}'..='\u{1C8F}'   // Cyrillic Extended-C
        | '\u{2DE0}'..='\u{2DFF}'   // Cyrillic Extended-A
        | '\u{A640}'..='\u{A69F}' => Some(Script::Cyrillic), // Cyrillic Extended-B
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
    // Most identifiers are printable ASCII with no space at either end: one pass over the bytes
    // decides them (ASCII letters are all Latin, so no script can mix).
    let bytes = value.as_bytes();
    if bytes.iter().all(|b| b.is_ascii_graphic() || *b == b' ')
        && bytes.first() != Some(&b' ')
        && bytes.last() != Some(&b' ')
    {
        return None;
    }
    if value.chars().any(char::is_control) {
        return Some(TextProblem::ControlCharacter);
    }
    if value.starts_with(char::is_whitespace) || value.ends_with(char::is_whitespace) {
        return Some(TextProblem::SurroundingWhitespace);
    }
    let mut first_script = None;
    for ch in value.chars() {
        if !allowed(ch) {
            return Some(TextProblem::LookAlike { ch });
        }
        if let Some(s) = script(ch) {
            match first_script {
                None => first_script = Some(s),
                Some(first) if first != s => return Some(TextProblem::MixedScript),
                Some(_) => {}
            }
        }
    }
    None
}

/// `text` for display, escaped like [`Escaped`].
pub(crate) fn esc(text: &str) -> Escaped<'_> {
    Escaped(text)
}

/// Free text a host handed in (a comment, a receipt, notes, an error), for display: control,
/// invisible and look-alike characters are escaped (`\n`, `\u{202e}`), so that no host string can
/// start a new line or reorder an audit line.
pub(crate) struct Escaped<'a>(pub(crate) &'a str);

/// Whether `ch` is escaped when host text is shown.
fn escaped_in_text(ch: char) -> bool {
    ch.is_control() || !allowed_in_text(ch) || (ch.is_whitespace() && ch != ' ')
}

/// Host text for display as every message of this crate shows it: control, invisible, format
/// and bidi characters, and whitespace other than the ASCII space, written as `\u{…}`, so that
/// no value can start a new line, hide itself or reorder a line. For hosts and tools that print
/// what they read from a trail (the `modelgate` CLI does).
///
/// ```
/// use modelgate::value::escaped;
/// assert_eq!(escaped("ok\n#2 \u{202e}x é").to_string(), "ok\\u{a}#2 \\u{202e}x é");
/// ```
pub fn escaped(text: &str) -> impl fmt::Display + '_ {
    Escaped(text)
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for ch in self.0.chars() {
            if escaped_in_text(ch) {
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
    fn a_shortened_value_never_ends_inside_an_escape() {
        for lead in 0..12 {
            let value = format!("{}{}", "a".repeat(lead), "\u{2028}".repeat(20));
            let shown = Shown(value).to_string();
            let inner = shown
                .trim_end_matches(' ')
                .trim_matches('`')
                .trim_end_matches('…');
            assert!(inner.ends_with('}') || inner.ends_with('a'), "{shown}");
            assert!(inner.chars().count() <= 40, "{shown}");
        }
        assert_eq!(
            Shown(String::from("al\u{1bca0}ice")).to_string(),
            "`al\\u{1bca0}ice` "
        );
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
            ("zoe\u{301}", '\u{301}'),
            ("bob\u{E0100}", '\u{E0100}'),
            ("bob\u{180B}", '\u{180B}'),
            ("bo\u{1D173}b", '\u{1D173}'),
            ("bo\u{1BCA0}b", '\u{1BCA0}'),
            ("\u{1D68A}\u{1D695}", '\u{1D68A}'),
            ("team\u{2013}lead", '\u{2013}'),
        ] {
            assert_eq!(problem_of(s), Some(TextProblem::LookAlike { ch }), "{s:?}");
        }
        assert_eq!(problem_of("аlice"), Some(TextProblem::MixedScript));
        assert_eq!(problem_of("bоb"), Some(TextProblem::MixedScript));
        assert_eq!(problem_of("b\u{1C82}b"), Some(TextProblem::MixedScript));
        assert_eq!(
            problem_of("\u{435}\u{261}\u{43e}"),
            Some(TextProblem::MixedScript)
        );
        assert_eq!(problem_of("Σ\u{430}"), Some(TextProblem::MixedScript));
    }

    #[test]
    fn escapes_free_text_for_display() {
        assert_eq!(
            Escaped("ok\n#9 forged\u{202e}").to_string(),
            "ok\\u{a}#9 forged\\u{202e}"
        );
    }
}

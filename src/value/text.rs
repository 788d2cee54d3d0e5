//! Validation of the short texts a host hands in (names, versions, ids, roles, digests, metric
//! and step names), the length limit of the free texts it hands in (comments, receipts, notes,
//! reasons), and escaping of those free texts for display.
//!
//! # One rule for identifiers
//!
//! Ids, roles and metric names (and names, versions, environments, step names) follow one rule,
//! Unicode's own answer to "can this identifier pass for another?", [UTS #39]:
//!
//! - every character outside ASCII has the Identifier_Status *Allowed* of UTS #39's General
//!   Security Profile. That refuses what is invisible or a format character (the Hangul filler
//!   U+3164, zero-width characters, the byte-order mark, soft hyphen, bidi controls, variation
//!   selectors, tags), letters kept only for compatibility (full-width `ａ`, mathematical `𝚊`,
//!   letterlike `ℂ`, enclosed `ⓐ`, the micro sign `µ` U+00B5 for Greek `μ`, superscripts), and
//!   technical, obsolete and limited-use letters (the click `ǀ` U+01C0, IPA `ɑ`, small capitals
//!   `ᴀ`, Lisu, Cherokee, Coptic), and combining marks outside the profile. The zero-width
//!   joiner and non-joiner (U+200D, U+200C), which the profile admits in some contexts, are
//!   refused too: they are invisible;
//! - of ASCII, the printable characters (letters, digits, punctuation and symbols, so
//!   `alice@example.com` and `sha256:7d1e` pass) and the space between other characters (so
//!   `team lead` passes); no other whitespace, and none at either end;
//! - the text is in Normalization Form C (a decomposed `zoé`, `e` + U+0301, cannot pass for the
//!   composed one), no combining mark follows itself once decomposed (`é` + U+0301), and no dot
//!   above (U+0307) sits on `i`, `j`, a dotless `ı` or `ȷ` (UTS #39 §5.4: it displays as `i`);
//! - no two spaces in a row (`alice  smith` displays as `alice smith` in many places);
//! - a text with right-to-left letters (Hebrew, Arabic …) starts and ends with one: the bidi
//!   algorithm displays a digit or punctuation at the edge on the other side (`א2`, `2א`);
//! - the text's restriction level is *Single Script* or *Highly Restrictive*: its letters belong
//!   to one script (characters common to all scripts, like digits and punctuation, go with any),
//!   or to Latin with Han and Japanese kana, Han and Bopomofo, or Han and Hangul. `аlice` with a
//!   Cyrillic `а`, or `bօb` with an Armenian `օ`, are refused;
//! - it is non-empty and at most [`MAX_LEN`] bytes long.
//!
//! What passes may still look like another identifier within one script (`alıce` with a dotless
//! `ı`, `a1ice`, `rn` for `m`, `Alice` for `alice`): two identifiers with the same confusable
//! *skeleton* (UTS #39), case folded, are one identity wherever a policy meets them — see
//! [`same`](super::identity::same). Hosts should still pass canonical ids (e.g. lowercased e-mail
//! addresses): the trail keeps exactly the bytes it was given.
//!
//! A digest is not an identity but an opaque content hash compared byte for byte: it holds
//! printable ASCII only, no space and nothing outside ASCII, so no digest can pass for another.
//!
//! Free text (comments, receipts, notes, reasons) may hold anything printable, up to
//! [`MAX_TEXT_LEN`] bytes; it is escaped when shown ([`escaped`]).
//!
//! [UTS #39]: https://www.unicode.org/reports/tr39/

use std::fmt;

use unicode_normalization::UnicodeNormalization as _;
use unicode_normalization::char::is_combining_mark;
use unicode_script::Script;
use unicode_security::GeneralSecurityProfile;
use unicode_security::mixed_script::AugmentedScriptSet;

/// The longest text accepted for a name, version, id, role or digest, in bytes.
pub const MAX_LEN: usize = 256;

/// The longest free text accepted (a comment, receipt, notes, reason), in bytes: 4 KiB.
pub const MAX_TEXT_LEN: usize = 4096;

/// What is wrong with an identifier, a digest or a free text.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TextProblem {
    /// The text is empty.
    Empty,
    /// The text holds two spaces in a row (many displays collapse them into one).
    RepeatedSpace,
    /// The text holds right-to-left letters but starts or ends with something else (a digit,
    /// punctuation), which the bidi algorithm displays on the other side.
    RightToLeftEdge,
    /// The text contains a control character (such as a newline).
    ControlCharacter,
    /// The text is longer than 256 bytes.
    TooLong {
        /// The length found, in bytes.
        len: usize,
    },
    /// The text starts or ends with whitespace.
    SurroundingWhitespace,
    /// The text holds a character an identifier may not: one whose UTS #39 Identifier_Status is
    /// not Allowed (invisible, a format or control character, a compatibility, technical or
    /// limited-use letter, a symbol outside ASCII), the zero-width joiner or non-joiner, or
    /// whitespace other than the ASCII space.
    LookAlike {
        /// The character.
        ch: char,
    },
    /// The text mixes scripts beyond UTS #39's Highly Restrictive level.
    MixedScript,
    /// The text is not in Unicode Normalization Form C.
    NotNfc,
    /// A combining mark follows itself.
    RepeatedMark {
        /// The mark.
        ch: char,
    },
    /// A digest holds a character other than printable ASCII (or a space).
    NotPrintableAscii {
        /// The character.
        ch: char,
    },
    /// A free text is longer than [`MAX_TEXT_LEN`] bytes.
    TextTooLong {
        /// The length found, in bytes.
        len: usize,
    },
}

/// A name, version, id, role, digest or free text that is refused: empty, too long, or holding
/// something that would display like another identifier (see the rules in [`TextProblem`]).
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
                "must not contain U+{:04X}: identifiers hold the characters Unicode allows in \
                 identifiers (UTS #39), ASCII punctuation and inner spaces, nothing invisible or \
                 that displays like another character",
                u32::from(*ch)
            ),
            Self::MixedScript => f.write_str(
                "must be written in one script (or Latin with Han and kana, Bopomofo or Hangul): \
                 letters of two scripts can pass for one another",
            ),
            Self::NotNfc => f.write_str(
                "must be in Unicode normalization form C: compose a letter and its marks into \
                 one character where Unicode has one",
            ),
            Self::RepeatedMark { ch } => write!(
                f,
                "must not repeat the combining mark U+{:04X}: a repeated mark displays like one",
                u32::from(*ch)
            ),
            Self::NotPrintableAscii { ch } => write!(
                f,
                "must not contain U+{:04X}: a digest holds printable ASCII characters only, \
                 without spaces",
                u32::from(*ch)
            ),
            Self::TextTooLong { len } => {
                write!(f, "is {len} bytes long; at most {MAX_TEXT_LEN} are allowed")
            }
            Self::RepeatedSpace => {
                f.write_str("must not hold two spaces in a row: many displays show them as one")
            }
            Self::RightToLeftEdge => f.write_str(
                "must start and end with a right-to-left letter if it holds one: a digit, \
                 space or punctuation at the edge displays on the other side",
            ),
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

/// Whether `ch` may appear in an identifier (see the module docs); spaces are checked apart.
fn allowed(ch: char) -> bool {
    if ch.is_ascii() {
        return ch.is_ascii_graphic() || ch == ' ';
    }
    // The joiners are Allowed in some contexts only, and invisible in all.
    ch.identifier_allowed() && !matches!(ch, '\u{200C}' | '\u{200D}')
}

/// Whether the characters of `value` belong to one script, or to one of UTS #39's Highly
/// Restrictive combinations (Latin + Han + Hiragana + Katakana, Latin + Han + Bopomofo,
/// Latin + Han + Hangul). Characters common to all scripts go with any.
fn highly_restrictive(value: &str) -> bool {
    let mut all = AugmentedScriptSet::default();
    let mut but_latin = AugmentedScriptSet::default();
    for ch in value.chars() {
        let set = AugmentedScriptSet::for_char(ch);
        all.intersect_with(set);
        if !set.base.contains_script(Script::Latin) {
            but_latin.intersect_with(set);
        }
    }
    !all.is_empty() || but_latin.kore || but_latin.hanb || but_latin.jpan
}

/// Checks one identifier (see the module docs): non-empty, at most [`MAX_LEN`] bytes, nothing
/// that displays like something else. Linear in the length.
pub(crate) fn check(field: &'static str, value: &str) -> Result<(), TextError> {
    refuse(field, value, problem(value))
}

/// Checks one digest: non-empty, at most [`MAX_LEN`] bytes, printable ASCII without spaces.
pub(crate) fn check_digest(field: &'static str, value: &str) -> Result<(), TextError> {
    let problem = if value.is_empty() {
        Some(TextProblem::Empty)
    } else if value.len() > MAX_LEN {
        Some(TextProblem::TooLong { len: value.len() })
    } else {
        value.chars().find(|ch| !ch.is_ascii_graphic()).map(|ch| {
            if ch.is_control() {
                TextProblem::ControlCharacter
            } else {
                TextProblem::NotPrintableAscii { ch }
            }
        })
    };
    refuse(field, value, problem)
}

/// Checks one free text (a comment, receipt, notes, reason): at most [`MAX_TEXT_LEN`] bytes.
/// Anything else is escaped when shown.
pub(crate) fn check_free(field: &'static str, value: &str) -> Result<(), TextError> {
    let problem =
        (value.len() > MAX_TEXT_LEN).then_some(TextProblem::TextTooLong { len: value.len() });
    refuse(field, value, problem)
}

/// `value` cut to at most [`MAX_TEXT_LEN`] bytes (at a character boundary), for a text the host
/// did not choose to be that long (a deployer's error) and that must still be recorded.
pub(crate) fn fit_free(mut value: String) -> String {
    if value.len() > MAX_TEXT_LEN {
        let mut end = MAX_TEXT_LEN;
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        value.truncate(end);
    }
    value
}

fn refuse(field: &'static str, value: &str, problem: Option<TextProblem>) -> Result<(), TextError> {
    problem.map_or(Ok(()), |problem| {
        Err(TextError {
            field,
            // Only the shown part is kept: a refused free text may be long.
            value: Shown(value.chars().take(64).collect()),
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
    // decides them (ASCII is in Normalization Form C, and its letters are all Latin).
    if plain_ascii(value.as_bytes()) {
        return None;
    }
    if value.chars().any(char::is_control) {
        return Some(TextProblem::ControlCharacter);
    }
    if value.starts_with(char::is_whitespace) || value.ends_with(char::is_whitespace) {
        return Some(TextProblem::SurroundingWhitespace);
    }
    if value.contains("  ") {
        return Some(TextProblem::RepeatedSpace);
    }
    if let Some(ch) = value.chars().find(|ch| !allowed(*ch)) {
        return Some(TextProblem::LookAlike { ch });
    }
    if !unicode_normalization::is_nfc(value) {
        return Some(TextProblem::NotNfc);
    }
    // Marks as they display: on the decomposed text (`é` + U+0301 repeats U+0301), and no dot
    // above on a letter that already shows one or passes for one (`i`, `ı`, `j` + U+0307:
    // UTS #39 §5.4).
    let mut previous = None;
    for ch in value.nfd() {
        if previous == Some(ch) && is_combining_mark(ch) {
            return Some(TextProblem::RepeatedMark { ch });
        }
        if ch == '\u{307}' && previous.is_some_and(is_dotted) {
            return Some(TextProblem::LookAlike { ch });
        }
        previous = Some(ch);
    }
    if !right_to_left_at_its_edges(value) {
        return Some(TextProblem::RightToLeftEdge);
    }
    if !highly_restrictive(value) {
        return Some(TextProblem::MixedScript);
    }
    None
}

/// Whether `bytes` are printable ASCII with no space at either end and no two spaces in a row:
/// one pass, byte by byte (a substring search for two spaces costs more than the whole check).
#[inline]
fn plain_ascii(bytes: &[u8]) -> bool {
    let mut previous = b' ';
    for &b in bytes {
        if !(b.is_ascii_graphic() || (b == b' ' && previous != b' ')) {
            return false;
        }
        previous = b;
    }
    previous != b' '
}

/// Letters that show a dot above, or pass for one that does (the soft-dotted `i`, `j` and their
/// Cyrillic twins, and the dotless `ı`, `ȷ`): a combining dot above on them displays as the
/// plain letter.
fn is_dotted(ch: char) -> bool {
    matches!(
        ch,
        'i' | 'j' | '\u{131}' | '\u{237}' | '\u{456}' | '\u{458}'
    )
}

/// A text with right-to-left letters starts and ends with one: a digit, a space or punctuation
/// at an edge is placed by the bidi algorithm (UAX #9) on the other side, so `א2` and `2א`
/// would display alike on a left-to-right line.
fn right_to_left_at_its_edges(value: &str) -> bool {
    use unicode_bidi::{BidiClass, bidi_class};
    let rtl = |ch: char| matches!(bidi_class(ch), BidiClass::R | BidiClass::AL);
    if !value.chars().any(rtl) {
        return true;
    }
    value.chars().next().is_some_and(rtl) && value.chars().next_back().is_some_and(rtl)
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

    proptest::proptest! {
        /// The one-pass check decides printable ASCII exactly as the rule it replaced: all
        /// printable or space, no space at either end, no two spaces in a row.
        #[test]
        fn the_one_pass_ascii_check_is_the_rule(value in "[ -~\t]{1,12}") {
            let bytes = value.as_bytes();
            let rule = bytes.iter().all(|b| b.is_ascii_graphic() || *b == b' ')
                && bytes.first() != Some(&b' ')
                && bytes.last() != Some(&b' ')
                && !value.contains("  ");
            proptest::prop_assert_eq!(plain_ascii(bytes), rule);
        }
    }

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
            "Zoë (ml-platform) #2",
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
            ("bob\u{E0100}", '\u{E0100}'),
            ("bob\u{180B}", '\u{180B}'),
            ("bo\u{1D173}b", '\u{1D173}'),
            ("bo\u{1BCA0}b", '\u{1BCA0}'),
            ("\u{1D68A}\u{1D695}", '\u{1D68A}'),
            ("team\u{2013}lead", '\u{2013}'),
            // What the old hand-made list let through.
            ("alice\u{3164}", '\u{3164}'),
            ("a\u{1C0}ice", '\u{1C0}'),
            ("\u{251}lice", '\u{251}'),
            ("\u{1D00}lice", '\u{1D00}'),
            ("\u{A4EE}lice", '\u{A4EE}'),
            ("\u{13AA}lice", '\u{13AA}'),
            ("b\u{2C9F}b", '\u{2C9F}'),
            ("\u{B5}", '\u{B5}'),
            ("alice\u{363}", '\u{363}'),
            ("ali\u{200D}ce", '\u{200D}'),
            ("ali\u{200C}ce", '\u{200C}'),
            ("\u{435}\u{261}\u{43e}", '\u{261}'),
            ("b\u{1C82}b", '\u{1C82}'),
        ] {
            assert_eq!(problem_of(s), Some(TextProblem::LookAlike { ch }), "{s:?}");
        }
        assert_eq!(problem_of("zoe\u{301}"), Some(TextProblem::NotNfc));
        assert_eq!(
            problem_of("zo\u{e9}\u{301}\u{301}"),
            Some(TextProblem::RepeatedMark { ch: '\u{301}' })
        );
        for mixed in ["аlice", "bоb", "Σ\u{430}", "b\u{585}b", "数据\u{430}"] {
            assert_eq!(
                problem_of(mixed),
                Some(TextProblem::MixedScript),
                "{mixed:?}"
            );
        }
    }

    #[test]
    fn accepts_the_highly_restrictive_combinations() {
        for ok in [
            "tanaka田中",
            "田中さん",
            "kim김",
            "zh注音",
            "al\u{131}ce",
            "q\u{301}",
        ] {
            assert_eq!(problem_of(ok), None, "{ok:?}");
        }
    }

    #[test]
    fn digests_are_printable_ascii_and_free_text_is_bounded() {
        assert!(check_digest("digest", "sha256:7d1e").is_ok());
        assert_eq!(
            check_digest("digest", "sha256 7d1e").map_err(|e| e.problem),
            Err(TextProblem::NotPrintableAscii { ch: ' ' })
        );
        assert_eq!(
            check_digest("digest", "sha256:\u{435}").map_err(|e| e.problem),
            Err(TextProblem::NotPrintableAscii { ch: '\u{435}' })
        );
        assert!(check_free("comment", &"é".repeat(MAX_TEXT_LEN / 2)).is_ok());
        assert_eq!(
            check_free("comment", &"x".repeat(MAX_TEXT_LEN + 1)).map_err(|e| e.problem),
            Err(TextProblem::TextTooLong {
                len: MAX_TEXT_LEN + 1
            })
        );
    }

    #[test]
    fn escapes_free_text_for_display() {
        assert_eq!(
            Escaped("ok\n#9 forged\u{202e}").to_string(),
            "ok\\u{a}#9 forged\\u{202e}"
        );
    }
}

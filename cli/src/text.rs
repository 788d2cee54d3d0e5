//! Host text in the CLI's output: escaped as the library escapes it in every message, so that no
//! value read from a file can start a new line, move the cursor or reorder a line (control,
//! format, invisible and bidi characters).

/// `text` with control, format and invisible characters written as `\u{…}` (`\n` too).
pub fn esc(text: &str) -> String {
    modelgate::value::escaped(text).to_string()
}

/// Whether the library escapes `ch` when it shows host text.
pub(crate) fn is_escaped(ch: char) -> bool {
    let mut buf = [0; 4];
    let text: &str = ch.encode_utf8(&mut buf);
    esc(text) != text
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_what_could_forge_a_line() {
        assert_eq!(super::esc("ok\n#2 \u{202e}x é"), "ok\\u{a}#2 \\u{202e}x é");
        // What the fourth review found the CLI let through, as the library escapes it.
        for ch in ['\u{1BCA0}', '\u{1D173}', '\u{200b}', '\u{feff}'] {
            assert!(super::is_escaped(ch), "{ch:?}");
        }
        assert!(!super::is_escaped('é'));
    }
}

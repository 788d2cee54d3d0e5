//! Host text in the CLI's output: escaped so that no value read from a file can start a new
//! line, move the cursor or reorder a line (control, format and bidi characters).

/// `text` with control, format and invisible characters written as `\u{…}` (`\n` too).
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if ch.is_control() || invisible(ch) || (ch.is_whitespace() && ch != ' ') {
            out.extend(ch.escape_unicode());
        } else {
            out.push(ch);
        }
    }
    out
}

pub(crate) fn invisible(ch: char) -> bool {
    matches!(ch,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0000}'..='\u{E0FFF}')
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_what_could_forge_a_line() {
        assert_eq!(super::esc("ok\n#2 \u{202e}x é"), "ok\\u{a}#2 \\u{202e}x é");
    }
}

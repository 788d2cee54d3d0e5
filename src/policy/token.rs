//! Host names (metric names, ids, roles) inside a policy's name.
//!
//! A policy's name is recorded with every decision and compared on restore, so two different
//! policies must never share one. Names are joined with spaces, `or`, commas and parentheses; a
//! host name that holds any of those could pass for structure (a metric named `accuracy at
//! least 0.9), soaked at least 48h, all(online error_rate` would make a policy without a soak
//! read like one with it). So a host name is written bare only when it is one plain word, and
//! quoted otherwise.

use std::borrow::Cow;

/// `name` as it appears in a policy's name: bare when it is a single word of letters, digits
/// and `_ - . : @ / + #`, else quoted with Rust's escapes (`"team lead"`, `"f1(macro)"`).
pub(crate) fn token(name: &str) -> Cow<'_, str> {
    let plain = |ch: char| ch.is_alphanumeric() || "_-.:@/+#".contains(ch);
    if !name.is_empty() && name.chars().all(plain) {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(format!("{name:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::token;

    #[test]
    fn plain_names_stay_bare_and_the_rest_is_quoted() {
        for bare in [
            "accuracy",
            "latency_p99_ms",
            "alice@example.com",
            "team-lead",
            "数据",
        ] {
            assert_eq!(token(bare), bare);
        }
        assert_eq!(token("team lead"), "\"team lead\"");
        assert_eq!(token("f1(macro)"), "\"f1(macro)\"");
        assert_eq!(token("a\"b"), "\"a\\\"b\"");
        assert_eq!(token(""), "\"\"");
    }
}

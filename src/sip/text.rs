//! Small lexical helpers shared by the SIP parser (RFC 3261 section 25.1, basic rules).
//!
//! Everything here works on already-decoded `&str` header values or on raw bytes, never
//! panics, and (except where a `Vec` is returned) does not allocate.

/// RFC 3261 section 25.1 `token` characters:
/// `alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"`.
pub(crate) fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
        )
}

/// SP or HTAB (RFC 3261 `WSP`).
pub(crate) fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Trims SP, HTAB, CR and LF on both sides of a byte slice.
pub(crate) fn trim_bytes(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if is_wsp(*first) || *first == b'\r' || *first == b'\n' {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if is_wsp(*last) || *last == b'\r' || *last == b'\n' {
            s = rest;
        } else {
            break;
        }
    }
    s
}

/// A decimal number made of ASCII digits only (after trimming whitespace), as in
/// RFC 3261 section 20.14 `Content-Length = ... 1*DIGIT`. Leading zeros are fine;
/// anything else (signs, spaces inside, overflow) is `None`.
pub(crate) fn parse_decimal_u32(s: &[u8]) -> Option<u32> {
    let s = trim_bytes(s);
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u32 = 0;
    for d in s {
        v = v.checked_mul(10)?.checked_add(u32::from(d - b'0'))?;
    }
    Some(v)
}

/// Splits a header value into its comma-separated elements (RFC 3261 section 7.3.1: a
/// header whose grammar is a comma-separated list may be combined into one line).
///
/// Commas inside quoted strings (with `\"` escapes), inside `<...>` and inside `[...]`
/// (IPv6 references) do not split. Elements are trimmed; empty elements are dropped.
pub(crate) fn split_list(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = value.as_bytes();
    let mut start = 0;
    let mut in_quotes = false;
    let mut escaped = false;
    let mut angle = 0usize;
    let mut bracket = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        if in_quotes {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_quotes = false;
            }
            continue;
        }
        match b {
            b'"' => in_quotes = true,
            b'<' => angle += 1,
            b'>' => angle = angle.saturating_sub(1),
            b'[' => bracket += 1,
            b']' => bracket = bracket.saturating_sub(1),
            b',' if angle == 0 && bracket == 0 => {
                push_trimmed(&mut out, value.get(start..i));
                start = i + 1;
            }
            _ => {}
        }
    }
    push_trimmed(&mut out, value.get(start..));
    out
}

fn push_trimmed<'a>(out: &mut Vec<&'a str>, part: Option<&'a str>) {
    if let Some(p) = part {
        let p = p.trim();
        if !p.is_empty() {
            out.push(p);
        }
    }
}

/// Iterates `;`-separated parameters (`name[=value]`, RFC 3261 section 25.1
/// `generic-param`), honouring quoted strings. Names and values are trimmed (LWS is allowed
/// around `=` and `;`), quoted values are returned with their quotes removed. Empty
/// segments are skipped.
pub(crate) fn params(s: &str) -> impl Iterator<Item = (&str, Option<&str>)> {
    ParamIter { rest: s }
}

struct ParamIter<'a> {
    rest: &'a str,
}

impl<'a> Iterator for ParamIter<'a> {
    type Item = (&'a str, Option<&'a str>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            let end = find_unquoted(self.rest, b';').unwrap_or(self.rest.len());
            let seg = self.rest.get(..end).unwrap_or("");
            self.rest = self.rest.get(end + 1..).unwrap_or("");
            let seg = seg.trim();
            if seg.is_empty() {
                continue;
            }
            return Some(match seg.split_once('=') {
                Some((n, v)) => (n.trim(), Some(unquote(v.trim()))),
                None => (seg, None),
            });
        }
    }
}

/// Position of the first `needle` byte that is not inside a quoted string.
pub(crate) fn find_unquoted(s: &str, needle: u8) -> Option<usize> {
    let mut in_quotes = false;
    let mut escaped = false;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        if in_quotes {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_quotes = false;
            }
        } else if b == b'"' {
            in_quotes = true;
        } else if b == needle {
            return Some(i);
        }
    }
    None
}

/// Removes one pair of surrounding double quotes, if present (escapes are left as written).
pub(crate) fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(s)
}

/// Reads a quoted string (RFC 3261 section 25.1 `quoted-string`) at the start of `s`
/// (which must begin with `"`): returns its content with `\x` escapes resolved and the
/// rest after the closing quote. An unterminated string runs to the end.
pub(crate) fn read_quoted(s: &str) -> (String, &str) {
    let mut out = String::new();
    let mut escaped = false;
    let body = s.get(1..).unwrap_or("");
    for (i, c) in body.char_indices() {
        if escaped {
            out.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' {
            return (out, body.get(i + 1..).unwrap_or(""));
        } else {
            out.push(c);
        }
    }
    (out, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_bytes() {
        assert!(b"INVITE".iter().all(|b| is_token_byte(*b)));
        assert!(b"x-custom.Method!%*_+`'~".iter().all(|b| is_token_byte(*b)));
        assert!(!is_token_byte(b'/'));
        assert!(!is_token_byte(b' '));
        assert!(!is_token_byte(b':'));
        assert!(!is_token_byte(0x80));
    }

    #[test]
    fn decimal() {
        assert_eq!(parse_decimal_u32(b" 0042 "), Some(42));
        assert_eq!(parse_decimal_u32(b"4294967295"), Some(u32::MAX));
        assert_eq!(parse_decimal_u32(b"4294967296"), None);
        assert_eq!(parse_decimal_u32(b"bad"), None);
        assert_eq!(parse_decimal_u32(b"1 2"), None);
        assert_eq!(parse_decimal_u32(b"-1"), None);
        assert_eq!(parse_decimal_u32(b""), None);
    }

    #[test]
    fn list_split_respects_quotes_brackets_angles() {
        assert_eq!(
            split_list(r#""Doe, John" <sip:a@b>;q=1, <sip:c@[2001:db8::1]>, ,x"#),
            vec![r#""Doe, John" <sip:a@b>;q=1"#, "<sip:c@[2001:db8::1]>", "x"]
        );
        assert_eq!(
            split_list(r#""a\", b" <sip:x@y?h=1,2>"#),
            vec![r#""a\", b" <sip:x@y?h=1,2>"#]
        );
        assert_eq!(split_list("  "), Vec::<&str>::new());
    }

    #[test]
    fn param_iteration() {
        let got: Vec<_> = params(r#" tag = 1 ;;lr; x="a;b" ;rport"#).collect();
        assert_eq!(
            got,
            vec![
                ("tag", Some("1")),
                ("lr", None),
                ("x", Some("a;b")),
                ("rport", None)
            ]
        );
    }

    #[test]
    fn quoted_strings() {
        assert_eq!(
            read_quoted(r#""A \"B\" C" <sip:x>"#),
            ("A \"B\" C".to_string(), " <sip:x>")
        );
        assert_eq!(read_quoted(r#""open"#), ("open".to_string(), ""));
        assert_eq!(unquote(r#""x""#), "x");
        assert_eq!(unquote(r#"""#), r#"""#);
        assert_eq!(trim_bytes(b" \r\n x \t"), b"x");
    }
}

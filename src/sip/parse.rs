//! The tolerant SIP parser: sniffing ([`looks_like_sip`], [`is_keepalive`]) and
//! [`parse_message`].
//!
//! RFC 3261 section 7 defines the message format; real devices (and SIP ALGs rewriting
//! them) bend it: bare LF line ends, folded headers (section 7.3.1), whitespace before the
//! colon, compact names (section 7.3.3), extension methods (section 7.1), `tel:` URIs,
//! IPv6 references, Latin-1 display names. rsip 0.4 refuses whole messages for each of
//! these (measured in the `rsip_limits` tests below), so the message structure is split
//! here, tolerantly and with bounded work, and rsip types the values it gets right
//! (plain host/port in URIs, Via entries; see `uri.rs` and `via.rs`). Every deviation
//! accepted is recorded as an [`Anomaly`], because those are an ALG's fingerprints.

use std::borrow::Cow;

use super::body::locate_sdp;
use super::lines::{line_at, HeaderItem, HeaderScanner, Line, MAX_HEADERS};
use super::message::{Anomaly, CSeq, DeclaredLength, Method, RawHeader, SipMessage, StartLine};
use super::start::{check_start_line, StartCheck, MAX_START_LINE};
use super::text::parse_decimal_u32;
use super::uri::parse_name_addr;
use super::via::parse_via_header;

/// How far past leading CR/LF the parser looks for a start line when the first line is
/// junk.
pub(crate) const MAX_JUNK_BEFORE_START: usize = 2048;

/// Why [`parse_message`] found no message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SipError {
    /// Zero bytes.
    #[error("empty SIP payload")]
    Empty,
    /// Only CR/LF bytes: a keepalive (RFC 5626 section 4.4.1), not a message.
    #[error("CR/LF keepalive of {len} bytes, not a SIP message")]
    Keepalive { len: usize },
    /// The first line (at `offset`, after leading CR/LF) is not a SIP request or status
    /// line, and none follows within 2048 bytes (`MAX_JUNK_BEFORE_START`).
    #[error("no SIP start line at offset {offset}: not a request or status line")]
    BadStartLine { offset: usize },
    /// The first line (at `offset`) is longer than the parser accepts for a start line,
    /// and no start line follows within 2048 bytes.
    #[error("no SIP start line at offset {offset}: first line longer than {max} bytes")]
    StartLineTooLong { offset: usize, max: usize },
}

fn is_crlf(b: &u8) -> bool {
    *b == b'\r' || *b == b'\n'
}

/// A cheap, allocation-free sniff: true when the first line of `bytes` (after optional
/// CR/LF) is a SIP request line (`TOKEN SP Request-URI SP SIP/2.0`, any token method,
/// RFC 3261 section 7.1) or status line (`SIP/2.0 SP 3DIGIT SP reason`, reason possibly
/// empty, section 7.2). Looks at no more than the first 1024 bytes of that
/// line; a line without a line end counts only when it is all the input.
pub fn looks_like_sip(bytes: &[u8]) -> bool {
    let skip = bytes
        .iter()
        .take(MAX_START_LINE)
        .take_while(|b| is_crlf(b))
        .count();
    let rest = bytes.get(skip..).unwrap_or(&[]);
    if rest.is_empty() {
        return false;
    }
    let window = rest
        .get(..rest.len().min(MAX_START_LINE + 2))
        .unwrap_or(rest);
    match memchr::memchr(b'\n', window) {
        Some(i) => check_start_line(window.get(..i).unwrap_or(&[]), true).is_start(),
        None if rest.len() <= MAX_START_LINE + 1 => check_start_line(rest, true).is_start(),
        None => false,
    }
}

/// True when `bytes` holds no complete line yet but is the beginning of a SIP start line
/// (at least a method or `SIP/2.0` and a space): a TCP segment that ends inside the first
/// line of a message. Allocation-free.
pub fn may_start_sip(bytes: &[u8]) -> bool {
    let skip = bytes.iter().take_while(|b| is_crlf(b)).count();
    let rest = bytes.get(skip..).unwrap_or(&[]);
    rest.len() <= MAX_START_LINE
        && memchr::memchr(b'\n', rest).is_none()
        && memchr::memchr(b' ', rest).is_some()
        && check_start_line(rest, false) == StartCheck::Prefix
}

/// True when `bytes` is a non-empty run of CR and LF only: the RFC 5626 keepalive ping
/// (`\r\n\r\n`) or pong (`\r\n`).
pub fn is_keepalive(bytes: &[u8]) -> bool {
    !bytes.is_empty() && bytes.iter().all(is_crlf)
}

/// Where the start line is: skips leading CR/LF, then (bounded) junk lines.
fn find_start(bytes: &[u8], lead: usize) -> Result<(Line, StartCheck), SipError> {
    let mut pos = lead;
    loop {
        let line = line_at(bytes, pos);
        if line.end - line.start <= MAX_START_LINE {
            let check = check_start_line(line.bytes(bytes), true);
            if check.is_start() {
                return Ok((line, check));
            }
        }
        if !line.terminated || line.next - lead > MAX_JUNK_BEFORE_START {
            break;
        }
        pos = line.next;
    }
    let first = line_at(bytes, lead);
    Err(if first.end - first.start > MAX_START_LINE {
        SipError::StartLineTooLong {
            offset: lead,
            max: MAX_START_LINE,
        }
    } else {
        SipError::BadStartLine { offset: lead }
    })
}

/// Lossy UTF-8, noting whether anything had to be replaced.
fn lossy<'a>(bytes: &'a [u8], anomalies: &mut Vec<Anomaly>) -> Cow<'a, str> {
    let s = String::from_utf8_lossy(bytes);
    if matches!(s, Cow::Owned(_)) {
        anomalies.push(Anomaly::NonUtf8);
    }
    s
}

/// Undoes folding (RFC 3261 section 7.3.1): each physical line is trimmed and the
/// non-empty ones are joined with one space.
fn unfold(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for part in value.split('\n') {
        let part = part.trim_matches(|c| c == ' ' || c == '\t' || c == '\r');
        if part.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

fn start_line(line: &[u8], check: &StartCheck, anomalies: &mut Vec<Anomaly>) -> StartLine {
    match check {
        StartCheck::Request { method, uri } => {
            let method = lossy(line.get(method.clone()).unwrap_or(&[]), anomalies);
            let method = Method::from_token(&method);
            if matches!(method, Method::Other(_)) {
                anomalies.push(Anomaly::ExtensionMethod);
            }
            let uri = lossy(line.get(uri.clone()).unwrap_or(&[]), anomalies).into_owned();
            StartLine::Request { method, uri }
        }
        StartCheck::Response { code, reason } => StartLine::Response {
            code: *code,
            reason: lossy(line.get(reason.clone()).unwrap_or(&[]), anomalies).into_owned(),
        },
        // `find_start` only returns complete start lines.
        StartCheck::Prefix | StartCheck::No => StartLine::Response {
            code: 0,
            reason: String::new(),
        },
    }
}

/// `CSeq = 1*DIGIT LWS Method` (RFC 3261 section 20.16).
fn parse_cseq(value: &str) -> Option<CSeq> {
    let mut words = value.split_whitespace();
    let seq = parse_decimal_u32(words.next()?.as_bytes())?;
    let method = Method::from_token(words.next()?);
    Some(CSeq { seq, method })
}

/// Parses one SIP message (a UDP datagram, or one frame from [`super::framing`]).
///
/// Tolerant: everything after the header section is the body, whatever Content-Length
/// says (a mismatch is an anomaly); missing mandatory headers, bad values and odd syntax
/// are anomalies, never errors. The only errors are inputs without a usable start line.
/// Work is bounded: at most 256 header lines are kept, junk before the start line is
/// skipped only up to 2048 bytes. Never panics.
pub fn parse_message(bytes: &[u8]) -> Result<SipMessage, SipError> {
    if bytes.is_empty() {
        return Err(SipError::Empty);
    }
    let lead = bytes.iter().take_while(|b| is_crlf(b)).count();
    if lead == bytes.len() {
        return Err(SipError::Keepalive { len: lead });
    }
    let (first, check) = find_start(bytes, lead)?;
    let mut anomalies = Vec::new();
    if first.start != lead {
        anomalies.push(Anomaly::JunkBeforeStartLine);
    }
    if first.lf_only {
        anomalies.push(Anomaly::LfLineEnds);
    }
    let start = start_line(first.bytes(bytes), &check, &mut anomalies);

    let mut headers = Vec::new();
    let mut scanner = HeaderScanner::new(bytes, first.next);
    let mut lines = 0usize;
    let body_start = loop {
        let field = match scanner.next_item() {
            HeaderItem::Field(f) => f,
            HeaderItem::End(blank) => {
                if blank.lf_only {
                    anomalies.push(Anomaly::LfLineEnds);
                }
                break blank.next;
            }
            HeaderItem::Eof => break bytes.len(),
        };
        if field.lf_only {
            anomalies.push(Anomaly::LfLineEnds);
        }
        lines += 1;
        if lines > MAX_HEADERS {
            anomalies.push(Anomaly::TooManyHeaders);
            continue;
        }
        let name_bytes = field.name(bytes);
        if name_bytes.is_empty() || field.is_orphan_continuation(bytes) {
            anomalies.push(Anomaly::HeaderWithoutColon);
            continue;
        }
        let name = lossy(name_bytes, &mut anomalies).into_owned();
        let value = unfold(&lossy(field.raw_value(bytes), &mut anomalies));
        let space_before_colon = field.space_before_colon(bytes);
        if space_before_colon {
            anomalies.push(Anomaly::SpaceBeforeColon);
        }
        if field.folded {
            anomalies.push(Anomaly::FoldedHeader);
        }
        headers.push(RawHeader {
            name,
            value,
            span: field.first.start..field.end,
            space_before_colon,
            folded: field.folded,
        });
    };

    let mut msg = SipMessage {
        start,
        headers: Vec::new(),
        call_id: None,
        cseq: None,
        from: None,
        to: None,
        vias: Vec::new(),
        contacts: Vec::new(),
        content_type: None,
        content_length: DeclaredLength::Absent,
        body: bytes.get(body_start..).unwrap_or(&[]).to_vec(),
        sdp: None,
        anomalies: Vec::new(),
        len: bytes.len(),
    };
    let mut have_length = false;
    for h in &headers {
        let canonical = h.canonical_name();
        if h.name.len() == 1 && canonical != h.name {
            anomalies.push(Anomaly::CompactHeader);
        }
        match canonical {
            "Call-ID" if msg.call_id.is_none() && !h.value.is_empty() => {
                msg.call_id = Some(h.value.clone());
            }
            "CSeq" if msg.cseq.is_none() => msg.cseq = parse_cseq(&h.value),
            "From" if msg.from.is_none() => msg.from = Some(parse_name_addr(&h.value)),
            "To" if msg.to.is_none() => msg.to = Some(parse_name_addr(&h.value)),
            "Via" => msg.vias.extend(parse_via_header(&h.value)),
            "Contact" => msg.contacts.extend(
                super::text::split_list(&h.value)
                    .into_iter()
                    .map(parse_name_addr),
            ),
            "Content-Type" if msg.content_type.is_none() => {
                msg.content_type = Some(h.value.clone());
            }
            "Content-Length" if !have_length => {
                have_length = true;
                msg.content_length = match parse_decimal_u32(h.value.as_bytes()) {
                    Some(n) => DeclaredLength::Value(n),
                    None => {
                        anomalies.push(Anomaly::ContentLengthInvalid);
                        DeclaredLength::Invalid(h.value.clone())
                    }
                };
            }
            _ => {}
        }
    }
    if let DeclaredLength::Value(n) = msg.content_length {
        if usize::try_from(n).ok() != Some(msg.body.len()) {
            anomalies.push(Anomaly::ContentLengthMismatch);
        }
    }
    if msg.call_id.is_none()
        || msg.cseq.is_none()
        || msg.from.is_none()
        || msg.to.is_none()
        || msg.vias.is_empty()
    {
        anomalies.push(Anomaly::MissingMandatoryHeader);
    }
    msg.sdp = locate_sdp(msg.content_type.as_deref(), &msg.body);
    anomalies.sort_unstable();
    anomalies.dedup();
    msg.anomalies = anomalies;
    msg.headers = headers;
    Ok(msg)
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;

/// What rsip 0.4 does with the inputs the tolerant front exists for, measured, next to
/// what [`parse_message`] makes of them.
#[cfg(test)]
mod rsip_limits {
    use super::*;
    use crate::sip::message::{Host, RPort};
    use rsip::prelude::*;
    use std::convert::TryFrom;

    const BASE: &str = "INVITE sip:bob@biloxi.com SIP/2.0\r\n\
        Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n\
        Max-Forwards: 70\r\n\
        To: Bob <sip:bob@biloxi.com>\r\n\
        From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n\
        Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n\
        CSeq: 314159 INVITE\r\n\
        Contact: <sip:alice@pc33.atlanta.com>\r\n\
        Content-Type: application/sdp\r\n\
        Content-Length: 5\r\n\
        \r\n\
        v=0\r\n";

    fn rsip_parse(b: &[u8]) -> Result<rsip::SipMessage, rsip::Error> {
        rsip::SipMessage::try_from(b)
    }

    fn is_tokenize_error(r: &Result<rsip::SipMessage, rsip::Error>) -> bool {
        matches!(r, Err(rsip::Error::TokenizeError(_)))
    }

    fn parse_error_text(r: &Result<rsip::SipMessage, rsip::Error>) -> Option<String> {
        match r {
            Err(rsip::Error::ParseError(s)) => Some(s.clone()),
            _ => None,
        }
    }

    fn name(s: &str) -> Host {
        Host::Name(s.to_string())
    }

    fn ip(s: &str) -> Host {
        Host::Ip(s.parse().unwrap())
    }

    /// The fields every case below must come out with (unless the case changes them).
    struct Expect<'a> {
        method: Method,
        ruri: &'a str,
        via_host: Host,
        via_port: Option<u16>,
        via_received: Option<&'a str>,
        via_rport: RPort,
        contact_host: Host,
        contact_port: Option<u16>,
        from_display: Option<&'a str>,
        declared_length: u32,
        body: &'a [u8],
    }

    impl Default for Expect<'_> {
        fn default() -> Self {
            Expect {
                method: Method::Invite,
                ruri: "sip:bob@biloxi.com",
                via_host: name("pc33.atlanta.com"),
                via_port: None,
                via_received: None,
                via_rport: RPort::Absent,
                contact_host: name("pc33.atlanta.com"),
                contact_port: None,
                from_display: Some("Alice"),
                declared_length: 5,
                body: b"v=0\r\n",
            }
        }
    }

    fn check_ours(bytes: &[u8], e: Expect) -> SipMessage {
        let m = parse_message(bytes).unwrap();
        assert_eq!(
            m.start,
            StartLine::Request {
                method: e.method.clone(),
                uri: e.ruri.to_string()
            }
        );
        assert_eq!(
            m.call_id.as_deref(),
            Some("a84b4c76e66710@pc33.atlanta.com")
        );
        assert_eq!(
            m.cseq,
            Some(CSeq {
                seq: 314159,
                method: e.method.clone()
            })
        );
        let from = m.from.as_ref().unwrap();
        assert_eq!(from.tag.as_deref(), Some("1928301774"));
        assert_eq!(from.display.as_deref(), e.from_display);
        assert_eq!(from.uri.user.as_deref(), Some("alice"));
        let to = m.to.as_ref().unwrap();
        assert_eq!(to.tag, None);
        assert_eq!(to.uri.host, Some(name("biloxi.com")));
        assert_eq!(m.vias.len(), 1);
        let via = &m.vias[0];
        assert_eq!(via.transport, "UDP");
        assert_eq!(via.host, e.via_host);
        assert_eq!(via.port, e.via_port);
        assert_eq!(via.branch.as_deref(), Some("z9hG4bK776asdhds"));
        assert_eq!(via.received.as_deref(), e.via_received);
        assert_eq!(via.rport, e.via_rport);
        assert_eq!(m.contacts.len(), 1);
        assert_eq!(m.contacts[0].uri.host, Some(e.contact_host));
        assert_eq!(m.contacts[0].uri.port, e.contact_port);
        assert_eq!(m.content_type.as_deref(), Some("application/sdp"));
        assert_eq!(m.content_length, DeclaredLength::Value(e.declared_length));
        assert_eq!(m.body, e.body);
        assert_eq!(m.sdp, Some(0..e.body.len()));
        assert_eq!(m.len, bytes.len());
        m
    }

    #[test]
    fn baseline_both_accept() {
        let r = rsip_parse(BASE.as_bytes()).unwrap();
        assert_eq!(
            r.call_id_header().unwrap().to_string(),
            "Call-ID: a84b4c76e66710@pc33.atlanta.com"
        );
        assert_eq!(r.body().len(), 5);
        let m = check_ours(BASE.as_bytes(), Expect::default());
        assert_eq!(m.anomalies, vec![]);
    }

    /// (a) Folding: rsip fails to tokenize the continuation line.
    #[test]
    fn a_header_folding() {
        let s = BASE
            .replace(
                "To: Bob <sip:bob@biloxi.com>\r\n",
                "Subject: I know you're there,\r\n pick up the phone\r\nTo: Bob\r\n\t<sip:bob@biloxi.com>\r\n",
            )
            .replace(
                "Via: SIP/2.0/UDP pc33.atlanta.com;branch",
                "Via: SIP/2.0/UDP pc33.atlanta.com\r\n   ;branch",
            );
        assert!(is_tokenize_error(&rsip_parse(s.as_bytes())));
        let m = check_ours(s.as_bytes(), Expect::default());
        assert_eq!(m.anomalies, vec![Anomaly::FoldedHeader]);
        let subject = m.header("Subject").unwrap();
        assert_eq!(subject.value, "I know you're there, pick up the phone");
        assert!(subject.folded);
        let to = m.header("To").unwrap();
        assert_eq!(to.value, "Bob <sip:bob@biloxi.com>");
        assert_eq!(
            &s.as_bytes()[to.span.clone()],
            b"To: Bob\r\n\t<sip:bob@biloxi.com>"
        );
        assert_eq!(m.to.as_ref().unwrap().display.as_deref(), Some("Bob"));
        assert_eq!(
            m.vias[0].raw,
            "SIP/2.0/UDP pc33.atlanta.com ;branch=z9hG4bK776asdhds"
        );
    }

    /// (b) LF-only line ends: rsip requires CRLF after the start line.
    #[test]
    fn b_lf_only_line_ends() {
        let s = BASE.replace("\r\n", "\n");
        assert!(is_tokenize_error(&rsip_parse(s.as_bytes())));
        let m = check_ours(
            s.as_bytes(),
            Expect {
                body: b"v=0\n",
                ..Expect::default()
            },
        );
        // Converting the line ends shortened the body: the declared length no longer fits.
        assert_eq!(
            m.anomalies,
            vec![Anomaly::LfLineEnds, Anomaly::ContentLengthMismatch]
        );
    }

    /// (c) Lowercase names with whitespace around the colon: rsip accepts lowercase names
    /// and whitespace after the colon, but refuses whitespace before it.
    #[test]
    fn c_lowercase_names_and_colon_whitespace() {
        let after_only = BASE
            .replace("Call-ID: ", "call-id:   ")
            .replace("Via: ", "via:\t");
        let r = rsip_parse(after_only.as_bytes()).unwrap();
        assert_eq!(
            r.call_id_header().unwrap().to_string(),
            "Call-ID: a84b4c76e66710@pc33.atlanta.com"
        );
        assert_eq!(
            r.via_header()
                .unwrap()
                .typed()
                .unwrap()
                .branch()
                .unwrap()
                .to_string(),
            "z9hG4bK776asdhds"
        );

        let both = BASE
            .replace("Call-ID: ", "call-id :  ")
            .replace("Via: ", "via\t:\t")
            .replace("From: ", "from:  ")
            .replace("CSeq: ", "cseq :");
        assert!(is_tokenize_error(&rsip_parse(both.as_bytes())));
        let m = check_ours(both.as_bytes(), Expect::default());
        assert_eq!(m.anomalies, vec![Anomaly::SpaceBeforeColon]);
        let cid = m.header("Call-ID").unwrap();
        assert_eq!(cid.name, "call-id");
        assert!(cid.space_before_colon);
        assert!(!m.header("From").unwrap().space_before_colon);
    }

    /// (d) A custom method: rsip's Method enum has no room for it.
    #[test]
    fn d_custom_method() {
        let s = BASE.replace("INVITE", "FOOBAR");
        assert_eq!(
            parse_error_text(&rsip_parse(s.as_bytes())).as_deref(),
            Some("invalid method: FOOBAR")
        );
        let m = check_ours(
            s.as_bytes(),
            Expect {
                method: Method::Other("FOOBAR".into()),
                ..Expect::default()
            },
        );
        assert_eq!(m.anomalies, vec![Anomaly::ExtensionMethod]);
    }

    /// (e) tel: URI with a long number: rsip reads the number as a port and overflows.
    #[test]
    fn e_tel_uri_long_number() {
        let s = BASE.replace(
            "INVITE sip:bob@biloxi.com SIP",
            "INVITE tel:+4917612345678901234 SIP",
        );
        assert_eq!(
            parse_error_text(&rsip_parse(s.as_bytes())).as_deref(),
            Some("number too large to fit in target type")
        );
        let m = check_ours(
            s.as_bytes(),
            Expect {
                ruri: "tel:+4917612345678901234",
                ..Expect::default()
            },
        );
        assert_eq!(m.anomalies, vec![]);
        // In a To header rsip keeps the value untyped and accepts the message; typing it
        // fails the same way.
        let s = BASE.replace(
            "To: Bob <sip:bob@biloxi.com>",
            "To: <tel:+4917612345678901234>",
        );
        let r = rsip_parse(s.as_bytes()).unwrap();
        assert!(r.to_header().unwrap().typed().is_err());
        let m = parse_message(s.as_bytes()).unwrap();
        let to = m.to.unwrap();
        assert_eq!(to.uri.scheme, "tel");
        assert_eq!(to.uri.user.as_deref(), Some("+4917612345678901234"));
    }

    /// (f) IPv6 in Request-URI, Via and Contact. rsip refuses the Request-URI; with a
    /// plain Request-URI it accepts the message but cannot type the Via or Contact.
    #[test]
    fn f_ipv6_hosts() {
        let s = BASE
            .replace(
                "INVITE sip:bob@biloxi.com SIP",
                "INVITE sip:bob@[2001:db8::1]:5060 SIP",
            )
            .replace(
                "pc33.atlanta.com;branch=z9hG4bK776asdhds",
                "[2001:db8::2]:5060;branch=z9hG4bK776asdhds;received=2001:db8::99;rport=5062",
            )
            .replace(
                "<sip:alice@pc33.atlanta.com>",
                "<sip:alice@[2001:db8::3]:5070>",
            );
        assert_eq!(
            parse_error_text(&rsip_parse(s.as_bytes())).as_deref(),
            Some("invalid digit found in string")
        );
        let m = check_ours(
            s.as_bytes(),
            Expect {
                ruri: "sip:bob@[2001:db8::1]:5060",
                via_host: ip("2001:db8::2"),
                via_port: Some(5060),
                via_received: Some("2001:db8::99"),
                via_rport: RPort::Value(5062),
                contact_host: ip("2001:db8::3"),
                contact_port: Some(5070),
                ..Expect::default()
            },
        );
        assert_eq!(m.anomalies, vec![]);

        let plain_ruri = s.replace("sip:bob@[2001:db8::1]:5060 SIP", "sip:bob@biloxi.com SIP");
        let r = rsip_parse(plain_ruri.as_bytes()).unwrap();
        assert!(r.via_header().unwrap().typed().is_err());
        assert!(r.contact_header().unwrap().typed().is_err());
        // And where rsip does not fail, it misreads: IPv6 as a domain name, a dotted
        // user part as part of the host.
        let hp = rsip::HostWithPort::try_from("[2001:db8::1]:5060").unwrap();
        assert_eq!(hp.host, rsip::Host::Domain("[2001:db8::1]".into()));
        let hp = rsip::HostWithPort::try_from("2001:db8::1").unwrap();
        assert_eq!(hp.host, rsip::Host::Domain("2001:db8:".into()));
        let u = rsip::Uri::try_from("sip:first.last@example.com").unwrap();
        assert_eq!(u.auth, None);
        assert_eq!(
            u.host_with_port.host,
            rsip::Host::Domain("first.last@example.com".into())
        );
    }

    /// (g) A Latin-1 display name (0xE9): rsip converts the whole message to UTF-8 first.
    #[test]
    fn g_non_utf8_header_value() {
        let mut b = BASE
            .replace("From: Alice", "From: \"Ren\u{1}\"")
            .into_bytes();
        for x in b.iter_mut() {
            if *x == 1 {
                *x = 0xE9;
            }
        }
        assert!(matches!(rsip_parse(&b), Err(rsip::Error::Utf8Error(_))));
        let m = check_ours(
            &b,
            Expect {
                from_display: Some("Ren\u{FFFD}"),
                ..Expect::default()
            },
        );
        assert_eq!(m.anomalies, vec![Anomaly::NonUtf8]);
        assert_eq!(
            m.header("From").unwrap().value,
            "\"Ren\u{FFFD}\" <sip:alice@atlanta.com>;tag=1928301774"
        );
    }

    /// (h) A bare CRLF keepalive.
    #[test]
    fn h_keepalive() {
        for k in [&b"\r\n"[..], b"\r\n\r\n"] {
            assert!(is_tokenize_error(&rsip_parse(k)));
            assert_eq!(parse_message(k), Err(SipError::Keepalive { len: k.len() }));
            assert!(is_keepalive(k));
            assert!(!looks_like_sip(k));
        }
    }

    /// (i) Compact forms: rsip accepts the message but keeps `v: f: t: i: m: l: c:` as
    /// `Header::Other`, so its typed accessors do not find them.
    #[test]
    fn i_compact_forms() {
        let s = "INVITE sip:bob@biloxi.com SIP/2.0\r\n\
            v: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n\
            Max-Forwards: 70\r\n\
            t: Bob <sip:bob@biloxi.com>\r\n\
            f: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n\
            i: a84b4c76e66710@pc33.atlanta.com\r\n\
            CSeq: 314159 INVITE\r\n\
            m: <sip:alice@pc33.atlanta.com>\r\n\
            c: application/sdp\r\n\
            l: 4\r\n\
            \r\n\
            v=0\r\n";
        let r = rsip_parse(s.as_bytes()).unwrap();
        assert!(matches!(r.via_header(), Err(rsip::Error::MissingHeader(_))));
        assert!(matches!(
            r.from_header(),
            Err(rsip::Error::MissingHeader(_))
        ));
        assert!(matches!(r.to_header(), Err(rsip::Error::MissingHeader(_))));
        assert!(matches!(
            r.call_id_header(),
            Err(rsip::Error::MissingHeader(_))
        ));
        assert!(matches!(
            r.contact_header(),
            Err(rsip::Error::MissingHeader(_))
        ));
        assert_eq!(
            r.headers()
                .iter()
                .filter(|h| matches!(h, rsip::Header::Other(..)))
                .count(),
            7
        );
        assert!(r.cseq_header().is_ok());
        assert_eq!(r.body().len(), 5);

        let m = check_ours(
            s.as_bytes(),
            Expect {
                declared_length: 4,
                ..Expect::default()
            },
        );
        // The capture this comes from declares 4 bytes for a 5-byte body.
        assert_eq!(
            m.anomalies,
            vec![Anomaly::CompactHeader, Anomaly::ContentLengthMismatch]
        );
        let names: Vec<&str> = m.headers.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(
            names,
            ["v", "Max-Forwards", "t", "f", "i", "CSeq", "m", "c", "l"]
        );
        assert_eq!(m.header("Content-Length").unwrap().name, "l");
    }
}

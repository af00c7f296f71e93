//! The typed SIP message the tolerant parser produces.
//!
//! Everything here is owned and small: a SIP message is parsed once, where a SIP start line
//! was seen, and then handed to the transaction/dialog layers. Raw header lines are kept as
//! written, because an ALG's fingerprints (spacing, case, order, compact forms) are in the
//! raw text, not in the typed values.

use std::fmt;
use std::ops::Range;

/// A SIP method. Known methods are variants; anything else that is a valid token is kept
/// as `Other` (custom methods are legal SIP, RFC 3261 section 7.1 `extension-method`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    Invite,
    Ack,
    Bye,
    Cancel,
    Register,
    Options,
    Prack,
    Update,
    Refer,
    Notify,
    Subscribe,
    Publish,
    Message,
    Info,
    Other(String),
}

impl Method {
    /// Parses a method token, case-sensitively as RFC 3261 says (methods are case-sensitive);
    /// an unknown token becomes `Other`.
    pub fn from_token(token: &str) -> Method {
        match token {
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "BYE" => Method::Bye,
            "CANCEL" => Method::Cancel,
            "REGISTER" => Method::Register,
            "OPTIONS" => Method::Options,
            "PRACK" => Method::Prack,
            "UPDATE" => Method::Update,
            "REFER" => Method::Refer,
            "NOTIFY" => Method::Notify,
            "SUBSCRIBE" => Method::Subscribe,
            "PUBLISH" => Method::Publish,
            "MESSAGE" => Method::Message,
            "INFO" => Method::Info,
            other => Method::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Register => "REGISTER",
            Method::Options => "OPTIONS",
            Method::Prack => "PRACK",
            Method::Update => "UPDATE",
            Method::Refer => "REFER",
            Method::Notify => "NOTIFY",
            Method::Subscribe => "SUBSCRIBE",
            Method::Publish => "PUBLISH",
            Method::Message => "MESSAGE",
            Method::Info => "INFO",
            Method::Other(s) => s,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The first line of a SIP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    Request { method: Method, uri: String },
    Response { code: u16, reason: String },
}

/// `METHOD uri` or `code reason`, for messages to people.
impl fmt::Display for StartLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartLine::Request { method, uri } => write!(f, "{method} {uri}"),
            StartLine::Response { code, reason } => write!(f, "{code} {reason}"),
        }
    }
}

/// One header line as it was written on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawHeader {
    /// The name exactly as written (case and compact form preserved, whitespace trimmed).
    pub name: String,
    /// The value with folding undone (continuation lines joined by one space) and outer
    /// whitespace trimmed. Non-UTF-8 bytes are replaced (lossy).
    pub value: String,
    /// Byte range of the whole header (all its physical lines, without the final line end)
    /// within the message bytes.
    pub span: Range<usize>,
    /// True when the line had whitespace between the name and the colon.
    pub space_before_colon: bool,
    /// True when the header was continued on further lines (RFC 3261 folding).
    pub folded: bool,
}

impl RawHeader {
    /// The canonical long name for this header (compact forms expanded, case folded to
    /// the usual spelling); unknown names are returned as written.
    pub fn canonical_name(&self) -> &str {
        canonical_header_name(&self.name)
    }
}

/// Maps compact forms (RFC 3261 section 7.3.3 and later RFCs) and any case of a known
/// header to its usual spelling. Unknown headers are returned unchanged.
pub fn canonical_header_name(name: &str) -> &str {
    const KNOWN: &[(&str, &str)] = &[
        ("i", "Call-ID"),
        ("m", "Contact"),
        ("e", "Content-Encoding"),
        ("l", "Content-Length"),
        ("c", "Content-Type"),
        ("f", "From"),
        ("s", "Subject"),
        ("k", "Supported"),
        ("t", "To"),
        ("v", "Via"),
        ("r", "Refer-To"),
        ("b", "Referred-By"),
        ("o", "Event"),
        ("u", "Allow-Events"),
        ("x", "Session-Expires"),
        ("a", "Accept-Contact"),
        ("j", "Reject-Contact"),
        ("d", "Request-Disposition"),
        ("y", "Identity"),
    ];
    const LONG: &[&str] = &[
        "Call-ID",
        "Contact",
        "Content-Encoding",
        "Content-Length",
        "Content-Type",
        "From",
        "Subject",
        "Supported",
        "To",
        "Via",
        "Refer-To",
        "Referred-By",
        "Event",
        "Allow-Events",
        "Session-Expires",
        "CSeq",
        "Max-Forwards",
        "Expires",
        "Record-Route",
        "Route",
        "User-Agent",
        "Server",
        "Allow",
        "Replaces",
        "Subscription-State",
        "Require",
        "RSeq",
        "RAck",
        "Authorization",
        "WWW-Authenticate",
        "Proxy-Authenticate",
        "Proxy-Authorization",
    ];
    if name.len() == 1 {
        for (short, long) in KNOWN {
            if name.eq_ignore_ascii_case(short) {
                return long;
            }
        }
        return name;
    }
    for long in LONG {
        if name.eq_ignore_ascii_case(long) {
            return long;
        }
    }
    name
}

/// A host as written in a URI or Via sent-by: an IP address when it parses as one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    Ip(std::net::IpAddr),
    Name(String),
}

impl Host {
    /// The address, when the host is written as one.
    pub fn ip(&self) -> Option<std::net::IpAddr> {
        match self {
            Host::Ip(ip) => Some(*ip),
            Host::Name(_) => None,
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Ip(std::net::IpAddr::V6(a)) => write!(f, "[{a}]"),
            Host::Ip(a) => write!(f, "{a}"),
            Host::Name(n) => f.write_str(n),
        }
    }
}

/// A URI from a name-addr or Request-URI. `sip:`/`sips:` URIs are split into user, host
/// and port; other schemes (`tel:`, `urn:` ...) keep the scheme and the rest in `user`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uri {
    pub scheme: String,
    pub user: Option<String>,
    pub host: Option<Host>,
    pub port: Option<u16>,
    /// The URI exactly as written.
    pub raw: String,
}

/// A `name-addr` or `addr-spec` with its header parameters (From, To, Contact, Refer-To).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    pub display: Option<String>,
    pub uri: Uri,
    pub tag: Option<String>,
    /// `expires` parameter (Contact).
    pub expires: Option<u32>,
    /// The header value exactly as written.
    pub raw: String,
}

/// The `rport` parameter of a Via (RFC 3581): absent, present without a value (the
/// client asks for it), or filled in by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RPort {
    Absent,
    Requested,
    Value(u16),
}

/// One Via entry (one header may carry several, comma-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// Transport from `SIP/2.0/UDP`, upper-cased.
    pub transport: String,
    pub host: Host,
    pub port: Option<u16>,
    pub branch: Option<String>,
    pub received: Option<String>,
    pub rport: RPort,
    /// The entry exactly as written.
    pub raw: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    pub seq: u32,
    pub method: Method,
}

/// Content-Length as written, next to the body length that was really there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeclaredLength {
    /// No Content-Length header.
    Absent,
    /// A valid decimal value.
    Value(u32),
    /// A value that is not a number (kept as written).
    Invalid(String),
}

/// Things the tolerant front accepted that a strict RFC 3261 parser (rsip 0.4) would not,
/// or that differ from what the message declares. They are facts, not failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Anomaly {
    /// Lines end in a bare LF instead of CRLF.
    LfLineEnds,
    /// At least one header was folded over several lines.
    FoldedHeader,
    /// At least one header used a compact name (`v:`, `i:` ...).
    CompactHeader,
    /// Whitespace between a header name and its colon.
    SpaceBeforeColon,
    /// Bytes that are not UTF-8 (replaced in the typed values).
    NonUtf8,
    /// The method is not one the parser knows (still a valid token).
    ExtensionMethod,
    /// Content-Length differs from the body really present.
    ContentLengthMismatch,
    /// Content-Length is not a number.
    ContentLengthInvalid,
    /// A header line without a colon was skipped.
    HeaderWithoutColon,
    /// Bytes before the start line (other than CRLF) were skipped.
    JunkBeforeStartLine,
    /// The number of headers went over the parser's bound; the rest were skipped.
    TooManyHeaders,
    /// No Call-ID, From, To, CSeq or Via: the message cannot join a transaction.
    MissingMandatoryHeader,
}

/// A parsed SIP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipMessage {
    pub start: StartLine,
    /// Every header line, in order, as written.
    pub headers: Vec<RawHeader>,
    pub call_id: Option<String>,
    pub cseq: Option<CSeq>,
    pub from: Option<NameAddr>,
    pub to: Option<NameAddr>,
    /// Every Via entry, top first (several per header line are split).
    pub vias: Vec<Via>,
    pub contacts: Vec<NameAddr>,
    pub content_type: Option<String>,
    pub content_length: DeclaredLength,
    /// The body as really present (for UDP: the rest of the datagram, whatever
    /// Content-Length says; for TCP: what Content-Length framed).
    pub body: Vec<u8>,
    /// Where the SDP is inside `body`: the whole body for `application/sdp`, the SDP part
    /// of a multipart body, or `None`.
    pub sdp: Option<Range<usize>>,
    pub anomalies: Vec<Anomaly>,
    /// Length in bytes of the message as parsed (start line to end of body).
    pub len: usize,
}

impl SipMessage {
    pub fn is_request(&self) -> bool {
        matches!(self.start, StartLine::Request { .. })
    }

    pub fn method(&self) -> Option<&Method> {
        match &self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match &self.start {
            StartLine::Response { code, .. } => Some(*code),
            StartLine::Request { .. } => None,
        }
    }

    /// The SDP body bytes, if any.
    pub fn sdp_bytes(&self) -> Option<&[u8]> {
        self.sdp.as_ref().and_then(|r| self.body.get(r.clone()))
    }

    /// The first header with this canonical name (compact forms and case folded).
    pub fn header(&self, canonical: &str) -> Option<&RawHeader> {
        self.headers
            .iter()
            .find(|h| h.canonical_name().eq_ignore_ascii_case(canonical))
    }

    /// All headers with this canonical name, in order.
    pub fn headers_named<'a>(&'a self, canonical: &'a str) -> impl Iterator<Item = &'a RawHeader> {
        self.headers
            .iter()
            .filter(move |h| h.canonical_name().eq_ignore_ascii_case(canonical))
    }

    pub fn has_anomaly(&self, a: Anomaly) -> bool {
        self.anomalies.contains(&a)
    }
}

//! The typed view of an SDP body that the rest of algscope uses. Addresses are `IpAddr`,
//! ports `u16`, kinds and directions enums; the raw text of the fields an ALG rewrites is
//! kept too, because those are its fingerprints.

use std::net::IpAddr;

/// Media direction (RFC 3264 section 5.1, RFC 4566 section 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// Whether the side that wrote this SDP will send media.
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    /// Whether the side that wrote this SDP wants to receive media.
    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }
}

/// The media type of an m= line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MediaKind {
    Audio,
    Video,
    /// `m=image`: T.38 fax over UDPTL (or TCP).
    Image,
    Application,
    Text,
    Message,
    Other(String),
}

impl MediaKind {
    pub fn from_token(t: &str) -> MediaKind {
        match t.to_ascii_lowercase().as_str() {
            "audio" => MediaKind::Audio,
            "video" => MediaKind::Video,
            "image" => MediaKind::Image,
            "application" => MediaKind::Application,
            "text" => MediaKind::Text,
            "message" => MediaKind::Message,
            _ => MediaKind::Other(t.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
            MediaKind::Image => "image",
            MediaKind::Application => "application",
            MediaKind::Text => "text",
            MediaKind::Message => "message",
            MediaKind::Other(s) => s,
        }
    }
}

/// A `c=` line: `c=IN IP4 192.0.2.10`. `addr` is `None` when the address is a name or
/// unreadable (kept in `raw`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub addr: Option<IpAddr>,
    /// The value after `c=` exactly as written.
    pub raw: String,
}

impl Connection {
    /// `c=0.0.0.0` (or `::`): the RFC 2543 way to put a call on hold.
    pub fn is_hold_address(&self) -> bool {
        self.addr.is_some_and(|a| a.is_unspecified())
    }
}

/// The `o=` line (RFC 4566 section 5.2): the session version changes with every new
/// offer; the address is the originator's (an ALG often rewrites `c=` but not `o=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub username: String,
    pub session_id: String,
    pub session_version: String,
    pub addr: Option<IpAddr>,
    /// The value after `o=` exactly as written.
    pub raw: String,
}

/// `a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    pub payload_type: u8,
    pub encoding: String,
    pub clock_rate: u32,
    pub channels: Option<u16>,
}

/// `a=rtcp:<port> [IN IP4 <addr>]` (RFC 3605).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtcpAttr {
    pub port: u16,
    pub addr: Option<IpAddr>,
}

/// One m= section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    pub kind: MediaKind,
    /// Port 0 means the stream is rejected or disabled.
    pub port: u16,
    /// `m=audio 49170/2 ...`: the number of ports (1 when absent).
    pub port_count: u16,
    /// Transport protocol as written (`RTP/AVP`, `RTP/SAVP`, `udptl`, `UDP/TLS/RTP/SAVPF`).
    pub proto: String,
    /// Formats (payload types for RTP, `t38` for UDPTL).
    pub formats: Vec<String>,
    /// Media-level `c=` (overrides the session-level one).
    pub connection: Option<Connection>,
    pub rtcp: Option<RtcpAttr>,
    /// Media-level direction attribute, when present.
    pub direction: Option<Direction>,
    pub rtpmaps: Vec<RtpMap>,
    /// `a=T38...` attributes (name, value), as written.
    pub t38: Vec<(String, String)>,
    /// The `m=` line as written.
    pub raw: String,
}

/// A parsed SDP body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    pub origin: Option<Origin>,
    /// Session-level `c=`.
    pub connection: Option<Connection>,
    /// Session-level direction attribute.
    pub direction: Option<Direction>,
    pub media: Vec<MediaDescription>,
    /// Which parser read it: `sdp-rs`, or the tolerant fallback where sdp-rs refused.
    pub parsed_by: SdpParser,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdpParser {
    SdpRs,
    Fallback,
}

impl SessionDescription {
    /// The address media for `m` is sent to: media-level `c=` over session-level.
    pub fn media_addr(&self, m: &MediaDescription) -> Option<IpAddr> {
        m.connection
            .as_ref()
            .or(self.connection.as_ref())
            .and_then(|c| c.addr)
    }

    /// The connection line that applies to `m`.
    pub fn media_connection<'a>(&'a self, m: &'a MediaDescription) -> Option<&'a Connection> {
        m.connection.as_ref().or(self.connection.as_ref())
    }

    /// The direction for `m`: media-level attribute over session-level, sendrecv when
    /// neither is present (RFC 3264 section 5.1).
    pub fn media_direction(&self, m: &MediaDescription) -> Direction {
        m.direction
            .or(self.direction)
            .unwrap_or(Direction::SendRecv)
    }

    /// The RTP clock rate for a payload type: from `a=rtpmap`, else the static table of
    /// RFC 3551.
    pub fn clock_rate(&self, m: &MediaDescription, pt: u8) -> Option<u32> {
        m.rtpmaps
            .iter()
            .find(|r| r.payload_type == pt)
            .map(|r| r.clock_rate)
            .or_else(|| static_clock_rate(pt))
    }
}

/// Clock rates of the static RTP payload types (RFC 3551 tables 4 and 5).
pub fn static_clock_rate(pt: u8) -> Option<u32> {
    match pt {
        0..=5 | 7 | 8 | 12 | 13 | 15 | 18 => Some(8_000),
        6 => Some(16_000),
        9 => Some(8_000), // G.722: 8000 by RFC 3551's historical error
        10 | 11 => Some(44_100),
        14 | 25 | 26 | 28 | 31..=34 => Some(90_000),
        16 => Some(11_025),
        17 => Some(22_050),
        _ => None,
    }
}

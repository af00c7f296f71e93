//! Real SDP bodies, copied byte for byte from the captures named above each one (extracted
//! with `tshark -r <capture> -Y frame.number==<n> -T fields -e udp.payload`, body after the
//! blank line).

/// fixtures/public/sipnab__register-invite-reinvite-bye.pcap frame 3: INVITE, G.711 offer.
pub const G711_OFFER: &[u8] = b"v=0\r\n\
    o=alice 1 1 IN IP4 127.0.0.1\r\n\
    s=call\r\n\
    c=IN IP4 127.0.0.1\r\n\
    t=0 0\r\n\
    m=audio 5094 RTP/AVP 0\r\n\
    a=rtpmap:0 PCMU/8000\r\n\
    a=sendrecv\r\n";

/// fixtures/public/sipnab__register-invite-reinvite-bye.pcap frame 6: 200 OK, G.711 answer.
pub const G711_ANSWER: &[u8] = b"v=0\r\n\
    o=bob 2 1 IN IP4 127.0.0.1\r\n\
    s=call\r\n\
    c=IN IP4 127.0.0.1\r\n\
    t=0 0\r\n\
    m=audio 5084 RTP/AVP 0\r\n\
    a=rtpmap:0 PCMU/8000\r\n\
    a=sendrecv\r\n";

/// fixtures/public/ndpi__FAX-Call-t38-CA-TDM-SIP-FB-1.pcap frame 1394: the T.38 re-INVITE
/// (inside hop, 10.x); it carries no `a=T38...` attributes.
pub const T38_REINVITE: &[u8] = b"v=0\r\n\
    o=- 191 1228500780 IN IP4 10.23.1.52\r\n\
    s=IMSS\r\n\
    c=IN IP4 10.23.1.52\r\n\
    t=0 0\r\n\
    m=image 16756 udptl t38\r\n";

/// fixtures/public/ndpi__FAX-Call-t38-CA-TDM-SIP-FB-1.pcap frame 1400: the same re-INVITE on
/// the hop facing the public side (rejected with 488 in frame 1402).
pub const T38_REINVITE_PUBLIC_HOP: &[u8] = b"v=0\r\n\
    o=- 191 1228500780 IN IP4 138.132.169.101\r\n\
    s=IMSS\r\n\
    c=IN IP4 138.132.169.101\r\n\
    t=0 0\r\n\
    m=image 15580 udptl t38\r\n";

/// fixtures/lab/calls/captures/call_t38_reinvite.pcap frame 76: sipp's T.38 re-INVITE with
/// the T.38 Annex D attributes (lab capture, not yet committed when this was copied).
pub const T38_REINVITE_WITH_ATTRIBUTES: &[u8] = b"v=0\r\n\
    o=bob 2002 2003 IN IP4 192.0.2.20\r\n\
    s=-\r\n\
    c=IN IP4 192.0.2.20\r\n\
    t=0 0\r\n\
    m=image 18002 udptl t38\r\n\
    a=T38FaxVersion:0\r\n\
    a=T38MaxBitRate:14400\r\n\
    a=T38FaxRateManagement:transferredTCF\r\n\
    a=T38FaxMaxBuffer:200\r\n\
    a=T38FaxMaxDatagram:320\r\n\
    a=T38FaxUdpEC:t38UDPRedundancy\r\n";

/// fixtures/public/sipnab__sip-488-codec-reject.pcapng frame 7: INVITE on hold
/// (c=0.0.0.0, port 0, a=inactive), rejected with 488.
pub const HOLD_INACTIVE: &[u8] = b"v=0\r\n\
    o=8801 559 2101 IN IP4 192.168.8.183\r\n\
    s=Talk\r\n\
    c=IN IP4 0.0.0.0\r\n\
    t=0 0\r\n\
    a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics\r\n\
    m=audio 0 RTP/AVP 0\r\n\
    a=inactive\r\n";

/// fixtures/public/sipnab__sip-rtp-g711.pcap frame 1: INVITE offering recvonly.
pub const RECVONLY_OFFER: &[u8] = b"v=0\r\n\
    o=- 42 42 IN IP4 10.0.2.20\r\n\
    s=-\r\n\
    c=IN IP4 10.0.2.20\r\n\
    t=0 0\r\n\
    m=audio 6000 RTP/AVP 0\r\n\
    a=rtpmap:0 PCMU/8000\r\n\
    a=recvonly\r\n";

/// fixtures/public/sipnab__sip-rtp-g711.pcap frame 4: FreeSWITCH's 200 OK answering sendonly.
pub const SENDONLY_ANSWER: &[u8] = b"v=0\r\n\
    o=FreeSWITCH 1480144037 1480144038 IN IP4 10.0.2.15\r\n\
    s=FreeSWITCH\r\n\
    c=IN IP4 10.0.2.15\r\n\
    t=0 0\r\n\
    m=audio 27942 RTP/AVP 0 101\r\n\
    a=rtpmap:0 PCMU/8000\r\n\
    a=rtpmap:101 telephone-event/8000\r\n\
    a=fmtp:101 0-16\r\n\
    a=sendonly\r\n\
    a=ptime:20\r\n";

/// fixtures/public/sngrep__ipv6frag.pcap frame 2 (reassembled from IPv6 fragments): INVITE
/// with an IPv6 SDP; the o= address is bracketed.
pub const IPV6_OFFER: &[u8] = b"v=0\r\n\
    o=user1 53655765 2353687637 IN IP6 [fd17:625c:f037:2:a00:27ff:feb9:1521]\r\n\
    s=-\r\n\
    c=IN IP6 fd17:625c:f037:2:a00:27ff:feb9:1521\r\n\
    t=0 0\r\n\
    m=audio 15062 RTP/AVP 100 101 0 120 121\r\n\
    a=rtpmap:100 AMR-WB/16000\r\n\
    a=fmtp:100 mode-set=\"0,1,2\";octet-align=0\r\n\
    a=rtpmap:101 AMR-WB/16000\r\n\
    a=fmtp:101 mode-set=\"0,1,2\";octet-align=1\r\n\
    a=rtpmap:110 AMR/8000\r\n\
    a=fmtp:110 mode-set=\"0,1,2\";octet-align=0\r\n\
    a=rtpmap:111 AMR/8000\r\n\
    a=fmtp:111 mode-set=\"0,1,2\";octet-align=1\r\n\
    a=rtpmap:0 PCMU/8000\r\n\
    a=rtpmap:120 telephone-event/8000\r\n\
    a=rtpmap:121 telephone-event/16000\r\n\
    a=des:qos mandatory local none\r\n\
    a=des:qos mandatory remote none\r\n\
    a=curr:qos local none\r\n\
    a=curr:qos remote none\r\n";

/// fixtures/public/heplify__ipip0.pcap frame 1: a scanner's INVITE whose c= address is an
/// SQL injection; the last line (`a=sendrend`, sic) has no line end.
pub const SQL_INJECTION: &[u8] = b"v=0\r\n\
    o=- 279118510 1 IN IP4 179.43.150.26\r\n\
    s=SonicSIP\r\n\
    c=IN IP4 '/**/OR/**/'1'/**/=/**/'1'--\r\n\
    t=0 0\r\n\
    m=audio 20002 RTP/AVP 0 8 13 18 97 3 98 9 100 99 102 121 105 101\r\n\
    a=rtpmap:0 PCMU/8000\r\n\
    a=rtpmap:8 PCMA/8000\r\n\
    a=rtpmap:13 CN/8000\r\n\
    a=rtpmap:18 G729/8000\r\n\
    a=fmtp:18 annexb=no\r\n\
    a=rtpmap:97 iLBC/8000\r\n\
    a=rtpmap:3 GSM/8000\r\n\
    a=rtpmap:98 AMR/8000\r\n\
    a=rtpmap:9 G722/8000\r\n\
    a=rtpmap:100 SPEEX/8000\r\n\
    a=rtpmap:99 AMR-WB/16000\r\n\
    a=rtpmap:102 SPEEX/16000\r\n\
    a=rtpmap:121 G7221/16000\r\n\
    a=fmtp:121 bitrate=24000\r\n\
    a=rtpmap:105 opus/48000\r\n\
    a=rtpmap:101 telephone-event/8000\r\n\
    a=fmtp:101 0-16\r\n\
    a=sendrecv\r\n\
    m=video 43000 RTP/AVP 34 115 125 120\r\n\
    a=rtpmap:34 H263/90000\r\n\
    a=fmtp:34 CIF=2;QCIF=2\r\n\
    a=rtpmap:115 H263-1998/90000\r\n\
    a=fmtp:115 CIF=2;QCIF=2\r\n\
    a=rtpmap:125 H264/90000\r\n\
    a=fmtp:125 profile-level-id=42801E;packetization-mode=0\r\n\
    a=rtpmap:120 VP8/90000\r\n\
    a=sendrend";

/// fixtures/public/suricata__sip_compact_form.pcap frame 1: compact-form INVITE whose SDP
/// uses every session-level line type (i= u= e= p= b= r= z= k=).
pub const COMPACT_FORM: &[u8] = b"v=0\r\n\
    o=SIPPS 105015165 105015162 IN IP4 192.168.1.2\r\n\
    s=SIP call\r\n\
    i=Session Description Protocol\r\n\
    u=https://www.sdp.proto\r\n\
    e=j.doe@example.com (Jane Doe)\r\n\
    p=+1 617 555-6011 (Jane Doe)\r\n\
    c=IN IP4 192.168.1.2\r\n\
    b=AS:64\r\n\
    t=3034423619 3042462419\r\n\
    r=604800 3600 0 90000\r\n\
    z=2882844526 -1h 2898848070 0\r\n\
    k=prompt\r\n\
    a=sendrecv\r\n\
    m=audio 30000 RTP/AVP 0 8 97 2 3\r\n\
    a=rtpmap:0 pcmu/8000\r\n";

/// Every body above, named.
pub const ALL: &[(&str, &[u8])] = &[
    ("G711_OFFER", G711_OFFER),
    ("G711_ANSWER", G711_ANSWER),
    ("T38_REINVITE", T38_REINVITE),
    ("T38_REINVITE_PUBLIC_HOP", T38_REINVITE_PUBLIC_HOP),
    ("T38_REINVITE_WITH_ATTRIBUTES", T38_REINVITE_WITH_ATTRIBUTES),
    ("HOLD_INACTIVE", HOLD_INACTIVE),
    ("RECVONLY_OFFER", RECVONLY_OFFER),
    ("SENDONLY_ANSWER", SENDONLY_ANSWER),
    ("IPV6_OFFER", IPV6_OFFER),
    ("SQL_INJECTION", SQL_INJECTION),
    ("COMPACT_FORM", COMPACT_FORM),
];

//! Call quality estimates in the E-model (ITU-T G.107) as support engineers quote them:
//! an R-factor and a MOS from packet loss, jitter and delay. They are estimates: the
//! E-model's defaults are assumed for everything a capture cannot show (room noise,
//! echo, handset), the equipment impairment and packet-loss robustness come from ITU-T
//! G.113 Appendix I for the codec, and the delay is what the capture can measure.

/// Equipment impairment `Ie` and packet-loss robustness `Bpl` (G.113 Appendix I) of an
/// RTP payload type; `None` where G.113 gives no figure.
pub fn codec_impairment(payload_type: u8) -> Option<(f64, f64)> {
    match payload_type {
        // G.711 with packet loss concealment (G.711 Appendix I).
        0 | 8 => Some((0.0, 25.1)),
        // G.729A + VAD.
        18 => Some((11.0, 19.0)),
        // G.723.1 at 6.3 kbit/s.
        4 => Some((15.0, 16.1)),
        // GSM-EFR is not a static type; GSM full rate (RTP 3).
        3 => Some((20.0, 10.0)),
        _ => None,
    }
}

/// The delay impairment `Id` for a one-way mouth-to-ear delay in ms, in the simplified
/// form of Cole and Rosenbluth (2001) fitted to G.107 with default echo control.
pub fn delay_impairment(one_way_ms: f64) -> f64 {
    let d = one_way_ms.max(0.0);
    0.024 * d + if d > 177.3 { 0.11 * (d - 177.3) } else { 0.0 }
}

/// The R-factor (G.107: R = Ro - Is - Id - Ie,eff + A with the defaults, Ro - Is =
/// 93.2) for random packet loss `loss_pct` (0-100) and a one-way delay in ms.
pub fn r_factor(ie: f64, bpl: f64, loss_pct: f64, one_way_ms: f64) -> f64 {
    let ppl = loss_pct.clamp(0.0, 100.0);
    let ie_eff = ie + (95.0 - ie) * ppl / (ppl + bpl);
    (93.2 - delay_impairment(one_way_ms) - ie_eff).clamp(0.0, 100.0)
}

/// MOS (conversational quality, 1-4.5) from an R-factor (G.107 Annex B).
pub fn mos(r: f64) -> f64 {
    if r <= 0.0 {
        1.0
    } else if r >= 100.0 {
        4.5
    } else {
        1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g711_without_loss_or_delay() {
        let (ie, bpl) = codec_impairment(0).unwrap();
        let r = r_factor(ie, bpl, 0.0, 0.0);
        assert!((r - 93.2).abs() < 1e-9);
        // 1 + 0.035*93.2 + 93.2*33.2*6.8*7e-6 = 1 + 3.262 + 0.147284 = 4.409284
        assert!((mos(r) - 4.409284).abs() < 1e-5, "{}", mos(r));
    }

    #[test]
    fn g711_five_percent_loss() {
        // Ie,eff = 95 * 5 / (5 + 25.1) = 15.7807; R = 93.2 - 15.7807 = 77.4193.
        let r = r_factor(0.0, 25.1, 5.0, 0.0);
        assert!((r - 77.4193).abs() < 1e-3, "{r}");
        // MOS = 1 + 2.70968 + 77.4193*17.4193*22.5807*7e-6 = 3.9228
        assert!((mos(r) - 3.9228).abs() < 1e-3, "{}", mos(r));
    }

    #[test]
    fn delay_beyond_177_ms_costs_more() {
        assert!((delay_impairment(100.0) - 2.4).abs() < 1e-9);
        assert!((delay_impairment(277.3) - (0.024 * 277.3 + 11.0)).abs() < 1e-9);
    }

    #[test]
    fn mos_bounds() {
        assert_eq!(mos(-5.0), 1.0);
        assert_eq!(mos(120.0), 4.5);
    }
}

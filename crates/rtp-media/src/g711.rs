//! G.711 A-law and µ-law companding between 16-bit linear PCM and 8-bit codes
//! (ITU-T G.711 Tables 1a/1b and 2a/2b, in the formulation of the ITU/Sun reference `g711.c`).

/// Encodes one 16-bit linear sample as A-law (ITU-T G.711 §A, even bits inverted).
pub fn linear_to_alaw(sample: i16) -> u8 {
    let mut pcm = i32::from(sample) >> 3;
    let mask: u8 = if pcm >= 0 {
        0xd5
    } else {
        pcm = -pcm - 1;
        0x55
    };
    let seg = segment(pcm, &ALAW_SEG_END);
    if seg >= 8 {
        return 0x7f ^ mask;
    }
    let shift = if seg < 2 { 1 } else { seg };
    let aval = ((seg as i32) << 4) | ((pcm >> shift) & 0x0f);
    (aval as u8) ^ mask
}

/// Decodes one A-law code to 16-bit linear PCM.
pub fn alaw_to_linear(code: u8) -> i16 {
    let a = code ^ 0x55;
    let mut t = i32::from(a & 0x0f) << 4;
    let seg = (a & 0x70) >> 4;
    match seg {
        0 => t += 8,
        1 => t += 0x108,
        _ => {
            t += 0x108;
            t <<= seg - 1;
        }
    }
    let value = if a & 0x80 != 0 { t } else { -t };
    clamp_i16(value)
}

/// Encodes one 16-bit linear sample as µ-law (ITU-T G.711 §µ, all bits inverted).
pub fn linear_to_ulaw(sample: i16) -> u8 {
    let mut pcm = i32::from(sample) >> 2;
    let mask: u8 = if pcm < 0 {
        pcm = -pcm;
        0x7f
    } else {
        0xff
    };
    pcm = pcm.min(ULAW_CLIP) + (ULAW_BIAS >> 2);
    let seg = segment(pcm, &ULAW_SEG_END);
    if seg >= 8 {
        return 0x7f ^ mask;
    }
    let uval = ((seg as i32) << 4) | ((pcm >> (seg + 1)) & 0x0f);
    (uval as u8) ^ mask
}

/// Decodes one µ-law code to 16-bit linear PCM. Both zero codes (0xFF and 0x7F) decode to 0.
pub fn ulaw_to_linear(code: u8) -> i16 {
    let u = !code;
    let mut t = (i32::from(u & 0x0f) << 3) + ULAW_BIAS;
    t <<= (u & 0x70) >> 4;
    let value = if u & 0x80 != 0 {
        ULAW_BIAS - t
    } else {
        t - ULAW_BIAS
    };
    clamp_i16(value)
}

/// Encodes a block of samples as A-law into `out` (as many as fit in both).
pub fn encode_alaw(samples: &[i16], out: &mut [u8]) {
    for (o, s) in out.iter_mut().zip(samples) {
        *o = linear_to_alaw(*s);
    }
}

/// Encodes a block of samples as µ-law into `out` (as many as fit in both).
pub fn encode_ulaw(samples: &[i16], out: &mut [u8]) {
    for (o, s) in out.iter_mut().zip(samples) {
        *o = linear_to_ulaw(*s);
    }
}

/// Decodes a block of A-law codes into `out` (as many as fit in both).
pub fn decode_alaw(codes: &[u8], out: &mut [i16]) {
    for (o, c) in out.iter_mut().zip(codes) {
        *o = alaw_to_linear(*c);
    }
}

/// Decodes a block of µ-law codes into `out` (as many as fit in both).
pub fn decode_ulaw(codes: &[u8], out: &mut [i16]) {
    for (o, c) in out.iter_mut().zip(codes) {
        *o = ulaw_to_linear(*c);
    }
}

const ALAW_SEG_END: [i32; 8] = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];
const ULAW_SEG_END: [i32; 8] = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
const ULAW_BIAS: i32 = 0x84;
const ULAW_CLIP: i32 = 8159;

fn segment(value: i32, ends: &[i32; 8]) -> u32 {
    ends.iter()
        .position(|&end| value <= end)
        .map_or(8, |i| i as u32)
}

fn clamp_i16(value: i32) -> i16 {
    i16::try_from(value).unwrap_or(if value < 0 { i16::MIN } else { i16::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g711_alaw_reference_values() {
        // ITU-T G.711 Table 1: the codes of +0 and -0 after even-bit inversion.
        assert_eq!(linear_to_alaw(0), 0xd5);
        assert_eq!(linear_to_alaw(-1), 0x55);
        assert_eq!(alaw_to_linear(0xd5), 8);
        assert_eq!(alaw_to_linear(0x55), -8);
        // Full-scale: segment 7, step 15.
        assert_eq!(linear_to_alaw(i16::MAX), 0xaa);
        assert_eq!(linear_to_alaw(i16::MIN), 0x2a);
        assert_eq!(alaw_to_linear(0xaa), 32256);
        assert_eq!(alaw_to_linear(0x2a), -32256);
        // First step of segment 1 (decision value 32 in 13-bit units = 256 in 16-bit).
        assert_eq!(linear_to_alaw(256), 0xc5);
        assert_eq!(alaw_to_linear(0xc5), 264);
    }

    #[test]
    fn g711_ulaw_reference_values() {
        // ITU-T G.711 Table 2: +0 is 0xFF and -0 is 0x7F after inversion.
        assert_eq!(linear_to_ulaw(0), 0xff);
        assert_eq!(ulaw_to_linear(0xff), 0);
        assert_eq!(ulaw_to_linear(0x7f), 0);
        assert_eq!(linear_to_ulaw(i16::MAX), 0x80);
        assert_eq!(linear_to_ulaw(i16::MIN), 0x00);
        assert_eq!(ulaw_to_linear(0x80), 32124);
        assert_eq!(ulaw_to_linear(0x00), -32124);
        assert_eq!(ulaw_to_linear(0xfe), 8);
        assert_eq!(ulaw_to_linear(0x7e), -8);
    }

    #[test]
    fn g711_alaw_full_table_round_trips() {
        for code in 0..=255u8 {
            assert_eq!(
                linear_to_alaw(alaw_to_linear(code)),
                code,
                "code {code:#04x}"
            );
        }
    }

    #[test]
    fn g711_ulaw_full_table_round_trips_except_negative_zero() {
        for code in 0..=255u8 {
            let expected = if code == 0x7f { 0xff } else { code };
            assert_eq!(
                linear_to_ulaw(ulaw_to_linear(code)),
                expected,
                "code {code:#04x}"
            );
        }
    }

    #[test]
    fn g711_encoding_is_monotonic_and_total() {
        let mut prev_a = alaw_to_linear(linear_to_alaw(i16::MIN));
        let mut prev_u = ulaw_to_linear(linear_to_ulaw(i16::MIN));
        for s in i16::MIN..=i16::MAX {
            let a = alaw_to_linear(linear_to_alaw(s));
            let u = ulaw_to_linear(linear_to_ulaw(s));
            assert!(a >= prev_a && u >= prev_u, "sample {s}");
            prev_a = a;
            prev_u = u;
        }
    }

    #[test]
    fn block_helpers_stop_at_the_shorter_slice() {
        let mut codes = [0u8; 3];
        encode_alaw(&[0, 0, 0, 0], &mut codes);
        assert_eq!(codes, [0xd5; 3]);
        let mut pcm = [1i16; 4];
        decode_ulaw(&[0xff, 0xff], &mut pcm);
        assert_eq!(pcm, [0, 0, 1, 1]);
        encode_ulaw(&[0], &mut codes);
        decode_alaw(&[0xd5], &mut pcm);
        assert_eq!((codes[0], pcm[0]), (0xff, 8));
    }
}

//! Byte tests eight bytes at a time in a `u64` (SWAR: SIMD within a
//! register), for the scans of short text that dominate HL7 reading and
//! JSON writing: on values of a few dozen bytes, `memchr`'s setup costs
//! more than it saves.

/// `0x01` in every byte: `ONES * b` broadcasts `b`.
pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;
const LO7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// `0x80` in every byte of `w` equal to the byte broadcast in `c`, nothing
/// elsewhere (exact: no false positives from borrows).
#[inline(always)]
pub(crate) fn eq(w: u64, c: u64) -> u64 {
    let x = w ^ c;
    !(((x & LO7).wrapping_add(LO7)) | x | LO7)
}

/// `0x80` in every byte of `w` below `n` (`n` ≤ `0x80`), and possibly in a
/// byte equal to `n` just above one (a borrow): a superset to check byte by
/// byte, never missing a byte below `n`. Nonzero exactly when some byte is
/// below `n`.
#[inline(always)]
pub(crate) fn below(w: u64, n: u8) -> u64 {
    w.wrapping_sub(ONES * u64::from(n)) & !w & HIGH
}

/// Whether `bytes` holds `a` or `b`.
#[inline]
pub(crate) fn has_either(bytes: &[u8], a: u8, b: u8) -> bool {
    let (ca, cb) = (ONES * u64::from(a), ONES * u64::from(b));
    any_word(bytes, |w| eq(w, ca) | eq(w, cb) != 0)
}

/// Whether `test` (a word test that holds when any byte of the word is of
/// some kind) holds for some byte of `bytes`. Every byte is in a tested
/// word, some in two: the last bytes are tested as an overlapping word
/// (four and four bytes below eight, a byte spread over a word below
/// four), not one by one, which on short values costs more than the rest.
#[inline(always)]
pub(crate) fn any_word(bytes: &[u8], test: impl Fn(u64) -> bool) -> bool {
    let n = bytes.len();
    if n >= 8 {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            if let Ok(w) = <[u8; 8]>::try_from(word)
                && test(u64::from_le_bytes(w))
            {
                return true;
            }
        }
        if words.remainder().is_empty() {
            return false;
        }
        return bytes
            .last_chunk::<8>()
            .is_some_and(|w| test(u64::from_le_bytes(*w)));
    }
    let w = match (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        (Some(lo), Some(hi)) => {
            u64::from(u32::from_le_bytes(*lo)) | u64::from(u32::from_le_bytes(*hi)) << 32
        }
        _ => match bytes {
            [] => return false,
            [x] => ONES * u64::from(*x),
            [x, y] => u64::from_le_bytes([*x, *y, *y, *y, *y, *y, *y, *y]),
            [x, y, z, ..] => u64::from_le_bytes([*x, *y, *z, *z, *z, *z, *z, *z]),
        },
    };
    test(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The word tests agree with the byte tests on any bytes.
        #[test]
        fn word_tests_agree_with_byte_tests(
            bytes in proptest::collection::vec(
                prop_oneof![Just(b'|'), Just(b'\\'), Just(0u8), Just(0x7Fu8), Just(0x80u8), any::<u8>()],
                0..40,
            ),
            n in 1u8..=0x80,
        ) {
            prop_assert_eq!(
                has_either(&bytes, b'|', b'\\'),
                bytes.iter().any(|&x| x == b'|' || x == b'\\')
            );
            for word in bytes.chunks_exact(8) {
                let mut buf = [0u8; 8];
                buf.copy_from_slice(word);
                let w = u64::from_le_bytes(buf);
                let hits = eq(w, ONES * u64::from(b'|'));
                for (i, &x) in word.iter().enumerate() {
                    prop_assert_eq!(hits >> (i * 8) & 0x80 != 0, x == b'|');
                }
                prop_assert_eq!(below(w, n) != 0, word.iter().any(|&x| x < n));
            }
        }
    }
}

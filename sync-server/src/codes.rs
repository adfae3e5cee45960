//! Enrollment codes and bearer tokens: generation, normalisation and hashing.
//!
//! A code is 12 characters of Crockford base32 (60 random bits) shown as `ABCD-EFGH-JKMN`, so
//! it can be read over the phone and typed on a venue laptop. It is compared case-insensitively,
//! ignoring dashes and spaces, with Crockford's look-alikes (`O` → `0`, `I`/`L` → `1`). Only
//! its SHA-256 is stored. A token is 32 random bytes in hex; only its SHA-256 is stored.

use sha2::{Digest, Sha256};

/// Crockford's base32 alphabet (no I, L, O, U).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters in a code.
pub const CODE_LEN: usize = 12;

/// A fresh code, grouped by four: `ABCD-EFGH-JKMN`.
pub fn new_code() -> String {
    let mut bytes = [0u8; CODE_LEN];
    rand::fill(&mut bytes[..]);
    let mut out = String::with_capacity(CODE_LEN + 2);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        // 256 is a multiple of 32, so taking the low five bits is uniform.
        out.push(char::from(ALPHABET[usize::from(b & 31)]));
    }
    out
}

/// The canonical form of a typed code, or `None` if it cannot be one.
pub fn normalize_code(typed: &str) -> Option<String> {
    let mut out = String::with_capacity(CODE_LEN);
    for c in typed.chars() {
        let c = match c.to_ascii_uppercase() {
            '-' | ' ' | '\u{2010}'..='\u{2015}' | '\u{30FC}' | '\u{FF0D}' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
            return None;
        }
        out.push(c);
    }
    (out.len() == CODE_LEN).then_some(out)
}

/// The stored hash of a normalised code.
pub fn hash_code(normalized: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"vaxsync-enrollment-code:");
    h.update(normalized.as_bytes());
    h.finalize().into()
}

/// A fresh bearer token: 32 random bytes as 64 hex characters.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes[..]);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The stored hash of a bearer token.
pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_code_is_grouped_and_normalises_to_itself() {
        let code = new_code();
        assert_eq!(code.len(), 14);
        assert_eq!(code.matches('-').count(), 2);
        let norm = normalize_code(&code).unwrap();
        assert_eq!(norm, code.replace('-', ""));
        assert_eq!(normalize_code(&code.to_lowercase()), Some(norm.clone()));
        assert_eq!(
            normalize_code(&format!(" {} ", code.replace('-', " "))),
            Some(norm)
        );
    }

    #[test]
    fn look_alikes_are_read_as_crockford_digits() {
        assert_eq!(
            normalize_code("abco-il00-0000"),
            Some("ABC01100".to_owned() + "0000")
        );
        assert_eq!(
            normalize_code("ABCD-EFGH-JKMU"),
            None,
            "U is not in the alphabet"
        );
        assert_eq!(normalize_code("ABCD-EFGH-JKM"), None, "too short");
        assert_eq!(normalize_code("ABCD-EFGH-JKMNP"), None, "too long");
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_ne!(hash_token(&a), hash_token(&b));
    }
}

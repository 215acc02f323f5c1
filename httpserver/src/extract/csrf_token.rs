//! CSRF tokens: a random secret kept in the session, handed to pages masked afresh each
//! time, and checked in constant time.
//!
//! Masking (Django's scheme): a token is `mask || (secret XOR mask)` with a new random mask
//! per page, so the bytes on the page differ every time even though the secret does not.
//! A compressed response (gzip over TLS) then leaks nothing of the secret by its length
//! (the BREACH attack).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use subtle::ConstantTimeEq;

/// The secret's length, in bytes: 256 bits.
const SECRET_BYTES: usize = 32;

/// A session's CSRF secret.
pub(crate) type CsrfSecret = [u8; SECRET_BYTES];

/// A new secret from the operating system's random source; `None` only if that source
/// fails, which the caller reports as a 500.
pub(crate) fn new_secret() -> Option<CsrfSecret> {
    let mut secret = [0; SECRET_BYTES];
    getrandom::getrandom(&mut secret).ok()?;
    Some(secret)
}

/// The secret as the session stores it.
pub(crate) fn encode_secret(secret: &CsrfSecret) -> String {
    URL_SAFE_NO_PAD.encode(secret)
}

/// The secret back from the session; `None` if the value is not one.
pub(crate) fn decode_secret(stored: &str) -> Option<CsrfSecret> {
    URL_SAFE_NO_PAD.decode(stored).ok()?.try_into().ok()
}

/// A token for `secret`, masked anew: 86 URL-safe characters, fit for a form field or a
/// header as they are.
pub(crate) fn masked_token(secret: &CsrfSecret) -> Option<String> {
    let mask = new_secret()?;
    let mut token = [0; 2 * SECRET_BYTES];
    token[..SECRET_BYTES].copy_from_slice(&mask);
    for (i, byte) in secret.iter().enumerate() {
        token[SECRET_BYTES + i] = byte ^ mask[i];
    }
    Some(URL_SAFE_NO_PAD.encode(token))
}

/// Whether `token` was made from `secret` (any mask), compared in constant time.
pub(crate) fn token_matches(token: &str, secret: &CsrfSecret) -> bool {
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(token.trim()) else {
        return false;
    };
    if bytes.len() != 2 * SECRET_BYTES {
        return false;
    }
    let (mask, masked) = bytes.split_at(SECRET_BYTES);
    let unmasked: Vec<u8> = masked.iter().zip(mask).map(|(b, m)| b ^ m).collect();
    unmasked.ct_eq(secret).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_matches_its_secret_under_every_mask_and_no_other_secret() {
        let secret = new_secret().unwrap();
        let (a, b) = (
            masked_token(&secret).unwrap(),
            masked_token(&secret).unwrap(),
        );
        assert_ne!(a, b, "each token is masked afresh");
        assert_eq!(a.len(), 86);
        assert!(token_matches(&a, &secret) && token_matches(&b, &secret));
        let other = new_secret().unwrap();
        assert!(!token_matches(&a, &other));
    }

    #[test]
    fn malformed_tokens_do_not_match() {
        let secret = new_secret().unwrap();
        let token = masked_token(&secret).unwrap();
        for bad in [
            "",
            "not base64 !",
            &token[..85],
            &format!("{token}AA"),
            &encode_secret(&secret), // the bare secret is not a token
        ] {
            assert!(!token_matches(bad, &secret), "{bad:?}");
        }
        // One character changed.
        let mut flipped = token.clone().into_bytes();
        flipped[50] = if flipped[50] == b'A' { b'B' } else { b'A' };
        assert!(!token_matches(
            std::str::from_utf8(&flipped).unwrap(),
            &secret
        ));
    }

    #[test]
    fn secrets_round_trip_through_the_session() {
        let secret = new_secret().unwrap();
        assert_eq!(decode_secret(&encode_secret(&secret)), Some(secret));
        assert_eq!(decode_secret("short"), None);
    }
}

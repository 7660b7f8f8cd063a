//! Secrets: random tokens (sessions, API tokens, one-time links), their stored digests,
//! and password hashes. Only digests and hashes reach the database, so a copy of it does
//! not let anyone sign in.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("could not hash the password: {0}")]
    Hash(String),
}

/// 256 random bits as 64 hex characters, from the operating system's generator (via the
/// thread-local ChaCha generator it seeds).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What is stored for a token: SHA-256 is enough, as the token itself has 256 bits of
/// entropy and cannot be guessed from a list.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Argon2id with OWASP's recommended minimum: 19 MiB of memory, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_password(password: &str) -> Result<String, SecretError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| SecretError::Hash(e.to_string()))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| SecretError::Hash(e.to_string()))
}

/// Whether `password` matches a stored hash. A hash that cannot be read matches nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A new TOTP secret (RFC 6238: 160 random bits), base32 as authenticator apps take it.
pub fn new_totp_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    match totp_rs::Secret::Raw(bytes.to_vec()).to_encoded() {
        totp_rs::Secret::Encoded(s) => s,
        totp_rs::Secret::Raw(_) => String::new(),
    }
}

const TOTP_STEP: u64 = 30;

fn totp(secret: &str) -> Option<totp_rs::TOTP> {
    let bytes = totp_rs::Secret::Encoded(secret.to_string())
        .to_bytes()
        .ok()?;
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, TOTP_STEP, bytes).ok()
}

/// The six-digit code for `secret` at `unix` seconds.
pub fn totp_code(secret: &str, unix: u64) -> Option<String> {
    totp(secret).map(|t| t.generate(unix))
}

/// The time step a code belongs to, if it is right within one step either side of
/// `unix`; the caller refuses a step already used, so a code works once.
pub fn totp_step(secret: &str, code: &str, unix: u64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let t = totp(secret)?;
    let now = unix / TOTP_STEP;
    [now.saturating_sub(1), now, now + 1]
        .into_iter()
        .find(|step| {
            let expected = t.generate(step * TOTP_STEP);
            constant_time_eq(expected.as_bytes(), code.as_bytes())
        })
        .and_then(|step| i64::try_from(step).ok())
}

/// Compares secrets in time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A link token that proves the server made it: `message` followed by the first 128 bits
/// of its HMAC-SHA256 under `key`. Nothing is stored per token, so a message can carry
/// one for each recipient however many there are.
pub fn sign(key: &str, message: &str) -> String {
    format!("{message}.{}", mac(key, message))
}

/// The message a token from `sign` carries, if the key made it unaltered.
pub fn signed<'a>(key: &str, token: &'a str) -> Option<&'a str> {
    let (message, tag) = token.rsplit_once('.')?;
    let expected = mac(key, message);
    (!expected.is_empty() && constant_time_eq(expected.as_bytes(), tag.as_bytes()))
        .then_some(message)
}

fn mac(key: &str, message: &str) -> String {
    use hmac::{Hmac, Mac};
    // HMAC takes a key of any length, so this cannot fail.
    let Ok(mut m) = Hmac::<Sha256>::new_from_slice(key.as_bytes()) else {
        return String::new();
    };
    m.update(message.as_bytes());
    hex::encode(&m.finalize().into_bytes()[..16])
}

/// The `otpauth://` address an authenticator app reads (typed in, or from a QR code).
pub fn totp_uri(secret: &str, account: &str) -> String {
    let label = serde_urlencoded::to_string([("", format!("Rosette:{account}"))])
        .map(|s| s.trim_start_matches('=').replace('+', "%20"))
        .unwrap_or_default();
    format!(
        "otpauth://totp/{label}?secret={secret}&issuer=Rosette&algorithm=SHA1&digits=6&period=30"
    )
}

/// A hash to verify against when there is no account, so a wrong address takes as long
/// as a wrong password and does not tell an attacker which addresses exist.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&new_token()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_is_sha256_in_lower_case_hex() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_signed_token_gives_back_its_message_only_when_unaltered() {
        let t = sign("k1", "0190-abc");
        assert_eq!(signed("k1", &t), Some("0190-abc"));
        assert_eq!(signed("k2", &t), None);
        assert_eq!(signed("k1", &t.replace("abc", "abd")), None);
        let mut flipped = t.clone();
        flipped.pop();
        flipped.push(if t.ends_with('0') { '1' } else { '0' });
        assert_eq!(signed("k1", &flipped), None);
        assert_eq!(signed("k1", "no-dot"), None);
        assert_eq!(signed("k1", ""), None);
    }

    #[test]
    fn tokens_are_long_random_and_stored_as_digests() {
        let a = new_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_token());
        assert_eq!(digest(&a), digest(&a));
        assert_ne!(digest(&a), a);
    }

    #[test]
    fn totp_codes_match_rfc_6238_and_their_step() {
        // RFC 6238 appendix B, SHA-1 secret "12345678901234567890", at T = 59 s.
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        assert_eq!(totp_code(secret, 59).as_deref(), Some("287082"));
        assert_eq!(totp_code(secret, 1_111_111_109).as_deref(), Some("081804"));
        assert_eq!(totp_step(secret, "287 082", 59), Some(1));
        assert_eq!(
            totp_step(secret, "287082", 59 + 30),
            Some(1),
            "one step late is allowed"
        );
        assert_eq!(totp_step(secret, "287082", 59 + 90), None);
        assert_eq!(totp_step(secret, "000000", 59), None);
        let fresh = new_totp_secret();
        assert_eq!(fresh.len(), 32);
        assert!(
            totp_uri(&fresh, "sam@example.org")
                .starts_with("otpauth://totp/Rosette%3Asam%40example.org?secret=")
        );
    }

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("tulip-harbour-9").expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password("tulip-harbour-9", &h));
        assert!(!verify_password("tulip-harbour-8", &h));
        assert!(!verify_password("anything", "not a hash"));
    }
}

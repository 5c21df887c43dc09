//! Secrets: random tokens handed out once and stored as their SHA-256, and passwords stored as
//! argon2id hashes.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

/// Shortest password accepted (NSM's guidance favours length over composition rules).
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted: hashing cost must not be a lever for a visitor.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// A new random token: 32 bytes from the operating system, URL-safe base64 (43 characters).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database stores for a token: its SHA-256 in hex. Tokens carry 256 random bits, so a
/// fast hash is enough; a stolen table gives nothing to sign in with.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// Whether two secrets are equal, in time that does not depend on where they differ (their
/// SHA-256 digests are compared in full).
pub fn same_secret(given: &str, expected: &str) -> bool {
    let (a, b) = (
        Sha256::digest(given.as_bytes()),
        Sha256::digest(expected.as_bytes()),
    );
    a.iter()
        .zip(b.iter())
        .fold(0u8, |diff, (x, y)| diff | (x ^ y))
        == 0
}

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("passordet må ha minst {MIN_PASSWORD_CHARS} tegn")]
    TooShort,
    #[error("passordet er for langt")]
    TooLong,
    #[error("the password could not be hashed: {0}")]
    Hash(String),
}

/// Checks a new password against the rules shown in the forms.
pub fn check_new_password(password: &str) -> Result<(), PasswordError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::TooLong);
    }
    Ok(())
}

/// Hashes a password with argon2id and a random salt (PHC string format).
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    check_new_password(password)?;
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches a stored argon2 hash. A malformed stored hash never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    PasswordHash::new(stored).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// Hashing work for a password that cannot match, so that an unknown e-mail address takes as
/// long to refuse as a wrong password.
pub fn waste_hash_time(password: &str) {
    let salt = SaltString::generate(&mut OsRng);
    let _ = Argon2::default().hash_password(password.as_bytes(), &salt);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), token_hash(&b));
        assert_eq!(token_hash(&a).len(), 64);
    }

    #[test]
    fn passwords_verify_only_themselves() -> Result<(), PasswordError> {
        let hash = hash_password("korrekt hest batteri")?;
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("korrekt hest batteri", &hash));
        assert!(!verify_password("korrekt hest batteri!", &hash));
        assert!(!verify_password("x", "not a hash"));
        assert!(matches!(
            hash_password("kort"),
            Err(PasswordError::TooShort)
        ));
        Ok(())
    }
}

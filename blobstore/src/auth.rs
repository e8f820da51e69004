//! Signed reads. A request for a restricted blob carries three headers:
//!
//! - `x-hypha-key`: the reader's ed25519 public key, 64 hex digits;
//! - `x-hypha-timestamp`: Unix time in seconds;
//! - `x-hypha-signature`: hex ed25519 signature of
//!   `"hypha-blob-get/1:" + <digest hex> + ":" + <timestamp>`.
//!
//! The server accepts timestamps within [`MAX_CLOCK_SKEW_SECS`] of its own
//! clock, which bounds how long a captured request can be replayed (and it
//! only ever returns the same public-to-that-reader bytes).

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::store::Digest;

/// Header carrying the reader's public key.
pub const KEY_HEADER: &str = "x-hypha-key";
/// Header carrying the timestamp.
pub const TIMESTAMP_HEADER: &str = "x-hypha-timestamp";
/// Header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-hypha-signature";
/// Header of an upload listing reader keys (comma-separated hex).
pub const READERS_HEADER: &str = "x-hypha-readers";
/// Largest accepted difference between a request's timestamp and the server's clock.
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;

/// The signed message for reading `digest` at `timestamp`.
pub fn message(digest: &Digest, timestamp: u64) -> Vec<u8> {
	format!("hypha-blob-get/1:{}:{timestamp}", digest.to_hex()).into_bytes()
}

/// The three header values for reading `digest` at `timestamp` with `key`.
pub fn sign(key: &SigningKey, digest: &Digest, timestamp: u64) -> [(&'static str, String); 3] {
	let signature = key.sign(&message(digest, timestamp));
	[
		(KEY_HEADER, hex::encode(key.verifying_key().as_bytes())),
		(TIMESTAMP_HEADER, timestamp.to_string()),
		(SIGNATURE_HEADER, hex::encode(signature.to_bytes())),
	]
}

/// Why a signed request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
	/// A header is missing or not well-formed.
	#[error("missing or malformed {0} header")]
	Malformed(&'static str),
	/// The timestamp is too far from the server's clock.
	#[error("timestamp is more than {MAX_CLOCK_SKEW_SECS} s from the server's clock")]
	Stale,
	/// The signature does not verify.
	#[error("signature does not verify")]
	BadSignature,
}

/// Parses a hex public key.
pub fn parse_key(text: &str) -> Option<VerifyingKey> {
	let mut bytes = [0u8; 32];
	hex::decode_to_slice(text.trim(), &mut bytes).ok()?;
	VerifyingKey::from_bytes(&bytes).ok()
}

/// Checks a signed read of `digest`; returns the signer's key.
pub fn verify(
	digest: &Digest,
	key: Option<&str>,
	timestamp: Option<&str>,
	signature: Option<&str>,
	now: u64,
) -> Result<VerifyingKey, AuthError> {
	let key = key.and_then(parse_key).ok_or(AuthError::Malformed(KEY_HEADER))?;
	let timestamp: u64 =
		timestamp.and_then(|t| t.parse().ok()).ok_or(AuthError::Malformed(TIMESTAMP_HEADER))?;
	let mut signature_bytes = [0u8; 64];
	hex::decode_to_slice(
		signature.ok_or(AuthError::Malformed(SIGNATURE_HEADER))?,
		&mut signature_bytes,
	)
	.map_err(|_| AuthError::Malformed(SIGNATURE_HEADER))?;
	if timestamp.abs_diff(now) > MAX_CLOCK_SKEW_SECS {
		return Err(AuthError::Stale);
	}
	key.verify_strict(&message(digest, timestamp), &Signature::from_bytes(&signature_bytes))
		.map_err(|_| AuthError::BadSignature)?;
	Ok(key)
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
	std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.map(|d| d.as_secs())
		.unwrap_or(0)
}

//! Signed requests: who uploads, who reads.
//!
//! Every upload and every read of a private blob carries three headers:
//!
//! - [`ACCOUNT_HEADER`]: the signer's account id (sr25519 public key), 64 hex digits;
//! - [`TIMESTAMP_HEADER`]: Unix time in seconds;
//! - [`SIGNATURE_HEADER`]: the hex sr25519 signature of [`put_message`],
//!   [`get_message`], [`tag_message`] or [`list_message`].
//!
//! The messages name the store's authority (`host:port`, as in the URL the
//! client used), so a request signed for one store is refused by another;
//! the blob's digest (and, for an upload, its size and access), so a
//! signature cannot be moved to other bytes; and the timestamp, which must
//! be within [`MAX_CLOCK_SKEW_SECS`] of the server's clock. Within that
//! window a [`ReplayGuard`] refuses a signature it has already seen, so a
//! captured request cannot be sent again.

use std::collections::HashMap;
use std::sync::Mutex;

use subxt_signer::sr25519;

use crate::store::{Access, Account, Digest};

/// Header carrying the signer's account id.
pub const ACCOUNT_HEADER: &str = "x-hypha-account";
/// Header carrying the timestamp.
pub const TIMESTAMP_HEADER: &str = "x-hypha-timestamp";
/// Header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-hypha-signature";
/// Header of an upload: `public` or `private`.
pub const ACCESS_HEADER: &str = "x-hypha-access";
/// Header of an upload listing extra reader accounts (comma-separated hex).
pub const READERS_HEADER: &str = "x-hypha-readers";
/// Header of a read: the job through which the signer asks (a job whose
/// client owns the blob and of which the signer is the provider or an
/// assigned verifier).
pub const JOB_HEADER: &str = "x-hypha-job";
/// Largest accepted difference between a request's timestamp and the server's clock.
pub const MAX_CLOCK_SKEW_SECS: u64 = 120;
/// Most signatures a [`ReplayGuard`] remembers at once.
pub const MAX_REMEMBERED: usize = 200_000;

fn access_text(access: &Access) -> String {
	if access.public {
		return "public".into();
	}
	let readers: Vec<String> = access.readers.iter().map(hex::encode).collect();
	format!("private[{}]", readers.join(","))
}

/// What an uploader signs.
pub fn put_message(
	authority: &str,
	digest: &Digest,
	size: u64,
	access: &Access,
	timestamp: u64,
) -> Vec<u8> {
	format!(
		"hypha-blob-put/1:{authority}:{}:{size}:{}:{timestamp}",
		digest.to_hex(),
		access_text(access)
	)
	.into_bytes()
}

/// What a reader signs; `job` is the job it reads through, if any.
pub fn get_message(authority: &str, digest: &Digest, job: Option<u64>, timestamp: u64) -> Vec<u8> {
	let job = job.map_or_else(|| "-".to_string(), |job| job.to_string());
	format!("hypha-blob-get/1:{authority}:{}:{job}:{timestamp}", digest.to_hex()).into_bytes()
}

/// What an owner signs to tag its blob as the output of `job`.
pub fn tag_message(authority: &str, digest: &Digest, job: u64, timestamp: u64) -> Vec<u8> {
	format!("hypha-blob-tag/1:{authority}:{}:{job}:{timestamp}", digest.to_hex()).into_bytes()
}

/// What a reader signs to list the outputs of `job` it may read.
pub fn list_message(authority: &str, job: u64, timestamp: u64) -> Vec<u8> {
	format!("hypha-blob-list/1:{authority}:{job}:{timestamp}").into_bytes()
}

/// The three signature headers for `message` signed by `key`.
pub fn sign(key: &sr25519::Keypair, message: &[u8], timestamp: u64) -> [(&'static str, String); 3] {
	let signature = key.sign(message);
	[
		(ACCOUNT_HEADER, hex::encode(key.public_key().0)),
		(TIMESTAMP_HEADER, timestamp.to_string()),
		(SIGNATURE_HEADER, hex::encode(signature.0)),
	]
}

/// Why a signed request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
	/// A header is missing or not well-formed.
	#[error("missing or malformed {0} header")]
	Malformed(&'static str),
	/// The timestamp is too far from the server's clock.
	#[error("the request's timestamp is more than {MAX_CLOCK_SKEW_SECS} s from the store's clock")]
	Stale,
	/// The signature does not verify (for this store, these bytes, this time).
	#[error("the signature does not verify for this store ({0}) and this request")]
	BadSignature(String),
	/// The signature was seen before.
	#[error("this signed request was already used (replay)")]
	Replayed,
	/// The replay guard is full (a flood of signed requests).
	#[error("too many signed requests in the last {MAX_CLOCK_SKEW_SECS} s; try again")]
	Busy,
}

/// A signed request's headers, parsed.
#[derive(Debug, Clone, Copy)]
pub struct Signed {
	/// The signer.
	pub account: Account,
	/// Its timestamp.
	pub timestamp: u64,
	/// Its signature.
	pub signature: [u8; 64],
}

/// Parses a hex account id.
pub fn parse_account(text: &str) -> Option<Account> {
	let mut bytes = [0u8; 32];
	hex::decode_to_slice(text.trim(), &mut bytes).ok()?;
	Some(bytes)
}

/// Parses the signature headers (looked up by `header`).
pub fn parse(header: impl Fn(&str) -> Option<String>) -> Result<Signed, AuthError> {
	let account = header(ACCOUNT_HEADER)
		.as_deref()
		.and_then(parse_account)
		.ok_or(AuthError::Malformed(ACCOUNT_HEADER))?;
	let timestamp = header(TIMESTAMP_HEADER)
		.and_then(|t| t.trim().parse().ok())
		.ok_or(AuthError::Malformed(TIMESTAMP_HEADER))?;
	let mut signature = [0u8; 64];
	hex::decode_to_slice(
		header(SIGNATURE_HEADER).ok_or(AuthError::Malformed(SIGNATURE_HEADER))?.trim(),
		&mut signature,
	)
	.map_err(|_| AuthError::Malformed(SIGNATURE_HEADER))?;
	Ok(Signed { account, timestamp, signature })
}

impl Signed {
	/// Checks freshness and the signature over `message`; `authority` only
	/// names the store in the error.
	pub fn verify(&self, message: &[u8], authority: &str, now: u64) -> Result<(), AuthError> {
		if self.timestamp.abs_diff(now) > MAX_CLOCK_SKEW_SECS {
			return Err(AuthError::Stale);
		}
		if !sr25519::verify(
			&sr25519::Signature(self.signature),
			message,
			&sr25519::PublicKey(self.account),
		) {
			return Err(AuthError::BadSignature(authority.to_string()));
		}
		Ok(())
	}
}

/// Remembers the signatures of recent requests, to refuse a replay.
#[derive(Debug, Default)]
pub struct ReplayGuard {
	seen: Mutex<HashMap<[u8; 64], u64>>,
}

impl ReplayGuard {
	/// Records `signed`; refuses a signature already recorded. Call after
	/// [`Signed::verify`], so only valid, fresh signatures take room.
	pub fn check(&self, signed: &Signed, now: u64) -> Result<(), AuthError> {
		let mut seen = self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		if seen.len() >= MAX_REMEMBERED / 2 {
			seen.retain(|_, timestamp| timestamp.saturating_add(MAX_CLOCK_SKEW_SECS) >= now);
		}
		if seen.len() >= MAX_REMEMBERED {
			return Err(AuthError::Busy);
		}
		if seen.insert(signed.signature, signed.timestamp).is_some() {
			return Err(AuthError::Replayed);
		}
		Ok(())
	}
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
	crate::store::unix_now()
}

#[cfg(test)]
mod tests {
	use super::*;
	use subxt_signer::sr25519::dev;

	fn lookup<'a>(headers: &'a [(&'static str, String)]) -> impl Fn(&str) -> Option<String> + 'a {
		|name| headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone())
	}

	#[test]
	fn a_signature_binds_the_store_the_blob_and_the_time() {
		let digest = Digest::of(b"blob");
		let message = get_message("127.0.0.1:7300", &digest, Some(4), 1_000);
		let headers = sign(&dev::bob(), &message, 1_000);
		let signed = parse(lookup(&headers)).unwrap();
		assert_eq!(signed.account, dev::bob().public_key().0);
		assert_eq!(signed.verify(&message, "s", 1_050), Ok(()));
		for other in [
			get_message("127.0.0.1:7301", &digest, Some(4), 1_000),
			get_message("127.0.0.1:7300", &Digest::of(b"other"), Some(4), 1_000),
			get_message("127.0.0.1:7300", &digest, Some(5), 1_000),
			get_message("127.0.0.1:7300", &digest, None, 1_000),
			get_message("127.0.0.1:7300", &digest, Some(4), 1_001),
		] {
			assert!(matches!(signed.verify(&other, "s", 1_000), Err(AuthError::BadSignature(_))));
		}
		assert_eq!(
			signed.verify(&message, "s", 1_000 + MAX_CLOCK_SKEW_SECS + 1),
			Err(AuthError::Stale)
		);
	}

	#[test]
	fn an_upload_signature_binds_size_and_access() {
		let digest = Digest::of(b"blob");
		let private = Access::private(vec![[7; 32]]);
		let message = put_message("h:1", &digest, 4, &private, 10);
		let signed = parse(lookup(&sign(&dev::alice(), &message, 10))).unwrap();
		assert_eq!(signed.verify(&message, "h:1", 10), Ok(()));
		for other in [
			put_message("h:1", &digest, 5, &private, 10),
			put_message("h:1", &digest, 4, &Access::public(), 10),
			put_message("h:1", &digest, 4, &Access::private(vec![]), 10),
		] {
			assert!(signed.verify(&other, "h:1", 10).is_err());
		}
	}

	#[test]
	fn a_replay_is_refused_and_old_signatures_are_forgotten() {
		let guard = ReplayGuard::default();
		let signed = Signed { account: [1; 32], timestamp: 100, signature: [9; 64] };
		assert_eq!(guard.check(&signed, 100), Ok(()));
		assert_eq!(guard.check(&signed, 101), Err(AuthError::Replayed));
		let other = Signed { signature: [8; 64], ..signed };
		assert_eq!(guard.check(&other, 101), Ok(()));
	}

	#[test]
	fn malformed_headers_are_named() {
		let headers = [(ACCOUNT_HEADER, "zz".to_string())];
		assert_eq!(parse(lookup(&headers)).unwrap_err(), AuthError::Malformed(ACCOUNT_HEADER));
		let mut headers = sign(&dev::bob(), b"m", 1).to_vec();
		headers[2].1 = "00".into();
		assert_eq!(parse(lookup(&headers)).unwrap_err(), AuthError::Malformed(SIGNATURE_HEADER));
	}
}

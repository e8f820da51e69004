//! The signed output channel: how a job's client reads its output from the
//! provider, and how the provider checks that it is the client asking.
//!
//! `GET <output_uri>` (the URI the provider committed on chain, e.g.
//! `http://worker:7100/jobs/42/output`) carries three headers:
//! [`ACCOUNT_HEADER`] (the reader's account id, 64 hex digits),
//! [`TIMESTAMP_HEADER`] (Unix seconds, within [`MAX_CLOCK_SKEW_SECS`] of the
//! server's clock) and [`SIGNATURE_HEADER`], the reader's sr25519 signature
//! of [`message`]`(job, timestamp)`. The server answers `401` without a
//! valid fresh signature, `403` for anyone but the job's client, `404` for a
//! job it does not hold.
//!
//! Why not a public blob URL: the chain keeps the provider's output digest
//! secret (it only sees a commitment) so that an auditor cannot agree by
//! copying it. A public output, or a URL naming its digest, would hand the
//! digest to everyone.

use hypha_client::subxt_signer::sr25519;
use hypha_primitives::JobId;

/// Header carrying the reader's account id.
pub const ACCOUNT_HEADER: &str = "x-hypha-account";
/// Header carrying the timestamp.
pub const TIMESTAMP_HEADER: &str = "x-hypha-timestamp";
/// Header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-hypha-signature";
/// Largest accepted difference between a request's timestamp and the clock.
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;
/// Response header carrying the provider's receipt for the bytes served.
pub const RECEIPT_HEADER: &str = "x-hypha-receipt";

/// What a provider's receipt signs: that it served `output_digest` as the
/// output of `job`.
pub fn receipt_message(job: JobId, output_digest: &[u8; 32]) -> Vec<u8> {
	format!("hypha-receipt/1:{job}:{}", hex::encode(output_digest)).into_bytes()
}

/// The provider's receipt (ed25519, with the receipt key it registered on
/// chain) for serving `output_digest` as `job`'s output. The client keeps it:
/// it proves which bytes this provider handed over, and when a provider
/// serves bytes that do not match its commitment, that it did.
pub fn sign_receipt(
	key: &ed25519_dalek::SigningKey,
	job: JobId,
	output_digest: &[u8; 32],
) -> [u8; 64] {
	use ed25519_dalek::Signer;
	key.sign(&receipt_message(job, output_digest)).to_bytes()
}

/// Whether `receipt` is the provider's (registered `receipt_key`) receipt for
/// `output_digest` as `job`'s output.
pub fn verify_receipt(
	receipt_key: &[u8; 32],
	job: JobId,
	output_digest: &[u8; 32],
	receipt: &[u8; 64],
) -> bool {
	let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(receipt_key) else { return false };
	key.verify_strict(
		&receipt_message(job, output_digest),
		&ed25519_dalek::Signature::from_bytes(receipt),
	)
	.is_ok()
}

/// The message a client signs to read `job`'s output at `timestamp`.
pub fn message(job: JobId, timestamp: u64) -> Vec<u8> {
	format!("hypha-output-get/1:{job}:{timestamp}").into_bytes()
}

/// The headers of a signed output request.
pub fn sign(key: &sr25519::Keypair, job: JobId, timestamp: u64) -> [(&'static str, String); 3] {
	let signature = key.sign(&message(job, timestamp));
	[
		(ACCOUNT_HEADER, hex::encode(key.public_key().0)),
		(TIMESTAMP_HEADER, timestamp.to_string()),
		(SIGNATURE_HEADER, hex::encode(signature.0)),
	]
}

/// Why a request is not a valid signed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
	/// A header is absent.
	#[error("missing header {0}")]
	Missing(&'static str),
	/// A header does not parse.
	#[error("malformed header {0}")]
	Malformed(&'static str),
	/// The timestamp is too far from the server's clock (a replay, or a
	/// wrong clock).
	#[error("timestamp too far from the server's clock")]
	Stale,
	/// The signature does not verify for the account.
	#[error("signature does not verify")]
	BadSignature,
}

/// Checks a signed request for `job`, given a header lookup, at `now` (Unix
/// seconds); returns the signing account.
pub fn verify(
	job: JobId,
	header: impl Fn(&str) -> Option<String>,
	now: u64,
) -> Result<[u8; 32], SignatureError> {
	let mut account = [0u8; 32];
	hex::decode_to_slice(
		header(ACCOUNT_HEADER).ok_or(SignatureError::Missing(ACCOUNT_HEADER))?,
		&mut account,
	)
	.map_err(|_| SignatureError::Malformed(ACCOUNT_HEADER))?;
	let timestamp: u64 = header(TIMESTAMP_HEADER)
		.ok_or(SignatureError::Missing(TIMESTAMP_HEADER))?
		.parse()
		.map_err(|_| SignatureError::Malformed(TIMESTAMP_HEADER))?;
	let mut signature = [0u8; 64];
	hex::decode_to_slice(
		header(SIGNATURE_HEADER).ok_or(SignatureError::Missing(SIGNATURE_HEADER))?,
		&mut signature,
	)
	.map_err(|_| SignatureError::Malformed(SIGNATURE_HEADER))?;
	if timestamp.abs_diff(now) > MAX_CLOCK_SKEW_SECS {
		return Err(SignatureError::Stale);
	}
	if !sr25519::verify(
		&sr25519::Signature(signature),
		message(job, timestamp),
		&sr25519::PublicKey(account),
	) {
		return Err(SignatureError::BadSignature);
	}
	Ok(account)
}

/// Why an output could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
	/// The provider did not answer.
	#[error("requesting the output from {uri}: {source}")]
	Request {
		/// The output URI.
		uri: String,
		/// The HTTP error.
		#[source]
		source: reqwest::Error,
	},
	/// The provider answered with an error status.
	#[error("the provider answered {status}: {body}")]
	Status {
		/// The status.
		status: reqwest::StatusCode,
		/// The start of its body.
		body: String,
	},
	/// The output is larger than the job allows.
	#[error("the output exceeds the job's bound of {0} bytes")]
	TooLarge(u64),
}

/// A GET of `uri` signed as `job`'s client `key` ([`sign`]): a connection
/// timeout of 10 s, `read_timeout` between bytes, and no redirects (the
/// provider's endpoint and nothing else).
pub async fn signed_get(
	uri: &str,
	job: JobId,
	key: &sr25519::Keypair,
	read_timeout: std::time::Duration,
) -> Result<reqwest::Response, reqwest::Error> {
	let http = reqwest::Client::builder()
		.connect_timeout(std::time::Duration::from_secs(10))
		.read_timeout(read_timeout)
		.redirect(reqwest::redirect::Policy::none())
		.build()?;
	let mut request = http.get(uri);
	for (name, value) in sign(key, job, hypha_blobstore::auth::unix_now()) {
		request = request.header(name, value);
	}
	request.send().await
}

/// An output as the provider served it.
#[derive(Debug, Clone)]
pub struct FetchedOutput {
	/// The bytes (canonical encoding).
	pub bytes: Vec<u8>,
	/// The provider's receipt ([`RECEIPT_HEADER`]), if it sent a well-formed one.
	pub receipt: Option<[u8; 64]>,
}

/// Fetches `job`'s output from `output_uri` as its client `key`, refusing
/// more than `max_bytes` (checked while reading, not after).
pub async fn fetch_output(
	output_uri: &str,
	job: JobId,
	key: &sr25519::Keypair,
	max_bytes: u64,
) -> Result<FetchedOutput, OutputError> {
	let request_error = |source| OutputError::Request { uri: output_uri.to_string(), source };
	let mut response = signed_get(output_uri, job, key, hypha_blobstore::client::DEFAULT_TIMEOUT)
		.await
		.map_err(request_error)?;
	let status = response.status();
	if !status.is_success() {
		let body = response.text().await.unwrap_or_default().chars().take(300).collect();
		return Err(OutputError::Status { status, body });
	}
	let receipt =
		response.headers().get(RECEIPT_HEADER).and_then(|value| value.to_str().ok()).and_then(
			|text| {
				let mut receipt = [0u8; 64];
				hex::decode_to_slice(text, &mut receipt).ok().map(|()| receipt)
			},
		);
	let mut bytes = Vec::new();
	while let Some(chunk) = response.chunk().await.map_err(request_error)? {
		if bytes.len() as u64 + chunk.len() as u64 > max_bytes {
			return Err(OutputError::TooLarge(max_bytes));
		}
		bytes.extend_from_slice(&chunk);
	}
	Ok(FetchedOutput { bytes, receipt })
}

/// The longest a provider or verifier spends leaving a copy of an output in
/// the client's store ([`deposit_within`]).
pub const DEPOSIT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// [`deposit`] within [`DEPOSIT_TIMEOUT`], logged (`who`: "provider" or
/// "auditor"); whether the copy is in the store. A store that fails or
/// stalls (a tarpit) costs the caller at most the timeout.
pub async fn deposit_within(
	who: &str,
	store: &str,
	key: &sr25519::Keypair,
	job: JobId,
	client: [u8; 32],
	bytes: Vec<u8>,
) -> bool {
	match tokio::time::timeout(DEPOSIT_TIMEOUT, deposit(store, key, job, client, bytes)).await {
		Ok(Ok(digest)) => {
			tracing::info!(job, %store, %digest, who, "output deposited in the client's store");
			true
		},
		Ok(Err(error)) => {
			tracing::warn!(job, %store, %error, who, "could not deposit the output in the client's store");
			false
		},
		Err(_) => {
			tracing::warn!(job, %store, who, "the client's store took more than {DEPOSIT_TIMEOUT:?} to take the output");
			false
		},
	}
}

/// The store a job's client named: where its program came from.
pub fn client_store(spec: &hypha_primitives::JobSpec) -> Option<String> {
	let program_uri = std::str::from_utf8(&spec.program_uri).ok()?;
	crate::fetch::split_blob_uri(program_uri).ok().map(|(store, _)| store)
}

/// Leaves a copy of `job`'s output in the client's blob store `store_url`
/// (where the job's program came from), private to the client `client` and
/// tagged as the output of `job`, so that the client can fetch it after
/// this provider has gone ([`fetch_deposited`]). Signed by the depositor's
/// `key` (the provider, or an auditor that re-executed the job), and
/// charged to it.
pub async fn deposit(
	store_url: &str,
	key: &sr25519::Keypair,
	job: JobId,
	client: [u8; 32],
	bytes: Vec<u8>,
) -> Result<hypha_blobstore::Digest, hypha_blobstore::BlobError> {
	let store = hypha_blobstore::BlobClient::new(store_url)?.with_signer(key.clone());
	let digest = store.put(bytes, &hypha_blobstore::Access::private(vec![client])).await?;
	store.tag_output(&digest, job).await?;
	Ok(digest)
}

/// Fetches the output of `job` that its provider left in the client's blob
/// store `store_url` ([`deposit`]), as the client `key`: of the blobs the
/// provider `provider` tagged, read and digest-checked, the first that
/// `accept` takes (it opens a sealed output and checks it against the
/// chain's commitment, and returns what the caller keeps). `Ok(None)`: the
/// store holds no acceptable output.
pub async fn fetch_deposited<T>(
	store_url: &str,
	key: &sr25519::Keypair,
	job: JobId,
	provider: [u8; 32],
	max_bytes: u64,
	accept: impl Fn(&[u8]) -> Option<T>,
) -> Result<Option<T>, hypha_blobstore::BlobError> {
	let store = hypha_blobstore::BlobClient::new(store_url)?.with_signer(key.clone());
	for digest in store.outputs_of(job, &provider).await? {
		let bytes = match store.get(&digest, max_bytes).await {
			Ok(bytes) => bytes,
			// Too large, or gone since it was listed: not this one.
			Err(_) => continue,
		};
		if let Some(kept) = accept(&bytes) {
			return Ok(Some(kept));
		}
	}
	Ok(None)
}

#[cfg(test)]
mod tests {
	use super::*;
	use hypha_client::subxt_signer::sr25519::dev;

	fn lookup<'a>(headers: &'a [(&'static str, String)]) -> impl Fn(&str) -> Option<String> + 'a {
		|name| headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone())
	}

	#[test]
	fn receipts_bind_the_job_and_the_digest() {
		let key = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
		let public = key.verifying_key().to_bytes();
		let receipt = sign_receipt(&key, 5, &[9; 32]);
		assert!(verify_receipt(&public, 5, &[9; 32], &receipt));
		assert!(!verify_receipt(&public, 6, &[9; 32], &receipt));
		assert!(!verify_receipt(&public, 5, &[8; 32], &receipt));
		let other = ed25519_dalek::SigningKey::from_bytes(&[4; 32]).verifying_key().to_bytes();
		assert!(!verify_receipt(&other, 5, &[9; 32], &receipt));
	}

	#[test]
	fn a_fresh_signature_names_its_signer() {
		let headers = sign(&dev::bob(), 7, 1_000);
		assert_eq!(verify(7, lookup(&headers), 1_100), Ok(dev::bob().public_key().0));
	}

	#[test]
	fn signatures_for_another_job_or_time_are_refused() {
		let headers = sign(&dev::bob(), 7, 1_000);
		assert_eq!(verify(8, lookup(&headers), 1_000), Err(SignatureError::BadSignature));
		assert_eq!(verify(7, lookup(&headers), 1_000 + 301), Err(SignatureError::Stale));
		let mut forged = headers.clone();
		forged[1].1 = "1001".into();
		assert_eq!(verify(7, lookup(&forged), 1_000), Err(SignatureError::BadSignature));
		assert_eq!(
			verify(7, lookup(&headers[..2]), 1_000),
			Err(SignatureError::Missing(SIGNATURE_HEADER))
		);
		let mut garbled = headers.clone();
		garbled[0].1 = "zz".into();
		assert_eq!(
			verify(7, lookup(&garbled), 1_000),
			Err(SignatureError::Malformed(ACCOUNT_HEADER))
		);
	}
}

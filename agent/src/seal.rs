//! Outputs sealed to the job's client.
//!
//! A client that puts its X25519 public key in a job's spec
//! (`JobSpec::output_key`) gets the output encrypted to it: the provider
//! seals the canonical output bytes with HPKE (RFC 9180, base mode,
//! DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305, through the
//! `hpke` crate) before it serves the output or leaves a copy in the
//! client's store, so neither the provider's endpoint nor the store (nor
//! anyone reading its disk or bucket) sees the plaintext. A sealed output is
//! the 32-byte encapsulated key followed by the ciphertext and its 16-byte
//! tag: [`OVERHEAD`] = 48 bytes more than the output.
//!
//! The HPKE `info` names the job, so a sealed output of one job does not
//! open as another's. The provider's commitment still binds the digest of
//! the *plaintext*, so an audit means what it meant before (verifiers
//! re-execute and compare digests; they never need the output's bytes), and
//! the client checks the opened bytes against the commitment.
//!
//! The client's key is derived from its secret URI (the `--seed` it signs
//! with): `DeriveKeyPair(blake2-256("hypha-output-key/1:" ‖ uri))`, so
//! `hypha job fetch --seed …` opens the output days later with nothing else
//! to keep. The same account written as a different secret URI (a mnemonic
//! instead of its hex seed) derives a different output key.

use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use hypha_primitives::JobId;

type Kem = hpke::kem::X25519HkdfSha256;
type Kdf = hpke::kdf::HkdfSha256;
type Aead = hpke::aead::ChaCha20Poly1305;

/// Bytes a sealed output has beyond the output: the encapsulated key (32)
/// and the AEAD tag (16).
pub const OVERHEAD: usize = 48;

const ENCAPPED_BYTES: usize = 32;

/// Why an output could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
	/// The job's output key is not an X25519 public key.
	#[error("the job's output key is not a usable X25519 public key")]
	BadKey,
	/// Shorter than a sealed output can be.
	#[error("the sealed output is {0} bytes, shorter than the {OVERHEAD} of its envelope")]
	Truncated(usize),
	/// The bytes do not open with this key for this job: sealed to another
	/// key or job, or altered.
	#[error("the sealed output does not open with this client's key for job {0}")]
	DoesNotOpen(JobId),
	/// HPKE refused to seal.
	#[error("sealing failed: {0}")]
	Seal(String),
}

fn info(job: JobId) -> Vec<u8> {
	let mut info = b"hypha sealed output v1:".to_vec();
	info.extend_from_slice(&job.to_le_bytes());
	info
}

/// Seals `plaintext`, the output of `job`, to the client's X25519 public
/// key `recipient`.
pub fn seal(job: JobId, recipient: &[u8; 32], plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
	let key =
		<Kem as hpke::Kem>::PublicKey::from_bytes(recipient).map_err(|_| SealError::BadKey)?;
	let (encapped, ciphertext) =
		hpke::single_shot_seal::<Aead, Kdf, Kem>(&OpModeS::Base, &key, &info(job), plaintext, &[])
			.map_err(|error| SealError::Seal(error.to_string()))?;
	let mut sealed = Vec::with_capacity(OVERHEAD + plaintext.len());
	sealed.extend_from_slice(&encapped.to_bytes());
	sealed.extend_from_slice(&ciphertext);
	Ok(sealed)
}

/// A client's output key (see the module docs for how it is derived).
pub struct OutputKey {
	secret: <Kem as hpke::Kem>::PrivateKey,
	public: [u8; 32],
}

impl std::fmt::Debug for OutputKey {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(f, "OutputKey(0x{})", hex::encode(self.public))
	}
}

impl OutputKey {
	/// The output key of the account whose secret URI is `uri`.
	pub fn from_secret_uri(uri: &str) -> Self {
		let mut ikm = b"hypha-output-key/1:".to_vec();
		ikm.extend_from_slice(uri.as_bytes());
		let (secret, public) = Kem::derive_keypair(&hypha_primitives::blake2_256(&ikm));
		let mut bytes = [0u8; 32];
		bytes.copy_from_slice(&public.to_bytes());
		Self { secret, public: bytes }
	}

	/// The public half, for `JobSpec::output_key`.
	pub fn public(&self) -> [u8; 32] {
		self.public
	}

	/// Opens `sealed`, the sealed output of `job`.
	pub fn open(&self, job: JobId, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
		if sealed.len() < OVERHEAD {
			return Err(SealError::Truncated(sealed.len()));
		}
		let (encapped, ciphertext) = sealed.split_at(ENCAPPED_BYTES);
		let encapped = <Kem as hpke::Kem>::EncappedKey::from_bytes(encapped)
			.map_err(|_| SealError::DoesNotOpen(job))?;
		hpke::single_shot_open::<Aead, Kdf, Kem>(
			&OpModeR::Base,
			&self.secret,
			&encapped,
			&info(job),
			ciphertext,
			&[],
		)
		.map_err(|_| SealError::DoesNotOpen(job))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_sealed_output_opens_only_for_its_client_and_its_job() {
		let client = OutputKey::from_secret_uri("//Bob");
		assert_eq!(client.public(), OutputKey::from_secret_uri("//Bob").public());
		let output = b"the canonical bytes of an output".to_vec();
		let sealed = seal(7, &client.public(), &output).unwrap();
		assert_eq!(sealed.len(), output.len() + OVERHEAD);
		assert!(!sealed.windows(output.len()).any(|w| w == output.as_slice()));
		assert_eq!(client.open(7, &sealed).unwrap(), output);
		// Another job, another key, one flipped bit, a truncated envelope.
		assert_eq!(client.open(8, &sealed), Err(SealError::DoesNotOpen(8)));
		let stranger = OutputKey::from_secret_uri("//Charlie");
		assert_eq!(stranger.open(7, &sealed), Err(SealError::DoesNotOpen(7)));
		let mut flipped = sealed.clone();
		flipped[40] ^= 1;
		assert_eq!(client.open(7, &flipped), Err(SealError::DoesNotOpen(7)));
		assert_eq!(client.open(7, &sealed[..47]), Err(SealError::Truncated(47)));
		// Sealing is randomized: the same output seals differently each time.
		assert_ne!(seal(7, &client.public(), &output).unwrap(), sealed);
		// A low-order point is no key: refused (the worker checks this
		// before it claims a job).
		assert!(seal(7, &[0; 32], &output).is_err());
		// An empty output seals and opens too.
		assert_eq!(client.open(9, &seal(9, &client.public(), &[]).unwrap()).unwrap(), b"");
	}
}

//! Signing keys: a secret URI (`//Alice` on dev chains, a mnemonic or a `0x`
//! seed otherwise), given directly or read from a key file whose first line
//! holds it.

use std::path::Path;

use subxt_signer::{sr25519::Keypair, SecretUri};

use crate::{AccountId, Error};

/// Loads the key of a daemon or of the CLI from exactly one of `seed` and
/// `key_file`.
pub fn load_signer(seed: Option<&str>, key_file: Option<&Path>) -> Result<Keypair, Error> {
	signer_from_uri(&secret_uri(seed, key_file)?)
}

/// The secret URI given as exactly one of `seed` and `key_file` (its first
/// line): what [`load_signer`] derives the key from, and what a client's
/// output key is derived from (`hypha_agent::seal`).
pub fn secret_uri(seed: Option<&str>, key_file: Option<&Path>) -> Result<String, Error> {
	Ok(match (seed, key_file) {
		(Some(seed), None) => seed.to_string(),
		(None, Some(path)) => std::fs::read_to_string(path)
			.map_err(|e| Error::Key(format!("reading the key file {}: {e}", path.display())))?
			.lines()
			.next()
			.unwrap_or_default()
			.trim()
			.to_string(),
		(Some(_), Some(_)) => return Err(Error::Key("give either a seed or a key file, not both".into())),
		(None, None) => {
			return Err(Error::Key(
				"no key: pass --seed (a dev seed such as //Eve on dev chains) or --key-file (a file holding a secret URI or mnemonic)".into(),
			))
		},
	})
}

/// The key of a secret URI.
pub fn signer_from_uri(uri: &str) -> Result<Keypair, Error> {
	let uri: SecretUri = uri.parse().map_err(|_| {
		Error::Key("the key is not a valid secret URI (e.g. //Alice, or a mnemonic)".into())
	})?;
	Keypair::from_uri(&uri)
		.map_err(|e| Error::Key(format!("deriving the key from the secret URI: {e}")))
}

/// The account id of `signer`.
pub fn account_of(signer: &Keypair) -> AccountId {
	signer.public_key().into()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn dev_seeds_and_key_files_give_the_same_key() {
		let dir = std::env::temp_dir().join(format!("hypha-key-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let file = dir.join("key");
		std::fs::write(&file, "//Eve\n").unwrap();
		let from_seed = load_signer(Some("//Eve"), None).unwrap();
		let from_file = load_signer(None, Some(&file)).unwrap();
		assert_eq!(from_seed.public_key().0, from_file.public_key().0);
		assert!(matches!(load_signer(None, None), Err(Error::Key(_))));
		assert!(matches!(load_signer(Some("//Eve"), Some(&file)), Err(Error::Key(_))));
		let _ = std::fs::remove_dir_all(&dir);
	}
}

//! Text ↔ tokens with the `tokenizers` crate, from the `tokenizer.json`
//! shipped inside the model file (so worker, verifier and client all
//! tokenize with the same table).

use crate::ComputeError;

/// A loaded tokenizer.
pub struct Tokenizer {
	inner: tokenizers::Tokenizer,
}

impl Tokenizer {
	/// Parses a Hugging Face `tokenizer.json`.
	pub fn from_json(json: &str) -> Result<Self, ComputeError> {
		let inner: tokenizers::Tokenizer = json
			.parse()
			.map_err(|e| ComputeError::InvalidNetwork(format!("tokenizer.json: {e}")))?;
		Ok(Self { inner })
	}

	/// Tokens of `text` (no special tokens added).
	pub fn encode(&self, text: &str) -> Result<Vec<u32>, ComputeError> {
		let encoding = self
			.inner
			.encode(text, false)
			.map_err(|e| ComputeError::InvalidData(format!("tokenizing: {e}")))?;
		Ok(encoding.get_ids().to_vec())
	}

	/// The text of `tokens` (special tokens skipped).
	pub fn decode(&self, tokens: &[u32]) -> Result<String, ComputeError> {
		self.inner
			.decode(tokens, true)
			.map_err(|e| ComputeError::InvalidData(format!("detokenizing: {e}")))
	}

	/// Tokens in the vocabulary, special tokens included.
	pub fn vocab_size(&self) -> usize {
		self.inner.get_vocab_size(true)
	}
}

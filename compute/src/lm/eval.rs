//! Quality of an integer model against its float checkpoint: perplexity of
//! both on the same text, and how often their top tokens agree. This is
//! what `make lm-check` prints.

use super::float::{argmax as float_argmax, FloatLm};
use super::model::{IntLm, Logits};
use super::ops::{log_sum_exp, ARG_BITS};
use super::sample::argmax;
use crate::backend::Backend;
use crate::ComputeError;

/// Both models on the same tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Comparison {
	/// Positions scored.
	pub positions: usize,
	/// Mean negative log-likelihood of the float model (nats).
	pub float_nll: f64,
	/// Mean negative log-likelihood of the integer model (nats).
	pub int_nll: f64,
	/// Positions where both models' highest logit is the same token.
	pub agree: usize,
}

impl Comparison {
	/// `exp(float_nll)`.
	pub fn float_perplexity(&self) -> f64 {
		self.float_nll.exp()
	}

	/// `exp(int_nll)`.
	pub fn int_perplexity(&self) -> f64 {
		self.int_nll.exp()
	}

	/// Share of positions where the top tokens agree.
	pub fn agreement(&self) -> f64 {
		self.agree as f64 / self.positions.max(1) as f64
	}
}

/// Scores `tokens` in windows of `window` tokens (each from position 0)
/// with both models; at most `max_windows` windows.
pub fn compare(
	float: &FloatLm,
	int: &IntLm,
	backend: &Backend,
	tokens: &[u32],
	window: usize,
	max_windows: usize,
) -> Result<Comparison, ComputeError> {
	let vocab = float.config.vocab;
	let window = window.clamp(2, float.config.max_positions);
	let (mut float_sum, mut int_sum) = (0f64, 0f64);
	let mut out = Comparison::default();
	for chunk in tokens.chunks(window).filter(|c| c.len() >= 2).take(max_windows) {
		let fl = float.forward(chunk, None)?;
		let il = int.forward(backend, &mut int.cache(), chunk, Logits::All)?;
		for (i, &next) in chunk[1..].iter().enumerate() {
			let frow = &fl[i * vocab..(i + 1) * vocab];
			let irow = &il[i * vocab..(i + 1) * vocab];
			let max = frow.iter().cloned().fold(f32::NEG_INFINITY, f32::max) as f64;
			let lse = frow.iter().map(|&l| (l as f64 - max).exp()).sum::<f64>().ln() + max;
			float_sum += lse - frow[next as usize] as f64;
			let (imax, ilse) = log_sum_exp(irow);
			let logp = irow[next as usize] as i64 - imax as i64 - ilse;
			int_sum -= logp as f64 / (1u64 << ARG_BITS) as f64;
			if argmax(irow) == float_argmax(frow) {
				out.agree += 1;
			}
			out.positions += 1;
		}
	}
	if out.positions == 0 {
		return Err(ComputeError::InvalidData("no text to score".into()));
	}
	out.float_nll = float_sum / out.positions as f64;
	out.int_nll = int_sum / out.positions as f64;
	Ok(out)
}

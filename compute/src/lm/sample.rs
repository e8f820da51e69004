//! Decoding: greedy and seeded sampling in fixed point, generation with the
//! KV cache, and scoring (per-token log-probabilities).
//!
//! Sampling is integer-only and reproducible from the seed:
//!
//! 1. `x_j = −round((max − l_j) · 1000 / temperature_milli)` (Q12);
//! 2. candidates ordered by logit, highest first, lowest index first on
//!    ties; keep the first `top_k` (0: all);
//! 3. weights `e_j = exp_q15(x_j)`; keep the shortest prefix whose weight
//!    reaches `top_p_milli / 1000` of the candidates' total;
//! 4. `r = splitmix64() mod Σ kept e`; the first candidate whose running
//!    sum exceeds `r`.
//!
//! Temperature 0 is greedy: the highest logit, lowest index on ties.

use super::model::{IntLm, Logits};
use super::ops::{exp_q15, log_sum_exp, ARG_BITS};
use crate::backend::Backend;
use crate::ComputeError;

/// How the next token is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sampling {
	/// Temperature in thousandths (0 = greedy, 1000 = the model's own distribution).
	#[serde(default)]
	pub temperature_milli: u32,
	/// Keep the `top_k` most likely tokens (0 = all).
	#[serde(default)]
	pub top_k: u32,
	/// Keep the smallest set whose probability reaches `top_p_milli / 1000`
	/// (1000 = all).
	#[serde(default = "full")]
	pub top_p_milli: u32,
	/// Seed of the PRNG.
	#[serde(default)]
	pub seed: u64,
}

fn full() -> u32 {
	1000
}

impl Sampling {
	/// Greedy decoding.
	pub const GREEDY: Self = Self { temperature_milli: 0, top_k: 0, top_p_milli: 1000, seed: 0 };

	/// Checks the ranges (temperature at most 10, top-p at most 1).
	pub fn validate(&self) -> Result<(), ComputeError> {
		if self.temperature_milli > 10_000 {
			return Err(ComputeError::InvalidSpec(format!(
				"temperature_milli {} exceeds 10000",
				self.temperature_milli
			)));
		}
		if self.top_p_milli == 0 || self.top_p_milli > 1000 {
			return Err(ComputeError::InvalidSpec(format!(
				"top_p_milli {} is not 1..=1000",
				self.top_p_milli
			)));
		}
		Ok(())
	}
}

/// The sampler's generator: the same SplitMix64 the training job seeds
/// its weights with.
pub use crate::training::SplitMix64;

/// The highest logit, lowest index on ties.
pub fn argmax(logits: &[i32]) -> u32 {
	let mut best = 0;
	for (i, &l) in logits.iter().enumerate() {
		if l > logits[best] {
			best = i;
		}
	}
	best as u32
}

/// The next token from Q12 logits.
pub fn pick(logits: &[i32], sampling: &Sampling, rng: &mut SplitMix64) -> u32 {
	if sampling.temperature_milli == 0 || logits.len() < 2 {
		return argmax(logits);
	}
	let max = logits.iter().copied().max().unwrap_or(0) as i64;
	let mut order: Vec<u32> = (0..logits.len() as u32).collect();
	order.sort_by(|&a, &b| logits[b as usize].cmp(&logits[a as usize]).then(a.cmp(&b)));
	if sampling.top_k > 0 {
		order.truncate(sampling.top_k as usize);
	}
	let t = sampling.temperature_milli as u64;
	let weights: Vec<u64> = order
		.iter()
		.map(|&j| {
			let gap = (max - logits[j as usize] as i64) as u64 * 1000;
			let x = -(((gap + t / 2) / t).min(1 << 40) as i64);
			exp_q15(x) as u64
		})
		.collect();
	let total: u64 = weights.iter().sum();
	let mut kept = weights.len();
	if sampling.top_p_milli < 1000 {
		let mut acc = 0u64;
		for (i, &w) in weights.iter().enumerate() {
			acc += w;
			if acc * 1000 >= total * sampling.top_p_milli as u64 {
				kept = i + 1;
				break;
			}
		}
	}
	let kept_total: u64 = weights[..kept].iter().sum();
	if kept_total == 0 {
		return order[0];
	}
	let r = rng.next_u64() % kept_total;
	let mut acc = 0u64;
	for (i, &w) in weights[..kept].iter().enumerate() {
		acc += w;
		if r < acc {
			return order[i];
		}
	}
	order[kept - 1]
}

/// Rows a prompt or a scored text goes through the model at a time.
pub const CHUNK: usize = 64;

/// Generates up to `max_new` tokens after `prompt` (stopping after the
/// end-of-text token, which is kept).
pub fn generate(
	model: &IntLm,
	backend: &Backend,
	prompt: &[u32],
	max_new: usize,
	sampling: &Sampling,
) -> Result<Vec<u32>, ComputeError> {
	generate_streaming(model, backend, prompt, max_new, sampling, &mut |_| {})
}

/// [`generate`], calling `on_token` with each token as soon as it is
/// chosen (a worker streams them to the job's client before it commits).
/// The tokens returned are the same, whatever `on_token` does.
pub fn generate_streaming(
	model: &IntLm,
	backend: &Backend,
	prompt: &[u32],
	max_new: usize,
	sampling: &Sampling,
	on_token: &mut dyn FnMut(u32),
) -> Result<Vec<u32>, ComputeError> {
	sampling.validate()?;
	if prompt.is_empty() {
		return Err(ComputeError::InvalidData("the prompt has no tokens".into()));
	}
	let c = model.config();
	if prompt.len() + max_new > c.max_positions {
		return Err(ComputeError::TooLarge {
			what: "prompt plus new tokens".into(),
			size: (prompt.len() + max_new) as u64,
			limit: c.max_positions as u64,
		});
	}
	let mut rng = SplitMix64::new(sampling.seed);
	let mut cache = model.cache();
	// The prompt in chunks (the same bits as at once: attention is causal
	// and the cache holds the earlier positions), so that temporaries stay
	// at CHUNK rows whatever the prompt's length.
	let mut logits = Vec::new();
	for chunk in prompt.chunks(CHUNK) {
		logits = model.forward(backend, &mut cache, chunk, Logits::Last)?;
	}
	let mut out = Vec::with_capacity(max_new);
	while out.len() < max_new {
		let next = pick(&logits, sampling, &mut rng);
		out.push(next);
		on_token(next);
		if Some(next) == c.eos || out.len() == max_new {
			break;
		}
		logits = model.forward(backend, &mut cache, &[next], Logits::Last)?;
	}
	Ok(out)
}

/// Per-token log-probabilities of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scored {
	/// `log p(token[i+1] | token[..=i])` in Q12, one per token after the first.
	pub logprobs: Vec<i32>,
	/// `−Σ logprobs` (Q12).
	pub nll: i64,
}

impl Scored {
	/// `exp(nll / n)`: for display only (the job's output is the integers).
	pub fn perplexity(&self) -> f64 {
		let n = self.logprobs.len().max(1) as f64;
		(self.nll as f64 / (1u64 << ARG_BITS) as f64 / n).exp()
	}
}

/// Scores `tokens` (at least 2).
pub fn score(model: &IntLm, backend: &Backend, tokens: &[u32]) -> Result<Scored, ComputeError> {
	if tokens.len() < 2 {
		return Err(ComputeError::InvalidData("scoring needs at least two tokens".into()));
	}
	let vocab = model.config().vocab;
	let mut cache = model.cache();
	let mut logprobs = Vec::with_capacity(tokens.len() - 1);
	// In chunks of CHUNK rows: logits `[CHUNK, vocab]` at a time.
	for (i, chunk) in tokens[..tokens.len() - 1].chunks(CHUNK).enumerate() {
		let logits = model.forward(backend, &mut cache, chunk, Logits::All)?;
		let next = &tokens[i * CHUNK + 1..];
		logprobs.extend(logits.chunks_exact(vocab).zip(next).map(|(row, &next)| {
			let (max, lse) = log_sum_exp(row);
			(row[next as usize] as i64 - max as i64 - lse) as i32
		}));
	}
	let nll = -logprobs.iter().map(|&l| l as i64).sum::<i64>();
	Ok(Scored { logprobs, nll })
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn greedy_breaks_ties_towards_the_lowest_index() {
		assert_eq!(argmax(&[3, 9, 9, 1]), 1);
		let mut rng = SplitMix64::new(7);
		assert_eq!(pick(&[3, 9, 9, 1], &Sampling::GREEDY, &mut rng), 1);
	}

	#[test]
	fn sampling_is_reproducible_and_respects_top_k() {
		let logits: Vec<i32> = (0..50).map(|i| (i * 7919 % 97) * 200).collect();
		let s = Sampling { temperature_milli: 1500, top_k: 3, top_p_milli: 1000, seed: 42 };
		let draw = |seed| {
			let mut rng = SplitMix64::new(seed);
			(0..200).map(|_| pick(&logits, &s, &mut rng)).collect::<Vec<_>>()
		};
		assert_eq!(draw(42), draw(42));
		let mut top: Vec<u32> = (0..50).collect();
		top.sort_by(|&a, &b| logits[b as usize].cmp(&logits[a as usize]).then(a.cmp(&b)));
		let allowed = &top[..3];
		assert!(draw(42).iter().all(|t| allowed.contains(t)));
		// More than one of the three is drawn at this temperature.
		let drawn = draw(42);
		assert!(allowed.iter().filter(|t| drawn.contains(t)).count() >= 2);
	}

	#[test]
	fn a_tiny_top_p_is_greedy() {
		let logits = [0, 4096 * 3, 100, 4096 * 3 - 1];
		let s = Sampling { temperature_milli: 1000, top_k: 0, top_p_milli: 1, seed: 1 };
		let mut rng = SplitMix64::new(1);
		assert!((0..50).all(|_| pick(&logits, &s, &mut rng) == 1));
	}
}

//! The project's own float forward pass (`hypha_compute::lm::float::FloatLm`,
//! the reference the integer model is measured against) checked against
//! candle's Llama on the shipped model, and the GGUF conversion the speed
//! comparison uses checked against both.
//!
//! # Tolerance
//!
//! Both sides compute in `f32` from the same `f16` weights; they differ only
//! in rounding: Hypha sums RMSNorm and attention in `f64` and its rotary
//! angles in `f64`, candle does everything in `f32` (angles `pos·θ` of up
//! to 63 rad in `f32`: ~4·10⁻⁶ rad of error), and the two matrix products
//! (matrixmultiply, gemm) add in different orders. One `f32` dot product of
//! length `k ≤ 512` is off by at most `k·u ≈ 3·10⁻⁵` relative (`u = 6·10⁻⁸`)
//! and typically `√k·u ≈ 1.4·10⁻⁶`; four blocks of a handful of products
//! each, with RMSNorm rescaling in between, keep the logits well inside
//! `10⁻⁴` relative. The bound below is `10⁻³ · max|logit|`: ten times
//! that, yet far below what a real difference gives (the wrong rotary
//! pairing, an untied head or a missing norm change logits by O(1), which
//! the negative control at the end shows for the rotary layout).

use anyhow::{ensure, Result};
use candle_core::quantized::GgmlDType;
use candle_core::Device;
use candle_transformers::models::llama::Cache;
use hypha_compute::lm::float::FloatLm;
use hypha_lm_bench::{
	argmax_f32, candle_llama, candle_quantized, gguf_from_checkpoint, heldout_windows, logits_vec,
	shipped_model_dir, token_tensor, QkRows,
};

/// Tokens of the compared sequence.
const TOKENS: usize = 64;
/// Allowed max |Δ| over the last position's logits, relative to max|logit|.
const RELATIVE: f32 = 1e-3;

/// `(max |a − b|, max |a|)`.
fn diff(a: &[f32], b: &[f32]) -> (f32, f32) {
	let d = a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs()));
	(d, a.iter().fold(0f32, |m, x| m.max(x.abs())))
}

/// Hypha's float logits of the last position of `tokens`.
fn hypha_last(tokens: &[u32]) -> Result<Vec<f32>> {
	let float = FloatLm::load(&shipped_model_dir())?;
	let vocab = float.config.vocab;
	let all = float.forward(tokens, None)?;
	ensure!(all.len() == tokens.len() * vocab, "FloatLm returned {} logits", all.len());
	Ok(all[(tokens.len() - 1) * vocab..].to_vec())
}

fn sequence() -> Result<Vec<u32>> {
	Ok(heldout_windows(&shipped_model_dir(), 1, TOKENS)?.remove(0))
}

#[test]
fn float_lm_matches_candle_llama() -> Result<()> {
	let dir = shipped_model_dir();
	let tokens = sequence()?;
	let ours = hypha_last(&tokens)?;

	let device = Device::Cpu;
	let (model, config) = candle_llama(&dir, &device)?;
	assert!(
		config.tie_word_embeddings,
		"the shipped model has tied embeddings; candle must tie them too"
	);
	let mut cache = Cache::new(false, candle_core::DType::F32, &config, &device)?;
	let theirs = logits_vec(&model.forward(&token_tensor(&tokens, &device)?, 0, &mut cache)?)?;

	assert_eq!(ours.len(), theirs.len());
	let (d, scale) = diff(&ours, &theirs);
	println!(
		"FloatLm vs candle Llama, {TOKENS} tokens: max |Δ| = {d:.3e}, max |logit| = {scale:.3}"
	);
	assert!(d <= RELATIVE * scale.max(1.0), "max |Δ| {d:e} above {RELATIVE} · {scale}");
	assert_eq!(argmax_f32(&ours), argmax_f32(&theirs), "the two pick different next tokens");
	Ok(())
}

/// The GGUF conversion of the bench, in `F32`: candle's `quantized_llama`
/// (interleaved rotary) must give FloatLm's logits, which settles the
/// direction of the q/k row permutation; the other two orders must not.
#[test]
fn gguf_conversion_matches_float_lm() -> Result<()> {
	let dir = shipped_model_dir();
	let tokens = sequence()?;
	let ours = hypha_last(&tokens)?;
	let device = Device::Cpu;
	let run = |rows: QkRows| -> Result<(f32, f32)> {
		let gguf = gguf_from_checkpoint(&dir, GgmlDType::F32, rows)?;
		let mut model = candle_quantized(&gguf, &device)?;
		let theirs = logits_vec(&model.forward(&token_tensor(&tokens, &device)?, 0)?)?;
		Ok(diff(&ours, &theirs))
	};
	let (d, scale) = run(QkRows::Interleaved)?;
	println!("FloatLm vs quantized_llama (F32 GGUF, interleaved q/k rows): max |Δ| = {d:.3e}, max |logit| = {scale:.3}");
	assert!(d <= RELATIVE * scale.max(1.0), "max |Δ| {d:e} above {RELATIVE} · {scale}");
	for rows in [QkRows::InverseInterleaved, QkRows::Unchanged] {
		let (d, scale) = run(rows)?;
		println!("negative control {rows:?}: max |Δ| = {d:.3e}");
		assert!(
			d > 10.0 * RELATIVE * scale.max(1.0),
			"{rows:?} should not match, but max |Δ| is only {d:e}"
		);
	}
	Ok(())
}

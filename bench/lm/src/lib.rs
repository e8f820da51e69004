//! Hypha's language model next to candle's Llama.
//!
//! Shared by the float cross-check (`tests/float_reference.rs`) and the
//! speed comparison (`src/main.rs`, `make bench-lm`):
//!
//! - [`candle_llama`]: candle's float Llama (`candle_transformers::models::llama`)
//!   from a Hugging Face checkpoint directory;
//! - [`gguf_from_checkpoint`]: the same checkpoint as a GGUF file in the
//!   layout llama.cpp's converter writes (q/k rows permuted for the
//!   interleaved rotary layout), in any ggml dtype (`Q8_0` for the bench,
//!   `F32` to check the conversion itself);
//! - [`candle_quantized`]: candle's `quantized_llama` from such a file;
//! - [`heldout_windows`]: token windows of the checkpoint's `heldout.txt`.
//!
//! Everything runs on candle's CPU device.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::Path;

use anyhow::{bail, ensure, Context, Result};
use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::{llama, quantized_llama};
use hypha_compute::lm::config::HfConfig;
use hypha_compute::lm::{LmConfig, Tokenizer};

/// The shipped model, relative to the workspace root.
pub const SHIPPED_MODEL: &str = "data/fortune-lm";

/// The shipped model's directory (`data/fortune-lm` at the workspace root).
pub fn shipped_model_dir() -> std::path::PathBuf {
	Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(SHIPPED_MODEL)
}

fn read(path: &Path) -> Result<Vec<u8>> {
	std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

fn read_text(path: &Path) -> Result<String> {
	std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Hypha's view of the checkpoint's `config.json`, plus ε and the rotary base.
pub fn hypha_config(dir: &Path) -> Result<(LmConfig, f64, f64)> {
	let hf = HfConfig::parse(&read_text(&dir.join("config.json"))?)?;
	let config = hf.to_lm_config()?;
	Ok((config, hf.rms_norm_eps, hf.rope_theta))
}

/// The checkpoint's tokenizer, through Hypha's [`Tokenizer`].
pub fn tokenizer(dir: &Path) -> Result<Tokenizer> {
	Ok(Tokenizer::from_json(&read_text(&dir.join("tokenizer.json"))?)?)
}

/// `count` windows of `len` tokens of `heldout.txt`, spread evenly over
/// the text (they do not overlap when it is long enough).
pub fn heldout_windows(dir: &Path, count: usize, len: usize) -> Result<Vec<Vec<u32>>> {
	let tokens = tokenizer(dir)?.encode(&read_text(&dir.join("heldout.txt"))?)?;
	ensure!(
		tokens.len() >= len,
		"heldout.txt has {} tokens, fewer than one window of {len}",
		tokens.len()
	);
	let stride = if count > 1 { (tokens.len() - len) / (count - 1) } else { 0 };
	Ok((0..count).map(|i| tokens[i * stride..i * stride + len].to_vec()).collect())
}

/// candle's float Llama in `f32` from `config.json` and `model.safetensors`
/// (read into memory: no mmap, no `unsafe`), with its config.
pub fn candle_llama(dir: &Path, device: &Device) -> Result<(llama::Llama, llama::Config)> {
	let hf: llama::LlamaConfig = serde_json::from_str(&read_text(&dir.join("config.json"))?)
		.context("config.json as candle's LlamaConfig")?;
	let config = hf.into_config(false);
	let vb = VarBuilder::from_buffered_safetensors(
		read(&dir.join("model.safetensors"))?,
		DType::F32,
		device,
	)?;
	let model = llama::Llama::load(vb, &config).context("candle's Llama from model.safetensors")?;
	Ok((model, config))
}

/// How [`gguf_from_checkpoint`] orders the rows of each head of q_proj and
/// k_proj.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QkRows {
	/// llama.cpp's `convert_hf_to_gguf.py` (`permute`): within each head,
	/// GGUF row `2i + j` is Hugging Face row `j·d/2 + i` (`j ∈ {0, 1}`).
	/// Hugging Face rotates the pairs `(x_i, x_{i+d/2})` (`rotate_half`),
	/// candle's `quantized_llama` the pairs `(x_{2i}, x_{2i+1})` (`rope_i`),
	/// both with frequency `θ_i`, so this order makes them the same
	/// function; the attention scores `q·k` do not depend on the order of
	/// the head's dimensions as long as q and k agree.
	Interleaved,
	/// The inverse permutation (what the Meta → Hugging Face script does):
	/// wrong here, kept so the test can show that the direction matters.
	InverseInterleaved,
	/// Hugging Face's order unchanged: also wrong for `quantized_llama`.
	Unchanged,
}

/// Reorders the rows of a `[heads·d, cols]` projection head by head.
fn permute_qk(w: &Tensor, heads: usize, rows: QkRows) -> Result<Tensor> {
	let (n, cols) = w.dims2()?;
	ensure!(n % (2 * heads) == 0, "{n} rows do not split into {heads} heads of even width");
	let half = n / heads / 2;
	Ok(match rows {
		QkRows::Unchanged => w.clone(),
		// [heads, j, i, cols] → [heads, i, j, cols]: new row 2i + j = old row j·half + i.
		QkRows::Interleaved => {
			w.reshape((heads, 2, half, cols))?.transpose(1, 2)?.contiguous()?.reshape((n, cols))?
		},
		// [heads, i, j, cols] → [heads, j, i, cols]: new row j·half + i = old row 2i + j.
		QkRows::InverseInterleaved => {
			w.reshape((heads, half, 2, cols))?.transpose(1, 2)?.contiguous()?.reshape((n, cols))?
		},
	})
}

/// A GGUF file (in memory) of a Llama checkpoint, with the metadata keys
/// and tensor names candle's `quantized_llama` reads. Matrices are stored
/// as `dtype`; norm gains stay `F32` (as llama.cpp stores them). Tied
/// embeddings: `output.weight` is left out and `quantized_llama` uses
/// `token_embd.weight` for the output projection, like llama.cpp.
pub fn gguf_from_checkpoint(dir: &Path, dtype: GgmlDType, rows: QkRows) -> Result<Vec<u8>> {
	let (c, eps, theta) = hypha_config(dir)?;
	ensure!(
		c.architecture == "llama",
		"only Llama checkpoints are converted, not {}",
		c.architecture
	);
	ensure!(!c.qkv_bias, "quantized_llama has no q/k/v biases");
	ensure!(
		c.head_dim * c.heads == c.hidden,
		"quantized_llama takes head_dim = hidden / heads, but the checkpoint has {} ≠ {} / {}",
		c.head_dim,
		c.hidden,
		c.heads
	);
	let mut src =
		candle_core::safetensors::load_buffer(&read(&dir.join("model.safetensors"))?, &Device::Cpu)
			.context("model.safetensors")?;
	let mut take = |name: &str| -> Result<Tensor> {
		let t = src.remove(name).with_context(|| format!("model.safetensors has no {name}"))?;
		Ok(t.to_dtype(DType::F32)?)
	};
	let mut tensors: Vec<(String, QTensor)> = Vec::new();
	let mut put = |name: String, t: &Tensor, dtype: GgmlDType| -> Result<()> {
		let q = QTensor::quantize(t, dtype)
			.with_context(|| format!("quantizing {name} to {dtype:?}"))?;
		tensors.push((name, q));
		Ok(())
	};
	put("token_embd.weight".into(), &take("model.embed_tokens.weight")?, dtype)?;
	put("output_norm.weight".into(), &take("model.norm.weight")?, GgmlDType::F32)?;
	if !c.tied_embeddings {
		put("output.weight".into(), &take("lm_head.weight")?, dtype)?;
	}
	for i in 0..c.layers {
		let hf = |n: &str| format!("model.layers.{i}.{n}.weight");
		let gg = |n: &str| format!("blk.{i}.{n}.weight");
		put(gg("attn_norm"), &take(&hf("input_layernorm"))?, GgmlDType::F32)?;
		put(gg("attn_q"), &permute_qk(&take(&hf("self_attn.q_proj"))?, c.heads, rows)?, dtype)?;
		put(gg("attn_k"), &permute_qk(&take(&hf("self_attn.k_proj"))?, c.kv_heads, rows)?, dtype)?;
		put(gg("attn_v"), &take(&hf("self_attn.v_proj"))?, dtype)?;
		put(gg("attn_output"), &take(&hf("self_attn.o_proj"))?, dtype)?;
		put(gg("ffn_norm"), &take(&hf("post_attention_layernorm"))?, GgmlDType::F32)?;
		put(gg("ffn_gate"), &take(&hf("mlp.gate_proj"))?, dtype)?;
		put(gg("ffn_up"), &take(&hf("mlp.up_proj"))?, dtype)?;
		put(gg("ffn_down"), &take(&hf("mlp.down_proj"))?, dtype)?;
	}
	if c.tied_embeddings {
		// Some tied checkpoints store the head anyway; it is the embedding.
		src.remove("lm_head.weight");
	}
	leftover(&src)?;
	use gguf_file::Value;
	let u32v = |v: usize| Value::U32(v as u32);
	let metadata: Vec<(&str, Value)> = vec![
		("general.architecture", Value::String("llama".into())),
		("llama.vocab_size", u32v(c.vocab)),
		("llama.context_length", u32v(c.max_positions)),
		("llama.embedding_length", u32v(c.hidden)),
		("llama.feed_forward_length", u32v(c.intermediate)),
		("llama.block_count", u32v(c.layers)),
		("llama.attention.head_count", u32v(c.heads)),
		("llama.attention.head_count_kv", u32v(c.kv_heads)),
		("llama.attention.layer_norm_rms_epsilon", Value::F32(eps as f32)),
		("llama.rope.dimension_count", u32v(c.head_dim)),
		("llama.rope.freq_base", Value::F32(theta as f32)),
	];
	let metadata: Vec<(&str, &Value)> = metadata.iter().map(|(k, v)| (*k, v)).collect();
	let tensors: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
	let mut out = Cursor::new(Vec::new());
	gguf_file::write(&mut out, &metadata, &tensors).context("writing the GGUF file")?;
	Ok(out.into_inner())
}

/// candle's `quantized_llama` from a GGUF file in memory.
pub fn candle_quantized(gguf: &[u8], device: &Device) -> Result<quantized_llama::ModelWeights> {
	let mut reader = Cursor::new(gguf);
	let content = gguf_file::Content::read(&mut reader).context("reading the GGUF file")?;
	quantized_llama::ModelWeights::from_gguf(content, &mut reader, device)
		.context("quantized_llama from the GGUF file")
}

/// The `f32` values of a `[1, vocab]` (or `[vocab]`) logits tensor.
pub fn logits_vec(logits: &Tensor) -> Result<Vec<f32>> {
	Ok(logits.flatten_all()?.to_dtype(DType::F32)?.to_vec1::<f32>()?)
}

/// The highest logit, lowest index on ties: Hypha's float rule.
pub use hypha_compute::lm::float::argmax as argmax_f32;

/// Tokens as a `[1, len]` tensor.
pub fn token_tensor(tokens: &[u32], device: &Device) -> Result<Tensor> {
	Ok(Tensor::new(tokens, device)?.unsqueeze(0)?)
}

/// Unused tensors of a checkpoint mean a layout this crate does not
/// convert: reported, not silently dropped.
fn leftover(src: &HashMap<String, Tensor>) -> Result<()> {
	if !src.is_empty() {
		let mut names: Vec<_> = src.keys().cloned().collect();
		names.sort();
		bail!("tensors left unconverted: {}", names.join(", "));
	}
	Ok(())
}

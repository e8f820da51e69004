//! The integer language model: every backend gives the same bits (on random
//! small models and shapes, and on the shipped model), the KV cache changes
//! nothing, the import of the shipped checkpoint keeps the float model's
//! quality, and bad model files and checkpoints get clear errors.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use hypha_compute::lm::config::LmConfig;
use hypha_compute::lm::eval::compare;
use hypha_compute::lm::float::{FloatLayer, FloatLm, Ranges};
use hypha_compute::lm::import::{calibrate, import, quantize, Calibration, Imported};
use hypha_compute::lm::{generate, score, IntLm, Logits, Sampling, Tokenizer};
use hypha_compute::training::SplitMix64;
use hypha_compute::Backend;
use proptest::prelude::*;

fn shipped_dir() -> PathBuf {
	Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/fortune-lm")
}

/// The shipped checkpoint, imported once per test binary.
fn shipped() -> &'static Imported {
	static MODEL: OnceLock<Imported> = OnceLock::new();
	MODEL.get_or_init(|| {
		let dir = shipped_dir();
		let text = std::fs::read_to_string(dir.join("calibration.txt"))
			.expect("calibration.txt is shipped");
		import(&dir, &text, Calibration::default()).expect("the shipped checkpoint imports")
	})
}

/// A random float model of the given shape (weights ~ N(0, 0.1)-ish).
fn random_float(config: LmConfig, seed: u64) -> FloatLm {
	let mut rng = SplitMix64::new(seed);
	let mut w = |n: usize, scale: f32| -> Vec<f32> {
		(0..n)
			.map(|_| ((rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 2.0 * scale)
			.collect()
	};
	let c = &config;
	let (d, f) = (c.hidden, c.intermediate);
	let layers = (0..c.layers)
		.map(|_| FloatLayer {
			attn_norm: w(d, 0.3).iter().map(|x| 1.0 + x).collect(),
			q: w(c.q_width() * d, 0.3),
			k: w(c.kv_width() * d, 0.3),
			v: w(c.kv_width() * d, 0.3),
			q_bias: if c.qkv_bias { w(c.q_width(), 0.1) } else { Vec::new() },
			k_bias: if c.qkv_bias { w(c.kv_width(), 0.1) } else { Vec::new() },
			v_bias: if c.qkv_bias { w(c.kv_width(), 0.1) } else { Vec::new() },
			o: w(d * c.q_width(), 0.2),
			mlp_norm: w(d, 0.3).iter().map(|x| 1.0 + x).collect(),
			gate: w(f * d, 0.3),
			up: w(f * d, 0.3),
			down: w(d * f, 0.2),
		})
		.collect();
	let embed = w(c.vocab * d, 1.0);
	let lm_head = if c.tied_embeddings { embed.clone() } else { w(c.vocab * d, 1.0) };
	FloatLm {
		config,
		eps: 1e-5,
		rope_theta: 10000.0,
		embed,
		layers,
		norm: w(d, 0.2).iter().map(|x| 1.0 + x).collect(),
		lm_head,
	}
}

fn config_strategy() -> impl Strategy<Value = LmConfig> {
	(
		1usize..3,
		1usize..4,
		1usize..3,
		prop_oneof![Just(2usize), Just(4), Just(6), Just(10)],
		3usize..40,
		5usize..50,
		10usize..70,
		any::<bool>(),
		any::<bool>(),
	)
		.prop_map(
			|(layers, kv_heads, group, head_dim, hidden, intermediate, vocab, tied, bias)| {
				LmConfig {
					architecture: "llama".into(),
					vocab,
					hidden,
					intermediate,
					layers,
					heads: kv_heads * group,
					kv_heads,
					head_dim,
					max_positions: 48,
					tied_embeddings: tied,
					qkv_bias: bias,
					eos: None,
				}
			},
		)
}

/// Quantizes a random float model, calibrated on random tokens.
fn random_int(config: &LmConfig, seed: u64) -> (FloatLm, IntLm) {
	let float = random_float(config.clone(), seed);
	let mut rng = SplitMix64::new(seed ^ 0x5eed);
	let tokens: Vec<u32> = (0..40).map(|_| (rng.next_u64() % config.vocab as u64) as u32).collect();
	let mut ranges = Ranges::default();
	float.forward(&tokens, Some(&mut ranges)).unwrap();
	let int = quantize(&float, &ranges, "{}").unwrap();
	(float, int)
}

fn backends() -> Vec<Backend> {
	vec![Backend::Reference, Backend::Cpu, common::gpu_backend()]
}

proptest! {
	#![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

	/// Reference, fast CPU and GPU paths give the same logits on random
	/// models and sequence lengths (none a multiple of any tile size in
	/// particular), and running the sequence token by token through the KV
	/// cache gives the same last logits as running it at once.
	#[test]
	fn every_backend_and_the_cache_give_the_same_bits(config in config_strategy(), seed in any::<u64>(), len in 1usize..30) {
		let (_, int) = random_int(&config, seed);
		let mut rng = SplitMix64::new(seed);
		let tokens: Vec<u32> = (0..len).map(|_| (rng.next_u64() % config.vocab as u64) as u32).collect();
		let expected = int.forward(&Backend::Reference, &mut int.cache(), &tokens, Logits::All).unwrap();
		for backend in backends() {
			prop_assert_eq!(&int.forward(&backend, &mut int.cache(), &tokens, Logits::All).unwrap(), &expected, "{}", backend.describe());
		}
		let vocab = config.vocab;
		let mut cache = int.cache();
		let mut last = Vec::new();
		for &t in &tokens {
			last = int.forward(&Backend::Cpu, &mut cache, &[t], Logits::Last).unwrap();
		}
		prop_assert_eq!(&last[..], &expected[(len - 1) * vocab..]);
	}

	/// A model survives its file: what is read back is what was written.
	#[test]
	fn the_model_file_round_trips(config in config_strategy(), seed in any::<u64>()) {
		let (_, int) = random_int(&config, seed);
		let bytes = int.to_safetensors().unwrap();
		prop_assert_eq!(IntLm::from_safetensors(&bytes).unwrap(), int);
	}
}

#[test]
fn the_shipped_model_keeps_the_float_models_quality() {
	let m = shipped();
	let text = std::fs::read_to_string(shipped_dir().join("heldout.txt")).unwrap();
	let tokenizer = Tokenizer::from_json(&m.model.tokenizer).unwrap();
	let tokens = tokenizer.encode(&text).unwrap();
	let c = compare(&m.float, &m.model, &Backend::Cpu, &tokens, 256, 6).unwrap();
	let ratio = c.int_perplexity() / c.float_perplexity();
	eprintln!(
		"perplexity: float {:.3} int {:.3} (ratio {ratio:.4}), greedy agreement {:.4} over {} positions",
		c.float_perplexity(),
		c.int_perplexity(),
		c.agreement(),
		c.positions
	);
	assert!(ratio < 1.05, "integer perplexity {ratio:.4}× the float one");
	assert!(c.agreement() > 0.85, "greedy agreement {}", c.agreement());
	// A trained model, not noise: far below the vocabulary's uniform perplexity.
	assert!(c.float_perplexity() < 200.0, "float perplexity {}", c.float_perplexity());
}

#[test]
fn the_shipped_model_generates_and_scores_the_same_bits_everywhere() {
	let m = shipped();
	let tokenizer = Tokenizer::from_json(&m.model.tokenizer).unwrap();
	let prompt = tokenizer.encode("The secret of life is").unwrap();
	let sampled = Sampling { temperature_milli: 800, top_k: 40, top_p_milli: 950, seed: 7 };
	let text = tokenizer.encode("A fool and his money are soon parted.").unwrap();
	let mut outputs = Vec::new();
	for backend in backends() {
		let greedy = generate(&m.model, &backend, &prompt, 12, &Sampling::GREEDY).unwrap();
		let sample = generate(&m.model, &backend, &prompt, 12, &sampled).unwrap();
		let scored = score(&m.model, &backend, &text).unwrap();
		outputs.push((greedy, sample, scored));
	}
	assert!(outputs.windows(2).all(|w| w[0] == w[1]), "backends disagree: {outputs:?}");
	let (greedy, sample, scored) = &outputs[0];
	assert_eq!(greedy.len(), 12);
	assert_ne!(greedy, sample, "sampling at temperature 0.8 should leave the greedy path");
	assert!(scored.perplexity() > 1.0 && scored.perplexity() < 1000.0, "{}", scored.perplexity());
	// Another seed samples differently; the same seed the same.
	let again = generate(&m.model, &Backend::Cpu, &prompt, 12, &sampled).unwrap();
	assert_eq!(&again, sample);
	let other =
		generate(&m.model, &Backend::Cpu, &prompt, 12, &Sampling { seed: 8, ..sampled }).unwrap();
	assert_ne!(&other, sample);
}

#[test]
fn importing_the_same_checkpoint_twice_gives_the_same_file() {
	let dir = shipped_dir();
	let text = std::fs::read_to_string(dir.join("calibration.txt")).unwrap();
	let again = import(&dir, &text, Calibration::default()).unwrap();
	assert_eq!(again.digest, shipped().digest);
	assert_eq!(IntLm::from_safetensors(&again.bytes).unwrap(), shipped().model);
}

fn copy_checkpoint(to: &Path) {
	std::fs::create_dir_all(to).unwrap();
	for name in ["config.json", "model.safetensors", "tokenizer.json", "calibration.txt"] {
		std::fs::copy(shipped_dir().join(name), to.join(name)).unwrap();
	}
}

fn import_error(dir: &Path) -> String {
	let text = std::fs::read_to_string(shipped_dir().join("calibration.txt")).unwrap();
	match import(dir, &text, Calibration::default()) {
		Ok(_) => panic!("the import of {} should fail", dir.display()),
		Err(e) => e.to_string(),
	}
}

#[test]
fn bad_checkpoints_get_errors_that_name_the_problem() {
	let root = std::env::temp_dir().join(format!("hypha-lm-bad-{}", std::process::id()));
	// Unknown architecture.
	let dir = root.join("gpt2");
	copy_checkpoint(&dir);
	let config = std::fs::read_to_string(dir.join("config.json")).unwrap();
	std::fs::write(dir.join("config.json"), config.replace("\"llama\"", "\"gpt2\"")).unwrap();
	let e = import_error(&dir);
	assert!(e.contains("unknown architecture `gpt2`"), "{e}");
	// Wrong shape: a config that says the model is wider than its tensors.
	let dir = root.join("shape");
	copy_checkpoint(&dir);
	std::fs::write(
		dir.join("config.json"),
		config.replace("\"intermediate_size\": 512", "\"intermediate_size\": 500"),
	)
	.unwrap();
	let e = import_error(&dir);
	assert!(e.contains("has shape") && e.contains("mlp.gate_proj"), "{e}");
	// Missing tensor: one layer more than the file holds.
	let dir = root.join("missing");
	copy_checkpoint(&dir);
	std::fs::write(
		dir.join("config.json"),
		config.replace("\"num_hidden_layers\": 4", "\"num_hidden_layers\": 5"),
	)
	.unwrap();
	let e = import_error(&dir);
	assert!(e.contains("model.layers.4") && e.contains("missing"), "{e}");
	// Not safetensors at all.
	let dir = root.join("garbage");
	copy_checkpoint(&dir);
	std::fs::write(dir.join("model.safetensors"), b"\x10\x00\x00\x00\x00\x00\x00\x00not json")
		.unwrap();
	let e = import_error(&dir);
	assert!(e.contains("malformed safetensors"), "{e}");
	// No tokenizer.
	let dir = root.join("notok");
	copy_checkpoint(&dir);
	std::fs::remove_file(dir.join("tokenizer.json")).unwrap();
	let e = import_error(&dir);
	assert!(e.contains("tokenizer.json"), "{e}");
	let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn bad_model_files_are_refused_before_anything_runs() {
	let m = shipped();
	// Truncated.
	let e = IntLm::from_safetensors(&m.bytes[..m.bytes.len() / 2]).err().map(|e| e.to_string());
	assert!(e.as_deref().is_some_and(|e| e.contains("malformed")), "{e:?}");
	// A multiplier out of range, a tensor of the wrong shape, an extra tensor.
	let mut model = m.model.clone();
	model.layers[0].q.scales[3].multiplier = 0;
	let e = IntLm::from_safetensors(&model.to_safetensors().unwrap()).err().map(|e| e.to_string());
	assert!(
		e.as_deref().is_some_and(|e| e.contains("layers.0.q") && e.contains("out of range")),
		"{e:?}"
	);
	let file = safetensors::SafeTensors::deserialize(&m.bytes).unwrap();
	let (_, header) = safetensors::SafeTensors::read_metadata(&m.bytes).unwrap();
	let short = vec![0u8; 4 * (m.model.config().hidden - 1)];
	let extra = vec![0u8; 4];
	let mut views: Vec<(String, safetensors::tensor::TensorView)> =
		file.tensors().into_iter().filter(|(name, _)| name != "final_norm").collect();
	let wrong_shape = |name: &str, data: &'static [u8]| {
		(
			name.to_string(),
			safetensors::tensor::TensorView::new(
				safetensors::Dtype::I32,
				vec![data.len() / 4],
				data,
			)
			.unwrap(),
		)
	};
	let short: &'static [u8] = Box::leak(short.into_boxed_slice());
	let extra: &'static [u8] = Box::leak(extra.into_boxed_slice());
	views.push(wrong_shape("final_norm", short));
	let bytes = safetensors::serialize(views.clone(), header.metadata().clone()).unwrap();
	let e = IntLm::from_safetensors(&bytes).err().map(|e| e.to_string());
	assert!(e.as_deref().is_some_and(|e| e.contains("final_norm") && e.contains("shape")), "{e:?}");
	views.pop();
	views.push(wrong_shape(
		"final_norm",
		Box::leak(
			m.model
				.final_norm
				.iter()
				.flat_map(|v| v.to_le_bytes())
				.collect::<Vec<u8>>()
				.into_boxed_slice(),
		),
	));
	views.push(wrong_shape("smuggled", extra));
	let bytes = safetensors::serialize(views, header.metadata().clone()).unwrap();
	let e = IntLm::from_safetensors(&bytes).err().map(|e| e.to_string());
	assert!(e.as_deref().is_some_and(|e| e.contains("unexpected tensor `smuggled`")), "{e:?}");
	// Tokens outside the vocabulary and sequences past the rotary table.
	let vocab = m.model.config().vocab as u32;
	let e = m
		.model
		.forward(&Backend::Cpu, &mut m.model.cache(), &[1, vocab], Logits::Last)
		.err()
		.map(|e| e.to_string());
	assert!(e.as_deref().is_some_and(|e| e.contains("outside the vocabulary")), "{e:?}");
	let long = vec![1u32; m.model.config().max_positions + 1];
	let e = m
		.model
		.forward(&Backend::Cpu, &mut m.model.cache(), &long, Logits::Last)
		.err()
		.map(|e| e.to_string());
	assert!(e.as_deref().is_some_and(|e| e.contains("too large")), "{e:?}");
	let e = generate(
		&m.model,
		&Backend::Cpu,
		&[1, 2],
		m.model.config().max_positions,
		&Sampling::GREEDY,
	)
	.err()
	.map(|e| e.to_string());
	assert!(e.as_deref().is_some_and(|e| e.contains("too large")), "{e:?}");
}

#[test]
fn calibration_needs_text() {
	let m = shipped();
	let tokenizer = Tokenizer::from_json(&m.model.tokenizer).unwrap();
	let e =
		calibrate(&m.float, &tokenizer, "", Calibration::default()).err().map(|e| e.to_string());
	assert!(e.as_deref().is_some_and(|e| e.contains("empty")), "{e:?}");
}

#[test]
fn chunked_scoring_equals_scoring_at_once_and_jobs_declare_their_memory() {
	use hypha_compute::lm::ops::log_sum_exp;
	let m = shipped();
	let text = std::fs::read_to_string(shipped_dir().join("heldout.txt")).unwrap();
	let tokens = Tokenizer::from_json(&m.model.tokenizer).unwrap().encode(&text).unwrap();
	let tokens = &tokens[..150]; // more than two chunks of 64
	let scored = score(&m.model, &Backend::Cpu, tokens).unwrap();
	let vocab = m.model.config().vocab;
	let logits =
		m.model.forward(&Backend::Reference, &mut m.model.cache(), tokens, Logits::All).unwrap();
	let at_once: Vec<i32> = logits
		.chunks_exact(vocab)
		.zip(&tokens[1..])
		.map(|(row, &next)| {
			let (max, lse) = log_sum_exp(row);
			(row[next as usize] as i64 - max as i64 - lse) as i32
		})
		.collect();
	assert_eq!(scored.logprobs, at_once);
	// A job's working memory covers at least its KV cache.
	let job = hypha_compute::lm::job::LmJob::new(
		std::sync::Arc::new(m.model.clone()),
		hypha_compute::lm::job::LmTask::Score { tokens: tokens.to_vec() },
	)
	.unwrap();
	let c = m.model.config();
	assert!(job.working_bytes() >= 2 * (c.layers * tokens.len() * c.kv_width()) as u64);
}

#[test]
fn a_job_whose_kv_cache_would_not_fit_is_refused_before_it_runs() {
	// A model file may declare any shape within the limits; the job's working
	// memory is counted from the shapes and refused before anything is allocated.
	let mut model = shipped().model.clone();
	let c = &mut model.header.config;
	(c.layers, c.kv_heads, c.heads, c.head_dim, c.max_positions) = (256, 8, 8, 1024, 8192);
	let task = hypha_compute::lm::job::LmTask::Score { tokens: vec![1; 8192] };
	let e = hypha_compute::lm::job::LmJob::new(std::sync::Arc::new(model), task)
		.err()
		.map(|e| e.to_string());
	assert!(
		e.as_deref().is_some_and(|e| e.contains("working memory") && e.contains("too large")),
		"{e:?}"
	);
}

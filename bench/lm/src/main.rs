//! `lm-bench` (`make bench-lm`): the shipped language model on this
//! machine's CPU, Hypha's integer path against candle's q8_0 Llama, in one
//! run and on one thread pool.
//!
//! Both get the same prompts (windows of `heldout.txt`), the same number
//! of generated tokens (greedy, with a KV cache, never stopped early) and
//! the same threads (rayon's global pool, which Hypha's CPU backend and
//! candle's quantized kernels use, and `RAYON_NUM_THREADS`, which candle's
//! float matrix products read). Prefill is one forward pass over the
//! prompt; decode is one forward pass per generated token, the argmax
//! included. Each implementation runs the prompts [`ROUNDS`] times after a
//! warm-up; the table shows the median round.
//!
//! To show the comparison is apples to apples, it prints the first greedy
//! tokens of each implementation next to the float model's (Hypha's
//! `FloatLm`, itself checked against candle's float Llama in
//! `tests/float_reference.rs`) and how many agree, both free-running and
//! teacher-forced (the next token given the float model's own prefix).
//!
//! Options (environment): `LM_BENCH_THREADS` (default: all cores),
//! `LM_BENCH_PROMPTS` (4), `LM_BENCH_PROMPT_TOKENS` (128),
//! `LM_BENCH_NEW_TOKENS` (64), `LM_BENCH_ROUNDS` (3).
//!
//! candle's q8_0 dot products are chosen at compile time
//! (`#[cfg(target_feature = "avx2")]`), Hypha's int8 kernels at run time;
//! `make bench-lm` therefore builds with `-C target-cpu=native` (in a
//! target directory of its own, so the shared one is not rebuilt), and
//! the bench prints which features the build had.

use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use candle_core::quantized::GgmlDType;
use candle_core::Device;
use candle_transformers::models::quantized_llama::ModelWeights;
use hypha_compute::lm::float::FloatLm;
use hypha_compute::lm::import::{import, Calibration};
use hypha_compute::lm::sample::argmax;
use hypha_compute::lm::{IntLm, Logits};
use hypha_compute::Backend;
use hypha_lm_bench::{
	argmax_f32, candle_quantized, gguf_from_checkpoint, heldout_windows, logits_vec,
	shipped_model_dir, token_tensor, QkRows,
};

/// Timed rounds over all prompts (the median is reported).
const ROUNDS: usize = 3;
/// Greedy tokens shown per implementation (of the first prompt).
const SHOWN: usize = 16;

fn env_usize(name: &str, default: usize) -> Result<usize> {
	match std::env::var(name) {
		Ok(v) => v.parse().with_context(|| format!("{name}={v} is not a number")),
		Err(_) => Ok(default),
	}
}

/// What one implementation did with one prompt.
struct Run {
	prefill: Duration,
	decode: Duration,
	/// Decode forward passes.
	steps: usize,
	/// The greedy tokens.
	tokens: Vec<u32>,
}

/// One implementation under test.
trait Lm {
	fn name(&self) -> String;
	/// Greedy decoding of `new` tokens after `prompt`, timed.
	fn generate(&mut self, prompt: &[u32], new: usize) -> Result<Run>;
	/// The greedy next token after each prefix `tokens[..=i]` for `i ≥ from`
	/// (teacher forcing).
	fn next_tokens(&mut self, tokens: &[u32], from: usize) -> Result<Vec<u32>>;
}

/// Hypha's integer model on one backend.
struct Hypha<'a> {
	model: &'a IntLm,
	backend: Backend,
}

impl Lm for Hypha<'_> {
	fn name(&self) -> String {
		match self.backend {
			Backend::Cpu => "hypha int8 (Backend::Cpu)".into(),
			Backend::Reference => "hypha int8 (Backend::Reference)".into(),
			Backend::Gpu(ref ctx) => {
				format!("hypha int8 (Backend::Gpu, {})", ctx.adapter_info().name)
			},
		}
	}

	fn generate(&mut self, prompt: &[u32], new: usize) -> Result<Run> {
		let mut cache = self.model.cache();
		let start = Instant::now();
		let logits = self.model.forward(&self.backend, &mut cache, prompt, Logits::Last)?;
		let mut next = argmax(&logits);
		let prefill = start.elapsed();
		let mut tokens = vec![next];
		let start = Instant::now();
		while tokens.len() < new {
			let logits = self.model.forward(&self.backend, &mut cache, &[next], Logits::Last)?;
			next = argmax(&logits);
			tokens.push(next);
		}
		Ok(Run { prefill, decode: start.elapsed(), steps: new - 1, tokens })
	}

	fn next_tokens(&mut self, tokens: &[u32], from: usize) -> Result<Vec<u32>> {
		let vocab = self.model.config().vocab;
		let logits =
			self.model.forward(&self.backend, &mut self.model.cache(), tokens, Logits::All)?;
		Ok(logits.chunks_exact(vocab).skip(from).map(argmax).collect())
	}
}

/// candle's `quantized_llama`.
struct Candle {
	model: ModelWeights,
	device: Device,
	what: String,
}

impl Candle {
	fn step(&mut self, tokens: &[u32], pos: usize) -> Result<u32> {
		let logits = self.model.forward(&token_tensor(tokens, &self.device)?, pos)?;
		Ok(argmax_f32(&logits_vec(&logits)?))
	}
}

impl Lm for Candle {
	fn name(&self) -> String {
		format!("candle {} quantized_llama", self.what)
	}

	fn generate(&mut self, prompt: &[u32], new: usize) -> Result<Run> {
		// Position 0 resets quantized_llama's KV cache.
		let start = Instant::now();
		let mut next = self.step(prompt, 0)?;
		let prefill = start.elapsed();
		let mut tokens = vec![next];
		let start = Instant::now();
		while tokens.len() < new {
			next = self.step(&[next], prompt.len() + tokens.len() - 1)?;
			tokens.push(next);
		}
		Ok(Run { prefill, decode: start.elapsed(), steps: new - 1, tokens })
	}

	fn next_tokens(&mut self, tokens: &[u32], from: usize) -> Result<Vec<u32>> {
		// quantized_llama returns the last position only: prefill up to
		// `from`, then one token at a time.
		let mut out = vec![self.step(&tokens[..=from], 0)?];
		for pos in from + 1..tokens.len() {
			out.push(self.step(&tokens[pos..=pos], pos)?);
		}
		Ok(out)
	}
}

/// The float model's greedy continuation (no KV cache: the whole sequence
/// again for every token; not timed).
fn float_greedy(float: &FloatLm, prompt: &[u32], new: usize) -> Result<Vec<u32>> {
	let vocab = float.config.vocab;
	let mut seq = prompt.to_vec();
	for _ in 0..new {
		let logits = float.forward(&seq, None)?;
		seq.push(argmax_f32(&logits[(seq.len() - 1) * vocab..]));
	}
	Ok(seq[prompt.len()..].to_vec())
}

fn median(mut v: Vec<f64>) -> f64 {
	v.sort_by(f64::total_cmp);
	v[v.len() / 2]
}

/// Rates of one implementation: median over rounds of (tokens / time).
struct Rates {
	name: String,
	prompt: f64,
	generated: f64,
	agree_free: (usize, usize),
	agree_forced: (usize, usize),
	first_divergence: Vec<Option<usize>>,
}

fn cpu_features() -> String {
	#[cfg(target_arch = "x86_64")]
	{
		let runtime: Vec<&str> = [
			("avx2", std::is_x86_feature_detected!("avx2")),
			("fma", std::is_x86_feature_detected!("fma")),
			("f16c", std::is_x86_feature_detected!("f16c")),
			("avx512f", std::is_x86_feature_detected!("avx512f")),
			("avx512bw", std::is_x86_feature_detected!("avx512bw")),
			("avx512vnni", std::is_x86_feature_detected!("avx512vnni")),
		]
		.into_iter()
		.filter_map(|(n, on)| on.then_some(n))
		.collect();
		let compiled: Vec<&str> = [
			("avx", cfg!(target_feature = "avx")),
			("avx2", cfg!(target_feature = "avx2")),
			("fma", cfg!(target_feature = "fma")),
			("f16c", cfg!(target_feature = "f16c")),
			("avx512f", cfg!(target_feature = "avx512f")),
		]
		.into_iter()
		.filter_map(|(n, on)| on.then_some(n))
		.collect();
		format!(
			"CPU has: {}; build enabled: {}",
			runtime.join(" "),
			if compiled.is_empty() { "baseline x86-64 only".into() } else { compiled.join(" ") }
		)
	}
	#[cfg(not(target_arch = "x86_64"))]
	{
		std::env::consts::ARCH.to_string()
	}
}

fn cpu_name() -> String {
	std::fs::read_to_string("/proc/cpuinfo")
		.ok()
		.and_then(|s| {
			s.lines()
				.find(|l| l.starts_with("model name"))
				.map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
		})
		.unwrap_or_else(|| "unknown CPU".into())
}

fn main() -> Result<()> {
	let threads = match std::env::var("LM_BENCH_THREADS") {
		Ok(_) => env_usize("LM_BENCH_THREADS", 1)?,
		Err(_) => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
	};
	// candle's float matmuls read RAYON_NUM_THREADS; its quantized matmuls
	// and Hypha's CPU backend run on rayon's global pool. Set both before
	// anything touches rayon (single-threaded here, so set_var is sound).
	std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
	rayon::ThreadPoolBuilder::new()
		.num_threads(threads)
		.build_global()
		.context("rayon's global pool")?;
	let prompts = env_usize("LM_BENCH_PROMPTS", 4)?;
	let prompt_len = env_usize("LM_BENCH_PROMPT_TOKENS", 128)?;
	let new = env_usize("LM_BENCH_NEW_TOKENS", 64)?.max(2);
	let rounds = env_usize("LM_BENCH_ROUNDS", ROUNDS)?.max(1);

	let dir = shipped_model_dir();
	let dir = dir.canonicalize().with_context(|| format!("{}", dir.display()))?;
	println!("lm-bench: {}", dir.display());
	println!("CPU: {} ({})", cpu_name(), cpu_features());
	println!(
		"threads: {threads} (rayon global pool: {}, RAYON_NUM_THREADS={threads})",
		rayon::current_num_threads()
	);

	let calibration =
		std::fs::read_to_string(dir.join("calibration.txt")).context("calibration.txt")?;
	let t = Instant::now();
	let imported = import(&dir, &calibration, Calibration::default())?;
	let c = imported.model.config().clone();
	println!(
		"hypha: imported in {:.2} s: {} layers, hidden {}, {} heads ({} kv), vocab {}, {} positions; int8 file {} bytes",
		t.elapsed().as_secs_f64(),
		c.layers,
		c.hidden,
		c.heads,
		c.kv_heads,
		c.vocab,
		c.max_positions,
		imported.bytes.len()
	);
	ensure!(
		prompt_len + new <= c.max_positions,
		"{prompt_len} + {new} tokens exceed {} positions",
		c.max_positions
	);
	let t = Instant::now();
	let gguf = gguf_from_checkpoint(&dir, GgmlDType::Q8_0, QkRows::Interleaved)?;
	let candle = Candle {
		model: candle_quantized(&gguf, &Device::Cpu)?,
		device: Device::Cpu,
		what: "q8_0".into(),
	};
	println!(
		"candle: q8_0 GGUF {} bytes, built and loaded in {:.2} s",
		gguf.len(),
		t.elapsed().as_secs_f64()
	);

	let windows = heldout_windows(&dir, prompts, prompt_len)?;
	println!("prompts: {prompts} × {prompt_len} tokens of heldout.txt, {new} generated tokens each (greedy), {rounds} rounds");

	let t = Instant::now();
	let float: Vec<Vec<u32>> =
		windows.iter().map(|w| float_greedy(&imported.float, w, new)).collect::<Result<_>>()?;
	println!("float reference (FloatLm) greedy tokens in {:.2} s", t.elapsed().as_secs_f64());

	let mut impls: Vec<Box<dyn Lm + '_>> = vec![
		Box::new(Hypha { model: &imported.model, backend: Backend::Cpu }),
		Box::new(Hypha { model: &imported.model, backend: Backend::Reference }),
		Box::new(candle),
	];
	// The wgpu path too where there is an adapter (lavapipe on a machine
	// without a GPU: for the record, not a speed path).
	match Backend::gpu(&Default::default()) {
		Ok(gpu) => impls.insert(2, Box::new(Hypha { model: &imported.model, backend: gpu })),
		Err(error) => println!("no wgpu adapter, no GPU row: {error}"),
	}
	let mut results = Vec::new();
	for lm in impls.iter_mut() {
		// Warm-up: page in the weights, start the pool's threads.
		lm.generate(&windows[0][..prompt_len.min(16)], 4)?;
		let mut prompt_rates = Vec::new();
		let mut gen_rates = Vec::new();
		let mut runs = Vec::new();
		for _ in 0..rounds {
			let (mut pre, mut dec, mut steps) = (Duration::ZERO, Duration::ZERO, 0);
			runs.clear();
			for w in &windows {
				let r = lm.generate(w, new)?;
				pre += r.prefill;
				dec += r.decode;
				steps += r.steps;
				runs.push(r.tokens);
			}
			prompt_rates.push((prompts * prompt_len) as f64 / pre.as_secs_f64());
			gen_rates.push(steps as f64 / dec.as_secs_f64());
		}
		let mut free = (0, 0);
		let mut forced = (0, 0);
		let mut first_divergence = Vec::new();
		for ((w, ours), reference) in windows.iter().zip(&runs).zip(&float) {
			free.0 += ours.iter().zip(reference).filter(|(a, b)| a == b).count();
			free.1 += reference.len();
			first_divergence.push(ours.iter().zip(reference).position(|(a, b)| a != b));
			// Teacher forcing: prompt + the float continuation (all but its
			// last token), next token after each prefix from the prompt's end.
			let seq: Vec<u32> =
				w.iter().chain(&reference[..reference.len() - 1]).copied().collect();
			let next = lm.next_tokens(&seq, w.len() - 1)?;
			forced.0 += next.iter().zip(reference).filter(|(a, b)| a == b).count();
			forced.1 += reference.len();
		}
		println!("\n{}: first {SHOWN} greedy tokens of prompt 1", lm.name());
		println!("  {:?}", &runs[0][..SHOWN.min(new)]);
		results.push(Rates {
			name: lm.name(),
			prompt: median(prompt_rates),
			generated: median(gen_rates),
			agree_free: free,
			agree_forced: forced,
			first_divergence,
		});
	}
	println!("\nfloat reference (FloatLm): first {SHOWN} greedy tokens of prompt 1");
	println!("  {:?}", &float[0][..SHOWN.min(new)]);

	let candle_rates = results.last().map(|r| (r.prompt, r.generated)).unwrap_or((1.0, 1.0));
	println!("\nagreement with the float model's greedy tokens ({} tokens):", prompts * new);
	println!(
		"{:<36} {:>14} {:>16}  first divergence per prompt",
		"implementation", "free-running", "teacher-forced"
	);
	for r in &results {
		let pct =
			|(a, n): (usize, usize)| format!("{a}/{n} ({:.0} %)", 100.0 * a as f64 / n as f64);
		let div: Vec<String> = r
			.first_divergence
			.iter()
			.map(|d| d.map_or_else(|| "none".into(), |i| i.to_string()))
			.collect();
		println!(
			"{:<36} {:>14} {:>16}  {}",
			r.name,
			pct(r.agree_free),
			pct(r.agree_forced),
			div.join(", ")
		);
	}
	println!("\nspeed (threads: {threads}, median of {rounds} rounds):");
	println!(
		"{:<36} {:>14} {:>16} {:>14} {:>16}",
		"implementation", "prompt tok/s", "generated tok/s", "prompt ×candle", "generated ×candle"
	);
	for r in &results {
		println!(
			"{:<36} {:>14.0} {:>16.0} {:>14.2} {:>16.2}",
			r.name,
			r.prompt,
			r.generated,
			r.prompt / candle_rates.0,
			r.generated / candle_rates.1
		);
	}
	Ok(())
}

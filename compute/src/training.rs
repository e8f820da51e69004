//! The training job: minibatch SGD of an MLP in fixed point.
//!
//! ## Arithmetic
//!
//! Weights, biases, activations and gradients are `i32` with
//! [`FRAC_BITS`] = 16 fractional bits (Q16). Inputs are the dataset's `u8`
//! values read as fixed point with `input_frac_bits` fractional bits (the
//! digits' pixels 0..16 with 4 bits are 0.0..1.0). Every product is exact in
//! 64 bits and summed there; each sum is shifted back to Q16 with the one
//! rounding rule (nearest, ties away from zero, [`crate::fixed`]) and
//! saturated to `i32`.
//!
//! ## One step, for a batch `X` of `B` rows
//!
//! - forward: `A₀ = X`; `Aₗ₊₁ = relu(Aₗ · Wₗᵀ + bₗ)` (no ReLU on the last layer, whose output is `Z`);
//! - loss: squared error against one-hot labels, `½ Σ (Z − Y)²`; `δ = Z − Y` (`mse_grad`);
//! - backward, last layer first: `∂Wₗ = δᵀ · Aₗ`, `∂bₗ = 1ᵀ · δ` (sums over
//!   the batch), `δ ← (δ · Wₗ) ⊙ [Aₗ > 0]` with the weights before the update;
//! - update: `Wₗ ← Wₗ − round_shift(∂Wₗ · lr.multiplier, lr.shift)`, same for `bₗ` (`sgd_update`).
//!
//! The gradients are sums, not means, over the batch: fold `1/B` into the
//! learning rate.
//!
//! ## Sample order
//!
//! SplitMix64 seeded with `seed`; each epoch shuffles the sample indices with
//! Fisher–Yates (`j = next() % (i + 1)` for `i` from `n − 1` down to 1),
//! continuing the same generator, then takes consecutive batches (the last
//! one may be short).
//!
//! ## Output
//!
//! The final weights (`layers.{i}.weight` I32 `[out, in]`, `layers.{i}.bias`
//! I32 `[out]`, Q16) and `loss` (I64 `[epochs]`): per epoch,
//! `round(Σ ½ Σ_c δ² / n)` over the epoch's samples, in Q16, with δ taken
//! before each update.

use crate::backend::Backend;
use crate::kernels::matmul_fixed::{Epilogue, MatmulFixed, MatrixView};
use crate::kernels::sgd_update::LearningRate;
use crate::network::{bias_name, weight_name, MAX_FEATURES, MAX_LAYERS};
use crate::output::{JobOutput, OutputTensor};
use crate::tensors::{write_safetensors, OwnedTensor, TensorFile};
use crate::ComputeError;

/// Fractional bits of weights, activations and gradients.
pub const FRAC_BITS: u32 = 16;
/// The fixed-point 1.0.
pub const ONE: i32 = 1 << FRAC_BITS;
/// Most samples a training set may have.
pub const MAX_SAMPLES: usize = 1 << 20;
/// Most epochs a job may ask for.
pub const MAX_EPOCHS: u32 = 10_000;
/// Largest batch.
pub const MAX_BATCH_SIZE: usize = 1 << 14;

/// An MLP in Q16 fixed point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedMlp {
	/// Layer widths, input first: `[inputs, hidden..., outputs]`.
	pub sizes: Vec<usize>,
	/// Per layer: `[out, in]`, row-major.
	pub weights: Vec<Vec<i32>>,
	/// Per layer: `[out]`.
	pub biases: Vec<Vec<i32>>,
}

/// SplitMix64: the seeded generator of initial weights and sample order.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
	/// A generator seeded with `seed`.
	pub fn new(seed: u64) -> Self {
		Self(seed)
	}
	/// The next 64 bits.
	pub fn next_u64(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
		let mut z = self.0;
		z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
		z ^ (z >> 31)
	}
}

fn check_sizes(sizes: &[usize]) -> Result<(), ComputeError> {
	if sizes.len() < 2 || sizes.len() > MAX_LAYERS + 1 {
		return Err(ComputeError::InvalidNetwork(format!(
			"{} layer sizes; give the input width and 1 to {MAX_LAYERS} layer widths",
			sizes.len()
		)));
	}
	if sizes.iter().any(|&s| s == 0 || s > MAX_FEATURES) {
		return Err(ComputeError::InvalidNetwork(format!(
			"layer widths must be 1 to {MAX_FEATURES}"
		)));
	}
	Ok(())
}

impl FixedMlp {
	/// Number of layers.
	pub fn layers(&self) -> usize {
		self.sizes.len().saturating_sub(1)
	}

	/// Checks the sizes and that every tensor matches them.
	pub fn validate(&self) -> Result<(), ComputeError> {
		check_sizes(&self.sizes)?;
		let layers = self.layers();
		if self.weights.len() != layers || self.biases.len() != layers {
			return Err(ComputeError::InvalidNetwork(
				"tensor count does not match the layer count".into(),
			));
		}
		for l in 0..layers {
			let (fan_in, fan_out) = (self.sizes[l], self.sizes[l + 1]);
			if self.weights[l].len() != fan_in * fan_out || self.biases[l].len() != fan_out {
				return Err(ComputeError::InvalidNetwork(format!(
					"layer {l}'s tensors do not match its sizes"
				)));
			}
		}
		Ok(())
	}

	/// Deterministic initial weights: uniform integers in `±⌊√(6 / fan_in)⌋`
	/// (He-uniform, computed with an integer square root in Q16) drawn from
	/// [`SplitMix64`] as `next() % (2·limit + 1) − limit`, layer by layer,
	/// row-major; biases zero.
	pub fn init(sizes: &[usize], seed: u64) -> Result<Self, ComputeError> {
		check_sizes(sizes)?;
		let mut rng = SplitMix64::new(seed);
		let mut weights = Vec::new();
		let mut biases = Vec::new();
		for l in 0..sizes.len() - 1 {
			let (fan_in, fan_out) = (sizes[l] as u64, sizes[l + 1]);
			let limit = ((6u64 << (2 * FRAC_BITS)) / fan_in).isqrt();
			let w = (0..fan_in as usize * fan_out)
				.map(|_| (rng.next_u64() % (2 * limit + 1)) as i64 - limit as i64)
				.map(|v| v as i32)
				.collect();
			weights.push(w);
			biases.push(vec![0; fan_out]);
		}
		Ok(Self { sizes: sizes.to_vec(), weights, biases })
	}

	/// Reads weights for the architecture `sizes` (exactly the tensors
	/// `layers.{i}.weight` / `layers.{i}.bias`, I32).
	pub fn from_safetensors(bytes: &[u8], sizes: &[usize]) -> Result<Self, ComputeError> {
		check_sizes(sizes)?;
		let file = TensorFile::parse("initial weights", bytes)?;
		let mut allowed = Vec::new();
		let mut weights = Vec::new();
		let mut biases = Vec::new();
		for l in 0..sizes.len() - 1 {
			weights.push(file.i32(&weight_name(l), Some(&[sizes[l + 1], sizes[l]]))?);
			biases.push(file.i32(&bias_name(l), Some(&[sizes[l + 1]]))?);
			allowed.push(weight_name(l));
			allowed.push(bias_name(l));
		}
		file.expect_only(&allowed)?;
		Ok(Self { sizes: sizes.to_vec(), weights, biases })
	}

	/// Reads a model file: initial weights (safetensors, as
	/// [`Self::from_safetensors`]) or the output of a training job (its
	/// canonical bytes, `output.bin` of `hypha job fetch`: the weights with
	/// their `loss`, which is left out). So a trained model, registered
	/// under the digest its provider committed, starts the next training
	/// job as it is.
	pub fn from_model_file(bytes: &[u8], sizes: &[usize]) -> Result<Self, ComputeError> {
		if TensorFile::parse("initial weights", bytes).is_ok() {
			return Self::from_safetensors(bytes, sizes);
		}
		let output = JobOutput::from_canonical_bytes(bytes)?;
		let trained = Self::from_output(&output)?;
		if let Some(extra) = output.tensors.keys().find(|name| {
			*name != "loss" && !trained.tensor_shapes().iter().any(|(tensor, _)| tensor == *name)
		}) {
			return Err(ComputeError::InvalidData(format!(
				"the trained model has a tensor `{extra}` that is neither a weight, a bias nor the loss"
			)));
		}
		if trained.sizes != sizes {
			return Err(ComputeError::InvalidData(format!(
				"the trained model has layers {:?}, the plan {sizes:?}",
				trained.sizes
			)));
		}
		Ok(trained)
	}

	/// Names and shapes of the weight and bias tensors (what a trained
	/// model's output holds, whatever the values).
	pub fn tensor_shapes(&self) -> Vec<(String, Vec<usize>)> {
		self.tensors().into_iter().map(|(name, shape, _)| (name, shape)).collect()
	}

	fn tensors(&self) -> Vec<(String, Vec<usize>, &[i32])> {
		let mut out = Vec::new();
		for l in 0..self.layers() {
			out.push((
				weight_name(l),
				vec![self.sizes[l + 1], self.sizes[l]],
				&self.weights[l][..],
			));
			out.push((bias_name(l), vec![self.sizes[l + 1]], &self.biases[l][..]));
		}
		out
	}

	/// Serializes the weights.
	pub fn to_safetensors(&self) -> Result<Vec<u8>, ComputeError> {
		let tensors: Vec<(String, OwnedTensor)> = self
			.tensors()
			.into_iter()
			.map(|(name, shape, v)| (name, OwnedTensor::from_i32(shape, v)))
			.collect();
		write_safetensors(&tensors, None)
	}

	/// Runs the fixed-point forward pass on `x` (`[rows, sizes[0]]`, with
	/// `input_frac_bits`); returns the input of every layer and the output
	/// of the last (`sizes.len()` matrices).
	pub fn forward(
		&self,
		backend: &Backend,
		x: Vec<i32>,
		rows: usize,
		input_frac_bits: u32,
	) -> Result<Vec<Vec<i32>>, ComputeError> {
		self.validate()?;
		let mut acts = vec![x];
		for l in 0..self.layers() {
			let spec = MatmulFixed {
				a: MatrixView::row_major(rows, self.sizes[l]),
				b: MatrixView::row_major(self.sizes[l + 1], self.sizes[l]).transposed(),
				shift: if l == 0 { input_frac_bits } else { FRAC_BITS },
			};
			let epilogue = if l + 1 < self.layers() { Epilogue::Relu } else { Epilogue::None };
			let next = backend.matmul_fixed(
				&spec,
				&acts[l],
				&self.weights[l],
				&self.biases[l],
				epilogue,
			)?;
			acts.push(next);
		}
		Ok(acts)
	}
}

/// A labelled dataset: `u8` features and `u8` class labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
	/// `[samples, features]`, row-major.
	pub images: Vec<u8>,
	/// `[samples]`.
	pub labels: Vec<u8>,
	/// Rows.
	pub samples: usize,
	/// Columns.
	pub features: usize,
}

impl Dataset {
	/// Reads tensors `images` (U8 `[n, d]`) and `labels` (U8 `[n]`) from a file.
	pub fn from_safetensors(
		bytes: &[u8],
		images: &str,
		labels: &str,
	) -> Result<Self, ComputeError> {
		let file = TensorFile::parse("dataset", bytes)?;
		let shape = file.shape(images)?;
		if shape.len() != 2 || shape[0] == 0 || shape[1] == 0 {
			return Err(ComputeError::WrongShape {
				name: images.into(),
				expected: vec![0, 0],
				actual: shape,
			});
		}
		let (samples, features) = (shape[0], shape[1]);
		if samples > MAX_SAMPLES {
			return Err(ComputeError::TooLarge {
				what: "dataset".into(),
				size: samples as u64,
				limit: MAX_SAMPLES as u64,
			});
		}
		Ok(Self {
			images: file.u8(images, Some(&[samples, features]))?,
			labels: file.u8(labels, Some(&[samples]))?,
			samples,
			features,
		})
	}

	fn batch(&self, indices: &[usize]) -> (Vec<i32>, Vec<u32>) {
		let mut x = Vec::with_capacity(indices.len() * self.features);
		let mut y = Vec::with_capacity(indices.len());
		for &i in indices {
			x.extend(
				self.images[i * self.features..(i + 1) * self.features].iter().map(|&p| p as i32),
			);
			y.push(self.labels[i] as u32);
		}
		(x, y)
	}

	/// All images as fixed-point inputs.
	pub fn all_inputs(&self) -> Vec<i32> {
		self.images.iter().map(|&p| p as i32).collect()
	}
}

/// Hyperparameters of a training job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingConfig {
	/// Passes over the dataset.
	pub epochs: u32,
	/// Samples per step.
	pub batch_size: usize,
	/// Learning rate applied to batch-summed gradients.
	pub learning_rate: LearningRate,
	/// Seed of the sample order.
	pub seed: u64,
	/// Fractional bits of the input values.
	pub input_frac_bits: u32,
}

/// A validated training job.
#[derive(Debug, Clone)]
pub struct TrainingJob {
	/// Initial weights (their `sizes` are the architecture).
	pub initial: FixedMlp,
	/// Training data.
	pub data: Dataset,
	/// Hyperparameters.
	pub config: TrainingConfig,
}

/// What a training job produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingResult {
	/// Final weights.
	pub model: FixedMlp,
	/// Loss per epoch, Q16.
	pub loss: Vec<i64>,
}

impl TrainingJob {
	/// Builds a job, checking the data against the architecture and the
	/// hyperparameters against their bounds.
	pub fn new(
		initial: FixedMlp,
		data: Dataset,
		config: TrainingConfig,
	) -> Result<Self, ComputeError> {
		initial.validate()?;
		let layers = initial.layers();
		if data.features != initial.sizes[0] {
			return Err(ComputeError::WrongShape {
				name: "images".into(),
				expected: vec![data.samples, initial.sizes[0]],
				actual: vec![data.samples, data.features],
			});
		}
		if data.images.len() != data.samples * data.features || data.labels.len() != data.samples {
			return Err(ComputeError::InvalidData(
				"image or label count does not match the sample count".into(),
			));
		}
		let classes = initial.sizes[layers];
		if let Some(bad) = data.labels.iter().find(|&&l| l as usize >= classes) {
			return Err(ComputeError::InvalidData(format!(
				"label {bad} is not below the {classes} outputs"
			)));
		}
		let c = &config;
		if c.epochs == 0 || c.epochs > MAX_EPOCHS {
			return Err(ComputeError::InvalidSpec(format!("epochs must be 1 to {MAX_EPOCHS}")));
		}
		if c.batch_size == 0 || c.batch_size > MAX_BATCH_SIZE {
			return Err(ComputeError::InvalidSpec(format!(
				"batch_size must be 1 to {MAX_BATCH_SIZE}"
			)));
		}
		if c.input_frac_bits > 30 {
			return Err(ComputeError::InvalidSpec("input_frac_bits must be at most 30".into()));
		}
		if c.learning_rate.shift > crate::fixed::MAX_SHIFT {
			return Err(ComputeError::InvalidSpec("learning-rate shift must be at most 62".into()));
		}
		Ok(Self { initial, data, config })
	}

	/// Runs the job on `backend`.
	pub fn run(&self, backend: &Backend) -> Result<TrainingResult, ComputeError> {
		self.run_with_progress(backend, |_, _, _| {})
	}

	/// Runs the job on `backend`, calling `progress(epoch, epochs, loss)`
	/// after each epoch (1-based; `loss` in Q16). The result is the same as
	/// [`Self::run`]'s: progress only observes.
	pub fn run_with_progress(
		&self,
		backend: &Backend,
		mut progress: impl FnMut(u32, u32, i64),
	) -> Result<TrainingResult, ComputeError> {
		let c = &self.config;
		let mut model = self.initial.clone();
		let layers = model.layers();
		let mut rng = SplitMix64::new(c.seed);
		let mut order: Vec<usize> = (0..self.data.samples).collect();
		let mut loss = Vec::with_capacity(c.epochs as usize);
		for _ in 0..c.epochs {
			for i in (1..order.len()).rev() {
				let j = (rng.next_u64() % (i as u64 + 1)) as usize;
				order.swap(i, j);
			}
			let mut squared_error: i128 = 0;
			for indices in order.chunks(c.batch_size) {
				let rows = indices.len();
				let (x, y) = self.data.batch(indices);
				let acts = model.forward(backend, x, rows, c.input_frac_bits)?;
				let classes = model.sizes[layers];
				let mut delta = backend.mse_grad(&acts[layers], &y, rows, classes, ONE)?;
				squared_error += delta.iter().map(|&d| d as i128 * d as i128).sum::<i128>();
				for l in (0..layers).rev() {
					let (fan_in, fan_out) = (model.sizes[l], model.sizes[l + 1]);
					let shift = if l == 0 { c.input_frac_bits } else { FRAC_BITS };
					let delta_view = MatrixView::row_major(rows, fan_out);
					let grad_w = backend.matmul_fixed(
						&MatmulFixed {
							a: delta_view.transposed(),
							b: MatrixView::row_major(rows, fan_in),
							shift,
						},
						&delta,
						&acts[l],
						&vec![0; fan_in],
						Epilogue::None,
					)?;
					let grad_b = backend.matmul_fixed(
						&MatmulFixed { a: MatrixView::row_major(1, rows), b: delta_view, shift: 0 },
						&vec![1; rows],
						&delta,
						&vec![0; fan_out],
						Epilogue::None,
					)?;
					if l > 0 {
						delta = backend.matmul_fixed(
							&MatmulFixed {
								a: delta_view,
								b: MatrixView::row_major(fan_out, fan_in),
								shift: FRAC_BITS,
							},
							&delta,
							&model.weights[l],
							&vec![0; fan_in],
							Epilogue::Mask(&acts[l]),
						)?;
					}
					model.weights[l] =
						backend.sgd_update(&model.weights[l], &grad_w, &c.learning_rate)?;
					model.biases[l] =
						backend.sgd_update(&model.biases[l], &grad_b, &c.learning_rate)?;
				}
			}
			let denominator = 2 * self.data.samples as i128 * ONE as i128;
			let epoch_loss = ((squared_error + denominator / 2) / denominator) as i64;
			loss.push(epoch_loss);
			progress(loss.len() as u32, c.epochs, epoch_loss);
		}
		Ok(TrainingResult { model, loss })
	}
}

impl FixedMlp {
	/// The trained weights in a training job's output (the tensors
	/// `layers.{i}.weight` and `layers.{i}.bias`; the layer widths follow
	/// from their shapes), validated like any other weights.
	pub fn from_output(output: &JobOutput) -> Result<Self, ComputeError> {
		let mut sizes = Vec::new();
		let mut weights = Vec::new();
		let mut biases = Vec::new();
		while output.tensors.contains_key(&weight_name(weights.len())) {
			let l = weights.len();
			if l >= MAX_LAYERS {
				return Err(ComputeError::InvalidData(format!("more than {MAX_LAYERS} layers")));
			}
			let (shape, w) = output.i32(&weight_name(l))?;
			let [outs, ins] = shape[..] else {
				return Err(ComputeError::WrongShape {
					name: weight_name(l),
					expected: vec![0, 0],
					actual: shape,
				});
			};
			if sizes.is_empty() {
				sizes.push(ins);
			}
			if sizes.last() != Some(&ins) {
				return Err(ComputeError::WrongShape {
					name: weight_name(l),
					expected: vec![outs, sizes[sizes.len() - 1]],
					actual: shape,
				});
			}
			let (bias_shape, b) = output.i32(&bias_name(l))?;
			if bias_shape != [outs] {
				return Err(ComputeError::WrongShape {
					name: bias_name(l),
					expected: vec![outs],
					actual: bias_shape,
				});
			}
			sizes.push(outs);
			weights.push(w);
			biases.push(b);
		}
		let mlp = Self { sizes, weights, biases };
		check_sizes(&mlp.sizes)?;
		mlp.validate()?;
		Ok(mlp)
	}
}

impl TrainingResult {
	/// The job output: the final weights and `loss`.
	pub fn to_output(&self) -> JobOutput {
		let mut out = JobOutput::default();
		for (name, shape, values) in self.model.tensors() {
			out.insert(name, OutputTensor::i32(shape, values));
		}
		out.insert("loss", OutputTensor::i64(vec![self.loss.len()], &self.loss));
		out
	}
}

//! The inference job: an int8 model and an input batch → i32 logits and the
//! argmax of each row.
//!
//! Each hidden layer is `gemm_i8` (accumulate + bias) then `requantize`
//! (multiplier, shift, ReLU); the last layer's accumulators are the logits.

use crate::backend::Backend;
use crate::kernels::gemm_i8::GemmShape;
use crate::network::Model;
use crate::output::{JobOutput, OutputTensor};
use crate::tensors::{write_safetensors, OwnedTensor, TensorFile};
use crate::ComputeError;

/// Name of the input tensor in an input file: I8, `[batch, inputs]`.
pub const INPUT_TENSOR: &str = "input";
/// Largest batch an inference job may carry.
pub const MAX_BATCH: usize = 1 << 16;

/// A validated inference job.
#[derive(Debug, Clone)]
pub struct InferenceJob {
	/// The model.
	pub model: Model,
	/// Input rows, `[batch, model.network.inputs]`, row-major.
	pub input: Vec<i8>,
	/// Rows in the batch.
	pub batch: usize,
}

/// What an inference job produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InferenceResult {
	/// Logits, `[batch, classes]`.
	pub logits: Vec<i32>,
	/// Index of the largest logit per row (first on ties).
	pub classes: Vec<u32>,
	/// Rows.
	pub batch: usize,
	/// Logits per row.
	pub outputs: usize,
}

impl InferenceJob {
	/// Builds and validates a job from a model and an input batch.
	pub fn new(model: Model, input: Vec<i8>, batch: usize) -> Result<Self, ComputeError> {
		model.network.validate()?;
		let layers = model.network.layers.len();
		if model.weights.len() != layers || model.biases.len() != layers {
			return Err(ComputeError::InvalidNetwork(
				"tensor count does not match the layer count".into(),
			));
		}
		if batch == 0 || batch > MAX_BATCH {
			return Err(ComputeError::TooLarge {
				what: "input batch".into(),
				size: batch as u64,
				limit: MAX_BATCH as u64,
			});
		}
		let expected = batch * model.network.inputs;
		if input.len() != expected {
			return Err(ComputeError::WrongShape {
				name: INPUT_TENSOR.into(),
				expected: vec![batch, model.network.inputs],
				actual: vec![input.len()],
			});
		}
		Ok(Self { model, input, batch })
	}

	/// Parses a model file and an input file (tensor [`INPUT_TENSOR`]).
	pub fn from_safetensors(model: &[u8], input: &[u8]) -> Result<Self, ComputeError> {
		let model = Model::from_safetensors(model)?;
		let file = TensorFile::parse("input", input)?;
		file.expect_only(&[INPUT_TENSOR.to_string()])?;
		let shape = file.shape(INPUT_TENSOR)?;
		let inputs = model.network.inputs;
		if shape.len() != 2 || shape[1] != inputs || shape[0] == 0 {
			return Err(ComputeError::WrongShape {
				name: INPUT_TENSOR.into(),
				expected: vec![0, inputs],
				actual: shape,
			});
		}
		let batch = shape[0];
		let values = file.i8(INPUT_TENSOR, Some(&[batch, inputs]))?;
		Self::new(model, values, batch)
	}

	/// Serializes an input batch as an input file.
	pub fn input_safetensors(
		input: &[i8],
		batch: usize,
		inputs: usize,
	) -> Result<Vec<u8>, ComputeError> {
		write_safetensors(
			&[(INPUT_TENSOR.to_string(), OwnedTensor::from_i8(vec![batch, inputs], input))],
			None,
		)
	}

	/// Runs the job on `backend`.
	pub fn run(&self, backend: &Backend) -> Result<InferenceResult, ComputeError> {
		let network = &self.model.network;
		let mut activations = self.input.clone();
		let mut logits = Vec::new();
		for (i, layer) in network.layers.iter().enumerate() {
			let shape = GemmShape { m: self.batch, k: network.layer_inputs(i), n: layer.outputs };
			let acc = backend.gemm_i8(
				&activations,
				&self.model.weights[i],
				&self.model.biases[i],
				shape,
			)?;
			match &layer.requantize {
				Some(q) => activations = backend.requantize(&acc, q)?,
				None => logits = acc,
			}
		}
		let outputs = network.outputs();
		let classes = backend.argmax(&logits, self.batch, outputs)?;
		Ok(InferenceResult { logits, classes, batch: self.batch, outputs })
	}
}

impl InferenceResult {
	/// The job output: `logits` (I32 `[batch, outputs]`) and `argmax` (U32 `[batch]`).
	pub fn to_output(&self) -> JobOutput {
		let mut out = JobOutput::default();
		out.insert("logits", OutputTensor::i32(vec![self.batch, self.outputs], &self.logits));
		out.insert("argmax", OutputTensor::u32(vec![self.batch], &self.classes));
		out
	}
}

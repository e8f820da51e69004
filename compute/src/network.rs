//! The declared network description of an inference model, and the model
//! itself as a safetensors file.
//!
//! A model file carries its own description as JSON in the safetensors
//! `__metadata__` entry [`NETWORK_METADATA_KEY`]; the tensors are
//! `layers.{i}.weight` (I8, `[outputs, inputs]`) and `layers.{i}.bias` (I32,
//! `[outputs]`) for each layer `i`, and nothing else. [`Model::from_safetensors`]
//! validates the description and every tensor against it before any kernel
//! runs. docs/COMPUTE.md has the format with an example.

use serde::{Deserialize, Serialize};

use crate::kernels::requantize::Requantization;
use crate::tensors::{write_safetensors, OwnedTensor, TensorFile};
use crate::ComputeError;

/// `__metadata__` key holding the JSON network description.
pub const NETWORK_METADATA_KEY: &str = "hypha.network";
/// The format string of the current description.
pub const NETWORK_FORMAT: &str = "hypha-mlp-int8/1";
/// Most layers a network may declare.
pub const MAX_LAYERS: usize = 16;
/// Most features (inputs or outputs) of one layer.
pub const MAX_FEATURES: usize = 8192;

/// A sequential network of dense int8 layers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkDescription {
	/// Must be [`NETWORK_FORMAT`].
	pub format: String,
	/// Features of the input (columns of the input batch).
	pub inputs: usize,
	/// The layers, first to last.
	pub layers: Vec<DenseLayer>,
}

/// One dense layer: `y = requantize(x · Wᵀ + b)`, or raw i32 logits for the
/// last layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DenseLayer {
	/// Output features.
	pub outputs: usize,
	/// Requantization to int8 (every layer but the last); `None` on the last
	/// layer, whose i32 accumulators are the logits.
	pub requantize: Option<Requantization>,
}

impl NetworkDescription {
	/// Checks the format, the sizes and the quantization parameters.
	pub fn validate(&self) -> Result<(), ComputeError> {
		let invalid = |m: String| Err(ComputeError::InvalidNetwork(m));
		if self.format != NETWORK_FORMAT {
			return invalid(format!("format is `{}`, expected `{NETWORK_FORMAT}`", self.format));
		}
		if self.layers.is_empty() || self.layers.len() > MAX_LAYERS {
			return invalid(format!(
				"{} layers; a network has 1 to {MAX_LAYERS}",
				self.layers.len()
			));
		}
		if self.inputs == 0 || self.inputs > MAX_FEATURES {
			return invalid(format!("{} inputs; allowed 1 to {MAX_FEATURES}", self.inputs));
		}
		let last = self.layers.len() - 1;
		for (i, layer) in self.layers.iter().enumerate() {
			if layer.outputs == 0 || layer.outputs > MAX_FEATURES {
				return invalid(format!(
					"layer {i} has {} outputs; allowed 1 to {MAX_FEATURES}",
					layer.outputs
				));
			}
			match (&layer.requantize, i == last) {
				(Some(_), true) => {
					return invalid("the last layer must not requantize (it outputs logits)".into())
				},
				(None, false) => {
					return invalid(format!("hidden layer {i} needs requantization parameters"))
				},
				(Some(q), false) => q
					.check()
					.map_err(|e| ComputeError::InvalidNetwork(format!("layer {i}: {e}")))?,
				(None, true) => {},
			}
		}
		Ok(())
	}

	/// Inputs of layer `i`.
	pub fn layer_inputs(&self, i: usize) -> usize {
		if i == 0 {
			self.inputs
		} else {
			self.layers[i - 1].outputs
		}
	}

	/// Outputs of the last layer.
	pub fn outputs(&self) -> usize {
		self.layers.last().map_or(0, |l| l.outputs)
	}
}

/// Name of layer `i`'s weight tensor.
pub fn weight_name(i: usize) -> String {
	format!("layers.{i}.weight")
}

/// Name of layer `i`'s bias tensor.
pub fn bias_name(i: usize) -> String {
	format!("layers.{i}.bias")
}

/// A validated int8 model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
	/// The description the tensors were checked against.
	pub network: NetworkDescription,
	/// Per layer: weights `[outputs, inputs]`, row-major.
	pub weights: Vec<Vec<i8>>,
	/// Per layer: biases `[outputs]`.
	pub biases: Vec<Vec<i32>>,
}

impl Model {
	/// Parses and validates a model file.
	pub fn from_safetensors(bytes: &[u8]) -> Result<Self, ComputeError> {
		let file = TensorFile::parse("model", bytes)?;
		let json = file.metadata(NETWORK_METADATA_KEY).ok_or_else(|| {
			ComputeError::InvalidNetwork(format!(
				"the model has no `{NETWORK_METADATA_KEY}` metadata entry"
			))
		})?;
		let network: NetworkDescription =
			serde_json::from_str(json).map_err(|e| ComputeError::InvalidNetwork(e.to_string()))?;
		network.validate()?;
		let mut allowed = Vec::new();
		let mut weights = Vec::new();
		let mut biases = Vec::new();
		for (i, layer) in network.layers.iter().enumerate() {
			let inputs = network.layer_inputs(i);
			weights.push(file.i8(&weight_name(i), Some(&[layer.outputs, inputs]))?);
			biases.push(file.i32(&bias_name(i), Some(&[layer.outputs]))?);
			allowed.push(weight_name(i));
			allowed.push(bias_name(i));
		}
		file.expect_only(&allowed)?;
		Ok(Self { network, weights, biases })
	}

	/// Serializes the model (description in the metadata).
	pub fn to_safetensors(&self) -> Result<Vec<u8>, ComputeError> {
		self.network.validate()?;
		let layers = self.network.layers.len();
		if self.weights.len() != layers || self.biases.len() != layers {
			return Err(ComputeError::InvalidNetwork(
				"weights or biases do not match the layer count".into(),
			));
		}
		let mut tensors = Vec::new();
		for (i, layer) in self.network.layers.iter().enumerate() {
			let inputs = self.network.layer_inputs(i);
			tensors.push((
				weight_name(i),
				OwnedTensor::from_i8(vec![layer.outputs, inputs], &self.weights[i]),
			));
			tensors
				.push((bias_name(i), OwnedTensor::from_i32(vec![layer.outputs], &self.biases[i])));
		}
		let json = serde_json::to_string(&self.network)
			.map_err(|e| ComputeError::InvalidNetwork(e.to_string()))?;
		write_safetensors(
			&tensors,
			Some([(NETWORK_METADATA_KEY.to_string(), json)].into_iter().collect()),
		)
	}
}

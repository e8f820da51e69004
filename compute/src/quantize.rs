//! From a trained Q16 [`FixedMlp`] to an int8 inference [`Model`], with
//! integer arithmetic only (so the conversion is as reproducible as the
//! jobs on either side of it).
//!
//! Scales are exact rationals ("integer units per real unit"):
//!
//! - input: `2^input_frac_bits` (inputs are used as int8 unchanged, so they
//!   must lie in `-128..=127`);
//! - weights of layer `l`, per tensor: `wₗ = round(W·127 / max|W|)`, scale
//!   `s_w = 127·2^16 / max|W|`;
//! - accumulator: `s_acc = s_in · s_w`; bias `round(b · s_acc / 2^16)`;
//! - hidden activations: calibrated on the training inputs as
//!   `s_out = 127·2^16 / max(activation)` (the largest Q16 activation that
//!   layer produced); requantization `multiplier / 2^shift ≈ s_out / s_acc`
//!   with the largest `shift ≤ 62` that keeps `multiplier < 2^31`;
//! - the last layer keeps its i32 accumulators as logits (argmax does not
//!   care about their scale).
//!
//! Every rounding is to nearest, ties away from zero.

use crate::backend::Backend;
use crate::kernels::requantize::Requantization;
use crate::network::{DenseLayer, Model, NetworkDescription, NETWORK_FORMAT};
use crate::training::{FixedMlp, FRAC_BITS};
use crate::ComputeError;

/// A positive rational `num / den`.
#[derive(Debug, Clone, Copy)]
struct Ratio {
	num: u128,
	den: u128,
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
	while b != 0 {
		(a, b) = (b, a % b);
	}
	a
}

impl Ratio {
	fn new(num: u128, den: u128) -> Result<Self, ComputeError> {
		if num == 0 || den == 0 {
			return Err(ComputeError::InvalidData("a quantization scale is zero".into()));
		}
		let g = gcd(num, den);
		Ok(Self { num: num / g, den: den / g })
	}

	fn mul(self, other: Self) -> Result<Self, ComputeError> {
		let overflow = || ComputeError::InvalidData("quantization scales overflow 128 bits".into());
		let a = gcd(self.num, other.den);
		let b = gcd(other.num, self.den);
		Self::new(
			(self.num / a).checked_mul(other.num / b).ok_or_else(overflow)?,
			(self.den / b).checked_mul(other.den / a).ok_or_else(overflow)?,
		)
	}

	fn inverse(self) -> Self {
		Self { num: self.den, den: self.num }
	}

	/// `round(value · self)`, ties away from zero.
	fn apply(self, value: i64) -> Result<i64, ComputeError> {
		let magnitude = (value.unsigned_abs() as u128)
			.checked_mul(self.num)
			.ok_or_else(|| ComputeError::InvalidData("quantized value overflows".into()))?;
		// Half up on the magnitude is half away from zero on the value (an odd
		// denominator has no exact ties).
		let rounded = magnitude
			.checked_add(self.den / 2)
			.ok_or_else(|| ComputeError::InvalidData("quantized value overflows".into()))?
			/ self.den;
		let rounded = i64::try_from(rounded)
			.map_err(|_| ComputeError::InvalidData("quantized value overflows".into()))?;
		Ok(if value < 0 { -rounded } else { rounded })
	}

	/// `(multiplier, shift)` with `multiplier / 2^shift ≈ self`, the largest
	/// shift that keeps `multiplier` below 2^31.
	fn to_multiplier(self) -> Result<(i32, u32), ComputeError> {
		for shift in (0..=crate::fixed::MAX_SHIFT).rev() {
			let Some(scaled) = self.num.checked_mul(1u128 << shift) else { continue };
			let multiplier = (scaled + self.den / 2) / self.den;
			if multiplier < (1 << 31) {
				if multiplier == 0 {
					break;
				}
				return Ok((multiplier as i32, shift));
			}
		}
		Err(ComputeError::InvalidData("requantization scale is out of range".into()))
	}
}

/// Quantizes `mlp` to an int8 model, calibrating activation ranges on
/// `calibration` (`[rows, inputs]` inputs with `input_frac_bits`) through
/// the fixed-point forward pass on `backend`.
pub fn quantize_mlp(
	mlp: &FixedMlp,
	calibration: Vec<i32>,
	rows: usize,
	input_frac_bits: u32,
	backend: &Backend,
) -> Result<Model, ComputeError> {
	if calibration.iter().any(|&x| !(-128..=127).contains(&x)) {
		return Err(ComputeError::InvalidData(
			"inputs must fit in int8 to quantize the model".into(),
		));
	}
	let acts = mlp.forward(backend, calibration, rows, input_frac_bits)?;
	let layers = mlp.layers();
	let mut scale_in = Ratio::new(1u128 << input_frac_bits, 1)?;
	let mut network = NetworkDescription {
		format: NETWORK_FORMAT.into(),
		inputs: mlp.sizes[0],
		layers: Vec::new(),
	};
	let mut weights = Vec::new();
	let mut biases = Vec::new();
	for l in 0..layers {
		let max_weight = mlp.weights[l].iter().map(|w| w.unsigned_abs()).max().unwrap_or(0).max(1);
		let scale_w = Ratio::new(127u128 << FRAC_BITS, max_weight as u128)?;
		let to_int8 = Ratio::new(127, max_weight as u128)?;
		weights.push(
			mlp.weights[l]
				.iter()
				.map(|&w| to_int8.apply(w as i64).map(|v| v.clamp(-127, 127) as i8))
				.collect::<Result<Vec<_>, _>>()?,
		);
		let scale_acc = scale_in.mul(scale_w)?;
		let bias_scale = scale_acc.mul(Ratio::new(1, 1u128 << FRAC_BITS)?)?;
		biases.push(
			mlp.biases[l]
				.iter()
				.map(|&b| {
					bias_scale.apply(b as i64).and_then(|v| {
						i32::try_from(v).map_err(|_| {
							ComputeError::InvalidData("quantized bias overflows i32".into())
						})
					})
				})
				.collect::<Result<Vec<_>, _>>()?,
		);
		let requantize = if l + 1 < layers {
			let max_activation = acts[l + 1].iter().copied().max().unwrap_or(0).max(1) as u128;
			let scale_out = Ratio::new(127u128 << FRAC_BITS, max_activation)?;
			let (multiplier, shift) = scale_out.mul(scale_acc.inverse())?.to_multiplier()?;
			scale_in = scale_out;
			Some(Requantization { multiplier, shift, relu: true })
		} else {
			None
		};
		network.layers.push(DenseLayer { outputs: mlp.sizes[l + 1], requantize });
	}
	network.validate()?;
	Ok(Model { network, weights, biases })
}

//! A job's output, its canonical encoding and its digest.
//!
//! The digest that goes on chain is blake2-256 (BLAKE2b with a 32-byte
//! output, as Substrate's `blake2_256`) of the canonical encoding:
//!
//! ```text
//! magic      "hypha-output/1\n"           15 bytes
//! count      u32 LE                        number of tensors
//! per tensor, in increasing byte order of names:
//!   name_len u32 LE, name UTF-8 bytes
//!   dtype    u8 (1 = I32, 2 = U32, 3 = I64, 4 = I8)
//!   rank     u32 LE, then each dimension as u64 LE
//!   length   u64 LE, then the elements, little-endian, row-major
//! ```
//!
//! Every field is fixed, so equal outputs give equal bytes and equal digests
//! on every machine. A safetensors copy is written for convenience; it is not
//! what is hashed.

use std::collections::BTreeMap;

use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};

use crate::tensors::{write_safetensors, OwnedTensor};
use crate::ComputeError;

/// Magic prefix of the canonical encoding.
pub const OUTPUT_MAGIC: &[u8; 15] = b"hypha-output/1\n";

/// Element type of an output tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputDtype {
	/// `i32`.
	I32 = 1,
	/// `u32`.
	U32 = 2,
	/// `i64`.
	I64 = 3,
	/// `i8`.
	I8 = 4,
}

/// One output tensor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputTensor {
	/// Element type.
	pub dtype: OutputDtype,
	/// Shape.
	pub shape: Vec<usize>,
	/// Little-endian element bytes, row-major.
	pub data: Vec<u8>,
}

impl OutputTensor {
	/// From `i32`s.
	pub fn i32(shape: Vec<usize>, values: &[i32]) -> Self {
		Self {
			dtype: OutputDtype::I32,
			shape,
			data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
		}
	}
	/// From `u32`s.
	pub fn u32(shape: Vec<usize>, values: &[u32]) -> Self {
		Self {
			dtype: OutputDtype::U32,
			shape,
			data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
		}
	}
	/// From `i64`s.
	pub fn i64(shape: Vec<usize>, values: &[i64]) -> Self {
		Self {
			dtype: OutputDtype::I64,
			shape,
			data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
		}
	}
	/// From `i8`s.
	pub fn i8(shape: Vec<usize>, values: &[i8]) -> Self {
		Self { dtype: OutputDtype::I8, shape, data: values.iter().map(|&v| v as u8).collect() }
	}
}

/// Named output tensors, kept in name order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobOutput {
	/// The tensors.
	pub tensors: BTreeMap<String, OutputTensor>,
}

impl JobOutput {
	/// Adds (or replaces) a tensor.
	pub fn insert(&mut self, name: impl Into<String>, tensor: OutputTensor) {
		self.tensors.insert(name.into(), tensor);
	}

	/// The canonical encoding (see the module docs).
	pub fn canonical_bytes(&self) -> Vec<u8> {
		let mut out = Vec::new();
		out.extend_from_slice(OUTPUT_MAGIC);
		out.extend_from_slice(&(self.tensors.len() as u32).to_le_bytes());
		for (name, t) in &self.tensors {
			out.extend_from_slice(&(name.len() as u32).to_le_bytes());
			out.extend_from_slice(name.as_bytes());
			out.push(t.dtype as u8);
			out.extend_from_slice(&(t.shape.len() as u32).to_le_bytes());
			for &d in &t.shape {
				out.extend_from_slice(&(d as u64).to_le_bytes());
			}
			out.extend_from_slice(&(t.data.len() as u64).to_le_bytes());
			out.extend_from_slice(&t.data);
		}
		out
	}

	/// blake2-256 of [`Self::canonical_bytes`].
	pub fn digest(&self) -> [u8; 32] {
		blake2_256(&self.canonical_bytes())
	}

	/// A safetensors copy of the output, for humans and tools.
	pub fn to_safetensors(&self) -> Result<Vec<u8>, ComputeError> {
		let tensors: Vec<(String, OwnedTensor)> = self
			.tensors
			.iter()
			.map(|(name, t)| {
				let dtype = match t.dtype {
					OutputDtype::I32 => safetensors::Dtype::I32,
					OutputDtype::U32 => safetensors::Dtype::U32,
					OutputDtype::I64 => safetensors::Dtype::I64,
					OutputDtype::I8 => safetensors::Dtype::I8,
				};
				(name.clone(), OwnedTensor { dtype, shape: t.shape.clone(), data: t.data.clone() })
			})
			.collect();
		write_safetensors(&tensors, None)
	}
}

/// BLAKE2b-256 of `bytes`.
pub fn blake2_256(bytes: &[u8]) -> [u8; 32] {
	let mut hasher = Blake2b::<U32>::new();
	hasher.update(bytes);
	hasher.finalize().into()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn digest_is_blake2b_256_of_the_canonical_bytes() {
		// BLAKE2b-256 of the empty string, a published test vector.
		assert_eq!(
			blake2_256(b""),
			[
				0x0e, 0x57, 0x51, 0xc0, 0x26, 0xe5, 0x43, 0xb2, 0xe8, 0xab, 0x2e, 0xb0, 0x60, 0x99,
				0xda, 0xa1, 0xd1, 0xe5, 0xdf, 0x47, 0x77, 0x8f, 0x77, 0x87, 0xfa, 0xab, 0x45, 0xcd,
				0xf1, 0x2f, 0xe3, 0xa8
			]
		);
	}

	#[test]
	fn canonical_bytes_do_not_depend_on_insertion_order() {
		let mut a = JobOutput::default();
		a.insert("x", OutputTensor::i32(vec![1], &[1]));
		a.insert("a", OutputTensor::u32(vec![2], &[2, 3]));
		let mut b = JobOutput::default();
		b.insert("a", OutputTensor::u32(vec![2], &[2, 3]));
		b.insert("x", OutputTensor::i32(vec![1], &[1]));
		assert_eq!(a.canonical_bytes(), b.canonical_bytes());
		assert_eq!(a.digest(), b.digest());
	}
}

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

impl OutputDtype {
	/// Bytes per element.
	pub const fn size(self) -> u64 {
		match self {
			OutputDtype::I32 | OutputDtype::U32 => 4,
			OutputDtype::I64 => 8,
			OutputDtype::I8 => 1,
		}
	}
}

/// The length of the canonical encoding of tensors with these names, element
/// types and shapes, without building them: what a worker compares with a
/// job's output bound before it claims the job.
pub fn canonical_len<'a>(
	tensors: impl IntoIterator<Item = (&'a str, OutputDtype, &'a [usize])>,
) -> u64 {
	let mut len = OUTPUT_MAGIC.len() as u64 + 4;
	for (name, dtype, shape) in tensors {
		let elements = shape.iter().fold(1u64, |n, &d| n.saturating_mul(d as u64));
		len = len
			.saturating_add(4 + name.len() as u64 + 1 + 4 + 8 * shape.len() as u64 + 8)
			.saturating_add(elements.saturating_mul(dtype.size()));
	}
	len
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

impl JobOutput {
	/// Decodes the canonical encoding (what a worker serves), checking every
	/// length against the bytes that are there: malformed or truncated input
	/// is an [`ComputeError::InvalidData`] error, never a panic.
	pub fn from_canonical_bytes(bytes: &[u8]) -> Result<Self, ComputeError> {
		let bad =
			|why: &str| ComputeError::InvalidData(format!("not a canonical job output: {why}"));
		let mut reader = Reader { bytes, at: 0 };
		if reader.take(OUTPUT_MAGIC.len()).map_err(|_| bad("too short"))? != OUTPUT_MAGIC {
			return Err(bad("wrong magic"));
		}
		let count = reader.u32().map_err(|_| bad("truncated count"))?;
		let mut out = JobOutput::default();
		let mut previous: Option<String> = None;
		for _ in 0..count {
			let name_len = reader.u32().map_err(|_| bad("truncated name"))? as usize;
			let name =
				core::str::from_utf8(reader.take(name_len).map_err(|_| bad("truncated name"))?)
					.map_err(|_| bad("a tensor name is not UTF-8"))?
					.to_string();
			if previous.as_ref().is_some_and(|p| *p >= name) {
				return Err(bad("tensor names are not in increasing order"));
			}
			let dtype = match reader.take(1).map_err(|_| bad("truncated dtype"))?[0] {
				1 => OutputDtype::I32,
				2 => OutputDtype::U32,
				3 => OutputDtype::I64,
				4 => OutputDtype::I8,
				other => return Err(bad(&format!("unknown dtype {other}"))),
			};
			let rank = reader.u32().map_err(|_| bad("truncated rank"))? as usize;
			if rank > 8 {
				return Err(bad("rank above 8"));
			}
			let mut shape = Vec::with_capacity(rank);
			let mut elements: u64 = 1;
			for _ in 0..rank {
				let dim = reader.u64().map_err(|_| bad("truncated shape"))?;
				elements = elements.checked_mul(dim).ok_or_else(|| bad("shape overflows"))?;
				shape.push(usize::try_from(dim).map_err(|_| bad("dimension too large"))?);
			}
			let len = reader.u64().map_err(|_| bad("truncated length"))?;
			let width = match dtype {
				OutputDtype::I8 => 1,
				OutputDtype::I32 | OutputDtype::U32 => 4,
				OutputDtype::I64 => 8,
			};
			if elements.checked_mul(width) != Some(len) {
				return Err(bad(&format!("tensor `{name}` has {len} bytes for shape {shape:?}")));
			}
			let data = reader
				.take(usize::try_from(len).map_err(|_| bad("tensor too large"))?)
				.map_err(|_| bad("truncated tensor data"))?
				.to_vec();
			previous = Some(name.clone());
			out.insert(name, OutputTensor { dtype, shape, data });
		}
		if reader.at != bytes.len() {
			return Err(bad("trailing bytes"));
		}
		Ok(out)
	}

	/// The tensor `name` as `i32`s with its shape, if it is an I32 tensor.
	pub fn i32(&self, name: &str) -> Result<(Vec<usize>, Vec<i32>), ComputeError> {
		let tensor = self.typed(name, OutputDtype::I32)?;
		let values =
			tensor.data.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]));
		Ok((tensor.shape.clone(), values.collect()))
	}

	/// The tensor `name` as `u32`s with its shape, if it is a U32 tensor.
	pub fn u32(&self, name: &str) -> Result<(Vec<usize>, Vec<u32>), ComputeError> {
		let tensor = self.typed(name, OutputDtype::U32)?;
		let values =
			tensor.data.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
		Ok((tensor.shape.clone(), values.collect()))
	}

	fn typed(&self, name: &str, dtype: OutputDtype) -> Result<&OutputTensor, ComputeError> {
		let tensor = self.tensors.get(name).ok_or_else(|| ComputeError::MissingTensor {
			name: name.into(),
			what: "job output".into(),
		})?;
		if tensor.dtype != dtype {
			return Err(ComputeError::WrongDtype {
				name: name.into(),
				expected: format!("{dtype:?}"),
				actual: format!("{:?}", tensor.dtype),
			});
		}
		Ok(tensor)
	}
}

/// Reads the canonical encoding front to back.
struct Reader<'a> {
	bytes: &'a [u8],
	at: usize,
}

impl<'a> Reader<'a> {
	fn take(&mut self, len: usize) -> Result<&'a [u8], ()> {
		let end = self.at.checked_add(len).ok_or(())?;
		let slice = self.bytes.get(self.at..end).ok_or(())?;
		self.at = end;
		Ok(slice)
	}

	fn u32(&mut self) -> Result<u32, ()> {
		let b = self.take(4)?;
		Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
	}

	fn u64(&mut self) -> Result<u64, ()> {
		let b = self.take(8)?;
		let mut word = [0u8; 8];
		word.copy_from_slice(b);
		Ok(u64::from_le_bytes(word))
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
		// BLAKE2b-256 of "abc", a published test vector.
		assert_eq!(
			hex(&blake2_256(b"abc")),
			"bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"
		);
		let mut out = JobOutput::default();
		out.insert("logits", OutputTensor::i32(vec![2, 3], &[1, -2, 3, i32::MIN, 0, i32::MAX]));
		assert_eq!(out.digest(), blake2_256(&out.canonical_bytes()));
		// The same output encoded by an independent implementation of the
		// module docs' format (Python's struct and hashlib.blake2b): a change
		// to the encoding or to the hash breaks every committed digest.
		assert_eq!(
			hex(&out.digest()),
			"23e155a716a47c43ecefe60e9b0257101962eaa1100a768a7c4f2e71bfe76698"
		);
		let mut changed = out.clone();
		changed.insert("logits", OutputTensor::i32(vec![2, 3], &[1, -2, 3, i32::MIN, 0, 0]));
		assert_ne!(changed.digest(), out.digest());
	}

	fn hex(bytes: &[u8]) -> String {
		bytes.iter().map(|b| format!("{b:02x}")).collect()
	}

	#[test]
	fn canonical_bytes_decode_to_the_same_output() {
		let mut out = JobOutput::default();
		out.insert("logits", OutputTensor::i32(vec![2, 3], &[1, -2, 3, i32::MIN, 0, i32::MAX]));
		out.insert("argmax", OutputTensor::u32(vec![2], &[2, 1]));
		out.insert("loss", OutputTensor::i64(vec![1], &[-7]));
		out.insert("q", OutputTensor::i8(vec![1, 1], &[-128]));
		let bytes = out.canonical_bytes();
		let decoded = JobOutput::from_canonical_bytes(&bytes).unwrap();
		assert_eq!(decoded, out);
		assert_eq!(decoded.u32("argmax").unwrap(), (vec![2], vec![2, 1]));
		assert_eq!(decoded.i32("logits").unwrap().1[3], i32::MIN);
		assert!(matches!(decoded.i32("argmax"), Err(ComputeError::WrongDtype { .. })));
		assert!(matches!(decoded.i32("nothing"), Err(ComputeError::MissingTensor { .. })));
	}

	#[test]
	fn malformed_canonical_bytes_are_refused_without_panicking() {
		let mut out = JobOutput::default();
		out.insert("argmax", OutputTensor::u32(vec![3], &[1, 2, 3]));
		let bytes = out.canonical_bytes();
		// Every truncation, a wrong magic and trailing bytes are errors.
		for len in 0..bytes.len() {
			assert!(
				JobOutput::from_canonical_bytes(&bytes[..len]).is_err(),
				"prefix of {len} bytes"
			);
		}
		let mut wrong_magic = bytes.clone();
		wrong_magic[0] ^= 1;
		assert!(JobOutput::from_canonical_bytes(&wrong_magic).is_err());
		let mut trailing = bytes.clone();
		trailing.push(0);
		assert!(JobOutput::from_canonical_bytes(&trailing).is_err());
		// A huge declared shape does not allocate or overflow.
		let mut huge = OUTPUT_MAGIC.to_vec();
		huge.extend_from_slice(&1u32.to_le_bytes());
		huge.extend_from_slice(&1u32.to_le_bytes());
		huge.push(b'x');
		huge.push(1);
		huge.extend_from_slice(&2u32.to_le_bytes());
		huge.extend_from_slice(&u64::MAX.to_le_bytes());
		huge.extend_from_slice(&u64::MAX.to_le_bytes());
		huge.extend_from_slice(&0u64.to_le_bytes());
		assert!(JobOutput::from_canonical_bytes(&huge).is_err());
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

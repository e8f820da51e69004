//! Reading and writing safetensors with every check a job needs: a size
//! bound before parsing, exact dtype and shape per tensor, and no panics on
//! malformed files.

use std::collections::HashMap;
use std::path::Path;

use safetensors::{Dtype, SafeTensors};

use crate::ComputeError;

/// Largest safetensors file a job may read (256 MiB).
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// Reads a file, refusing it before reading if it exceeds `limit` bytes.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, ComputeError> {
	let io = |source| ComputeError::Io { path: path.to_owned(), source };
	let size = std::fs::metadata(path).map_err(io)?.len();
	if size > limit {
		return Err(ComputeError::TooLarge { what: path.display().to_string(), size, limit });
	}
	std::fs::read(path).map_err(io)
}

/// A parsed safetensors buffer plus a name for error messages.
pub struct TensorFile<'data> {
	what: String,
	inner: SafeTensors<'data>,
	metadata: HashMap<String, String>,
}

impl<'data> TensorFile<'data> {
	/// Parses `bytes` (at most [`MAX_FILE_BYTES`]); `what` names the file in errors.
	pub fn parse(what: &str, bytes: &'data [u8]) -> Result<Self, ComputeError> {
		if bytes.len() as u64 > MAX_FILE_BYTES {
			return Err(ComputeError::TooLarge {
				what: what.into(),
				size: bytes.len() as u64,
				limit: MAX_FILE_BYTES,
			});
		}
		let malformed = |e: safetensors::SafeTensorError| ComputeError::MalformedSafetensors {
			what: what.into(),
			reason: e.to_string(),
		};
		let (_, metadata) = SafeTensors::read_metadata(bytes).map_err(malformed)?;
		let inner = SafeTensors::deserialize(bytes).map_err(malformed)?;
		Ok(Self {
			what: what.into(),
			inner,
			metadata: metadata.metadata().clone().unwrap_or_default(),
		})
	}

	/// The `__metadata__` entry `key`, if any.
	pub fn metadata(&self, key: &str) -> Option<&str> {
		self.metadata.get(key).map(String::as_str)
	}

	/// Tensor names, sorted.
	pub fn names(&self) -> Vec<String> {
		let mut names: Vec<String> = self.inner.names().into_iter().map(String::from).collect();
		names.sort();
		names
	}

	/// Fails if the file holds any tensor not in `allowed`.
	pub fn expect_only(&self, allowed: &[String]) -> Result<(), ComputeError> {
		for name in self.names() {
			if !allowed.contains(&name) {
				return Err(ComputeError::UnexpectedTensor { name, what: self.what.clone() });
			}
		}
		Ok(())
	}

	/// The shape of tensor `name`.
	pub fn shape(&self, name: &str) -> Result<Vec<usize>, ComputeError> {
		Ok(self.view(name)?.shape().to_vec())
	}

	fn view(&self, name: &str) -> Result<safetensors::tensor::TensorView<'data>, ComputeError> {
		self.inner
			.tensor(name)
			.map_err(|_| ComputeError::MissingTensor { name: name.into(), what: self.what.clone() })
	}

	fn bytes(
		&self,
		name: &str,
		dtype: Dtype,
		shape: Option<&[usize]>,
	) -> Result<&'data [u8], ComputeError> {
		let view = self.view(name)?;
		if view.dtype() != dtype {
			return Err(ComputeError::WrongDtype {
				name: name.into(),
				expected: format!("{dtype:?}"),
				actual: format!("{:?}", view.dtype()),
			});
		}
		if let Some(shape) = shape {
			if view.shape() != shape {
				return Err(ComputeError::WrongShape {
					name: name.into(),
					expected: shape.to_vec(),
					actual: view.shape().to_vec(),
				});
			}
		}
		Ok(view.data())
	}

	/// Tensor `name` as `u8`, checked against `shape` (if given).
	pub fn u8(&self, name: &str, shape: Option<&[usize]>) -> Result<Vec<u8>, ComputeError> {
		Ok(self.bytes(name, Dtype::U8, shape)?.to_vec())
	}

	/// Tensor `name` as `i8`, checked against `shape` (if given).
	pub fn i8(&self, name: &str, shape: Option<&[usize]>) -> Result<Vec<i8>, ComputeError> {
		Ok(self.bytes(name, Dtype::I8, shape)?.iter().map(|&b| b as i8).collect())
	}

	/// Tensor `name` as `i16`, checked against `shape` (if given).
	pub fn i16(&self, name: &str, shape: Option<&[usize]>) -> Result<Vec<i16>, ComputeError> {
		Ok(self
			.bytes(name, Dtype::I16, shape)?
			.chunks_exact(2)
			.map(|c| i16::from_le_bytes([c[0], c[1]]))
			.collect())
	}

	/// Tensor `name` as `i32`, checked against `shape` (if given).
	pub fn i32(&self, name: &str, shape: Option<&[usize]>) -> Result<Vec<i32>, ComputeError> {
		Ok(self
			.bytes(name, Dtype::I32, shape)?
			.chunks_exact(4)
			.map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
			.collect())
	}
}

/// A tensor to write: dtype, shape and little-endian bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedTensor {
	/// Element type.
	pub dtype: Dtype,
	/// Shape.
	pub shape: Vec<usize>,
	/// Little-endian element bytes.
	pub data: Vec<u8>,
}

impl OwnedTensor {
	/// An `i8` tensor.
	pub fn from_i8(shape: Vec<usize>, values: &[i8]) -> Self {
		Self { dtype: Dtype::I8, shape, data: values.iter().map(|&v| v as u8).collect() }
	}
	/// A `u8` tensor.
	pub fn from_u8(shape: Vec<usize>, values: &[u8]) -> Self {
		Self { dtype: Dtype::U8, shape, data: values.to_vec() }
	}
	/// An `i16` tensor.
	pub fn from_i16(shape: Vec<usize>, values: &[i16]) -> Self {
		Self {
			dtype: Dtype::I16,
			shape,
			data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
		}
	}
	/// An `i32` tensor.
	pub fn from_i32(shape: Vec<usize>, values: &[i32]) -> Self {
		Self {
			dtype: Dtype::I32,
			shape,
			data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
		}
	}
}

/// Serializes tensors (and optional `__metadata__`) to safetensors bytes.
pub fn write_safetensors(
	tensors: &[(String, OwnedTensor)],
	metadata: Option<HashMap<String, String>>,
) -> Result<Vec<u8>, ComputeError> {
	let malformed = |e: safetensors::SafeTensorError| ComputeError::MalformedSafetensors {
		what: "output".into(),
		reason: e.to_string(),
	};
	let mut views = Vec::with_capacity(tensors.len());
	for (name, t) in tensors {
		views.push((
			name.clone(),
			safetensors::tensor::TensorView::new(t.dtype, t.shape.clone(), &t.data)
				.map_err(malformed)?,
		));
	}
	let bytes = safetensors::serialize(views, metadata).map_err(malformed)?;
	canonical_header(bytes)
		.map_err(|reason| ComputeError::MalformedSafetensors { what: "output".into(), reason })
}

/// `bytes` (a safetensors file) with its JSON header written in one order:
/// keys sorted, `__metadata__`'s too. The safetensors crate serializes the
/// header from hash maps, whose order changes from one process to the next,
/// so the same tensors and metadata would give different bytes, and a file
/// that others rebuild to check its digest (a training program, from a
/// model and a plan) would not rebuild to the same digest.
fn canonical_header(bytes: Vec<u8>) -> Result<Vec<u8>, String> {
	fn sorted(
		map: &serde_json::Map<String, serde_json::Value>,
	) -> Vec<(&String, &serde_json::Value)> {
		let mut entries: Vec<_> = map.iter().collect();
		entries.sort_by(|a, b| a.0.cmp(b.0));
		entries
	}
	fn write(value: &serde_json::Value, out: &mut String) -> Result<(), String> {
		match value {
			serde_json::Value::Object(map) => {
				out.push('{');
				for (i, (key, value)) in sorted(map).into_iter().enumerate() {
					if i > 0 {
						out.push(',');
					}
					out.push_str(&serde_json::to_string(key).map_err(|e| e.to_string())?);
					out.push(':');
					write(value, out)?;
				}
				out.push('}');
			},
			other => out.push_str(&serde_json::to_string(other).map_err(|e| e.to_string())?),
		}
		Ok(())
	}
	let length = bytes.get(..8).ok_or("no header length")?;
	let length = u64::from_le_bytes(length.try_into().map_err(|_| "no header length")?) as usize;
	let end =
		8usize.checked_add(length).filter(|end| *end <= bytes.len()).ok_or("header too long")?;
	let header: serde_json::Value =
		serde_json::from_slice(&bytes[8..end]).map_err(|e| format!("header: {e}"))?;
	let mut text = String::with_capacity(length);
	write(&header, &mut text)?;
	// Padded with spaces to the alignment the crate keeps (8 bytes).
	while !text.len().is_multiple_of(8) {
		text.push(' ');
	}
	let mut out = Vec::with_capacity(8 + text.len() + bytes.len() - end);
	out.extend_from_slice(&(text.len() as u64).to_le_bytes());
	out.extend_from_slice(text.as_bytes());
	out.extend_from_slice(&bytes[end..]);
	Ok(out)
}

//! CPU implementations of `matmul_fixed`.

use super::{Epilogue, MatmulFixed};
use crate::error::KernelError;
use crate::fixed::{round_shift_i64, saturate};
use alloc::vec::Vec;

#[inline]
fn element(
	spec: &MatmulFixed,
	a: &[i32],
	b: &[i32],
	bias: &[i32],
	epilogue: &Epilogue<'_>,
	i: usize,
	j: usize,
) -> i32 {
	let (_, k, n) = spec.dims();
	let mut acc = 0i64;
	for l in 0..k {
		acc = acc.wrapping_add(a[spec.a.at(i, l)] as i64 * b[spec.b.at(l, j)] as i64);
	}
	let value = round_shift_i64(acc, spec.shift).wrapping_add(bias[j] as i64);
	match epilogue {
		Epilogue::None => saturate(value, i32::MIN, i32::MAX),
		Epilogue::Relu => saturate(value, 0, i32::MAX),
		Epilogue::Mask(mask) => {
			if mask[i * n + j] > 0 {
				saturate(value, i32::MIN, i32::MAX)
			} else {
				0
			}
		},
	}
}

/// The reference.
pub fn reference(
	spec: &MatmulFixed,
	a: &[i32],
	b: &[i32],
	bias: &[i32],
	epilogue: Epilogue<'_>,
) -> Result<Vec<i32>, KernelError> {
	spec.check(a, b, bias, &epilogue)?;
	let (m, _, n) = spec.dims();
	let mut out = Vec::with_capacity(m * n);
	for i in 0..m {
		for j in 0..n {
			out.push(element(spec, a, b, bias, &epilogue, i, j));
		}
	}
	Ok(out)
}

/// The fast path: the same per-element arithmetic, rows split over threads.
#[cfg(feature = "std")]
pub fn fast(
	spec: &MatmulFixed,
	a: &[i32],
	b: &[i32],
	bias: &[i32],
	epilogue: Epilogue<'_>,
) -> Result<Vec<i32>, KernelError> {
	use rayon::prelude::*;
	spec.check(a, b, bias, &epilogue)?;
	let (m, k, n) = spec.dims();
	let mut out = alloc::vec![0i32; m * n];
	let fill_row = |(i, row): (usize, &mut [i32])| {
		for (j, slot) in row.iter_mut().enumerate() {
			*slot = element(spec, a, b, bias, &epilogue, i, j);
		}
	};
	// Below about a million multiply-adds, handing rows to other threads
	// costs more than it saves (the digits training steps are ~65k each).
	if m * k * n < 1 << 20 {
		out.chunks_mut(n).enumerate().for_each(fill_row);
		return Ok(out);
	}
	let min_rows = ((1 << 16) / (k * n).max(1)).max(1);
	out.par_chunks_mut(n).with_min_len(min_rows).enumerate().for_each(|(i, row)| {
		for (j, slot) in row.iter_mut().enumerate() {
			*slot = element(spec, a, b, bias, &epilogue, i, j);
		}
	});
	Ok(out)
}

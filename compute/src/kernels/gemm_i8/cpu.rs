//! CPU implementations of `gemm_i8`: the plain reference (`no_std`) and the
//! fast path (multi-threaded, AVX2 where the CPU has it). Both give the same
//! bits because the accumulator wraps and wrapping addition does not care
//! about order.

use super::GemmShape;
use crate::error::KernelError;
use alloc::vec::Vec;

/// The reference: three nested loops, nothing clever.
pub fn reference(
	a: &[i8],
	w: &[i8],
	bias: &[i32],
	shape: GemmShape,
) -> Result<Vec<i32>, KernelError> {
	shape.check(a, w, bias)?;
	let GemmShape { m, k, n } = shape;
	let mut out = alloc::vec![0i32; m * n];
	for row in 0..m {
		for col in 0..n {
			let mut acc = bias[col];
			for i in 0..k {
				acc = acc.wrapping_add(a[row * k + i] as i32 * w[col * k + i] as i32);
			}
			out[row * n + col] = acc;
		}
	}
	Ok(out)
}

#[cfg(feature = "std")]
pub use fast::fast;

#[cfg(feature = "std")]
mod fast {
	use super::*;
	use rayon::prelude::*;

	/// Rows of `a` handled by one parallel task.
	const ROWS_PER_TASK: usize = 32;
	/// Rows of `w` kept hot in cache while a task sweeps its rows of `a`.
	const COLS_PER_BLOCK: usize = 64;

	/// The fast path: operands widened to `i16` and padded along `K` to a
	/// multiple of 16, a register-blocked micro-kernel (4 rows × 2 columns)
	/// using AVX2 `vpmaddwd` when available, rayon over blocks of rows.
	pub fn fast(
		a: &[i8],
		w: &[i8],
		bias: &[i32],
		shape: GemmShape,
	) -> Result<Vec<i32>, KernelError> {
		shape.check(a, w, bias)?;
		let GemmShape { m, k, n } = shape;
		let padded_k = k.div_ceil(16) * 16;
		let a16 = widen_padded(a, m, k, padded_k);
		let w16 = widen_padded(w, n, k, padded_k);
		let dot = micro::select();
		let mut out = alloc::vec![0i32; m * n];
		out.par_chunks_mut(ROWS_PER_TASK * n).enumerate().for_each(|(task, out_rows)| {
			let row0 = task * ROWS_PER_TASK;
			let rows = out_rows.len() / n;
			for col0 in (0..n).step_by(COLS_PER_BLOCK) {
				let cols = COLS_PER_BLOCK.min(n - col0);
				let mut r = 0;
				while r < rows {
					let tile_rows = if r + 4 <= rows { 4 } else { 1 };
					let mut c = 0;
					while c < cols {
						let tile_cols = if tile_rows == 4 && c + 2 <= cols { 2 } else { 1 };
						if tile_rows == 4 && tile_cols == 2 {
							let a_rows: [&[i16]; 4] = core::array::from_fn(|i| {
								&a16[(row0 + r + i) * padded_k..(row0 + r + i + 1) * padded_k]
							});
							let w_rows: [&[i16]; 2] = core::array::from_fn(|j| {
								&w16[(col0 + c + j) * padded_k..(col0 + c + j + 1) * padded_k]
							});
							let sums = (dot.tile_4x2)(a_rows, w_rows);
							for i in 0..4 {
								for j in 0..2 {
									let col = col0 + c + j;
									out_rows[(r + i) * n + col] =
										sums[i][j].wrapping_add(bias[col]);
								}
							}
						} else {
							for i in 0..tile_rows {
								for j in 0..tile_cols {
									let row = row0 + r + i;
									let col = col0 + c + j;
									let sum = (dot.single)(
										&a16[row * padded_k..(row + 1) * padded_k],
										&w16[col * padded_k..(col + 1) * padded_k],
									);
									out_rows[(r + i) * n + col] = sum.wrapping_add(bias[col]);
								}
							}
						}
						c += tile_cols;
					}
					r += tile_rows;
				}
			}
		});
		Ok(out)
	}

	fn widen_padded(x: &[i8], rows: usize, k: usize, padded_k: usize) -> Vec<i16> {
		let mut out = alloc::vec![0i16; rows * padded_k];
		out.par_chunks_mut(padded_k).zip(x.par_chunks(k)).for_each(|(dst, src)| {
			for (d, s) in dst.iter_mut().zip(src) {
				*d = *s as i16;
			}
		});
		out
	}

	/// Function pointers to the best micro-kernel this CPU runs. Slices are
	/// padded to a multiple of 16 elements and all have the same length.
	pub(super) struct Micro {
		pub tile_4x2: fn([&[i16]; 4], [&[i16]; 2]) -> [[i32; 2]; 4],
		pub single: fn(&[i16], &[i16]) -> i32,
	}

	mod micro {
		use super::Micro;

		pub fn select() -> Micro {
			#[cfg(target_arch = "x86_64")]
			{
				if std::is_x86_feature_detected!("avx2") {
					return Micro { tile_4x2: avx2::tile_4x2, single: avx2::single };
				}
			}
			Micro { tile_4x2: portable::tile_4x2, single: portable::single }
		}

		pub mod portable {
			pub fn single(a: &[i16], w: &[i16]) -> i32 {
				a.iter().zip(w).fold(0i32, |acc, (&x, &y)| acc.wrapping_add(x as i32 * y as i32))
			}

			pub fn tile_4x2(a: [&[i16]; 4], w: [&[i16]; 2]) -> [[i32; 2]; 4] {
				core::array::from_fn(|i| core::array::from_fn(|j| single(a[i], w[j])))
			}
		}

		#[cfg(target_arch = "x86_64")]
		#[allow(unsafe_code)]
		pub mod avx2 {
			use core::arch::x86_64::*;

			pub fn single(a: &[i16], w: &[i16]) -> i32 {
				// SAFETY: `select` hands out this function only after
				// `is_x86_feature_detected!("avx2")` returned true.
				unsafe { single_avx2(a, w) }
			}

			pub fn tile_4x2(a: [&[i16]; 4], w: [&[i16]; 2]) -> [[i32; 2]; 4] {
				// SAFETY: as in `single`.
				unsafe { tile_4x2_avx2(a, w) }
			}

			#[target_feature(enable = "avx2")]
			fn hsum(v: __m256i) -> i32 {
				let lo = _mm256_castsi256_si128(v);
				let hi = _mm256_extracti128_si256::<1>(v);
				let s = _mm_add_epi32(lo, hi);
				let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b01_00_11_10>(s));
				let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b10_11_00_01>(s));
				_mm_cvtsi128_si32(s)
			}

			#[target_feature(enable = "avx2")]
			unsafe fn load(x: &[i16], at: usize) -> __m256i {
				debug_assert!(at + 16 <= x.len());
				// SAFETY: callers step `at` by 16 below `len`, which is a
				// multiple of 16, so the 32 bytes read are inside `x`.
				unsafe { _mm256_loadu_si256(x.as_ptr().add(at) as *const __m256i) }
			}

			#[target_feature(enable = "avx2")]
			unsafe fn single_avx2(a: &[i16], w: &[i16]) -> i32 {
				let len = a.len().min(w.len()) / 16 * 16;
				let mut acc = _mm256_setzero_si256();
				let mut at = 0;
				while at < len {
					// SAFETY: at + 16 <= len <= both lengths.
					let (x, y) = unsafe { (load(a, at), load(w, at)) };
					acc = _mm256_add_epi32(acc, _mm256_madd_epi16(x, y));
					at += 16;
				}
				hsum(acc)
			}

			#[target_feature(enable = "avx2")]
			unsafe fn tile_4x2_avx2(a: [&[i16]; 4], w: [&[i16]; 2]) -> [[i32; 2]; 4] {
				let len = a.iter().chain(w.iter()).map(|s| s.len()).min().unwrap_or(0) / 16 * 16;
				let mut acc = [[_mm256_setzero_si256(); 2]; 4];
				let mut at = 0;
				while at < len {
					// SAFETY: at + 16 <= len <= every slice's length.
					let w0 = unsafe { load(w[0], at) };
					let w1 = unsafe { load(w[1], at) };
					for i in 0..4 {
						let x = unsafe { load(a[i], at) };
						acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(x, w0));
						acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_madd_epi16(x, w1));
					}
					at += 16;
				}
				let mut out = [[0i32; 2]; 4];
				for i in 0..4 {
					for j in 0..2 {
						out[i][j] = hsum(acc[i][j]);
					}
				}
				out
			}
		}
	}
}

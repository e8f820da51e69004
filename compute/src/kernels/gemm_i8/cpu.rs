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
pub use fast::{fast, fast_with, Simd};

#[cfg(feature = "std")]
mod fast {
	use super::*;
	use rayon::prelude::*;

	/// Rows of `a` handled by one parallel task.
	const ROWS_PER_TASK: usize = 32;
	/// Rows of `w` kept hot in cache while a task sweeps its rows of `a`.
	const COLS_PER_BLOCK: usize = 64;

	/// Which SIMD micro-kernel the fast path uses.
	#[derive(Debug, Clone, Copy, PartialEq, Eq)]
	pub enum Simd {
		/// Plain Rust loops (whatever the compiler vectorizes).
		Portable,
		/// AVX2 `vpmaddwd` on operands widened to `i16`.
		Avx2,
		/// AVX-512 VNNI `vpdpbusd` on bytes (one operand offset to unsigned).
		Avx512Vnni,
	}

	impl Simd {
		/// Every level this CPU can run, best last.
		pub fn available() -> Vec<Simd> {
			#[allow(unused_mut)]
			let mut levels = vec![Simd::Portable];
			#[cfg(target_arch = "x86_64")]
			{
				if std::is_x86_feature_detected!("avx2") {
					levels.push(Simd::Avx2);
				}
				if vnni::available() {
					levels.push(Simd::Avx512Vnni);
				}
			}
			levels
		}

		/// The best level this CPU can run.
		pub fn best() -> Simd {
			Self::available().pop().unwrap_or(Simd::Portable)
		}
	}

	/// The fast path on the best SIMD level of this CPU, rayon over blocks
	/// of rows. Every level gives the reference's bits.
	pub fn fast(
		a: &[i8],
		w: &[i8],
		bias: &[i32],
		shape: GemmShape,
	) -> Result<Vec<i32>, KernelError> {
		fast_with(Simd::best(), a, w, bias, shape)
	}

	/// The fast path on a given SIMD level (falling back to a lower level if
	/// this CPU lacks it). Public so tests can check every level.
	pub fn fast_with(
		simd: Simd,
		a: &[i8],
		w: &[i8],
		bias: &[i32],
		shape: GemmShape,
	) -> Result<Vec<i32>, KernelError> {
		shape.check(a, w, bias)?;
		#[cfg(target_arch = "x86_64")]
		if simd == Simd::Avx512Vnni {
			if let Some(out) = vnni::gemm(a, w, bias, shape) {
				return Ok(out);
			}
		}
		let dot = if simd == Simd::Portable { micro::portable() } else { micro::select() };
		Ok(widened(dot, a, w, bias, shape))
	}

	/// Operands widened to `i16` and padded along `K` to a multiple of 16, a
	/// register-blocked micro-kernel of 4 rows × 2 columns.
	fn widened(dot: Micro, a: &[i8], w: &[i8], bias: &[i32], shape: GemmShape) -> Vec<i32> {
		let GemmShape { m, k, n } = shape;
		let padded_k = k.div_ceil(16) * 16;
		let a16 = widen_padded(a, m, k, padded_k);
		let w16 = widen_padded(w, n, k, padded_k);
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
							for (i, row_sums) in sums.iter().enumerate() {
								for (j, &sum) in row_sums.iter().enumerate() {
									let col = col0 + c + j;
									out_rows[(r + i) * n + col] = sum.wrapping_add(bias[col]);
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
		out
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
			portable()
		}

		pub fn portable() -> Micro {
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

	/// AVX-512 VNNI: `vpdpbusd` multiplies unsigned bytes by signed bytes,
	/// four pairs per 32-bit lane. `a` is offset to unsigned (`a + 128`, a
	/// flip of the sign bit) and the offset is taken back exactly:
	/// `Σ a·w = Σ (a+128)·w − 128·Σ w` (mod 2^32, like every sum here).
	/// Each lane's four products sum to at most 4·255·128, so `vpdpbusd`
	/// (the wrapping form, not `vpdpbusds`) is exact before it accumulates.
	#[cfg(target_arch = "x86_64")]
	#[allow(unsafe_code)]
	mod vnni {
		use super::{GemmShape, COLS_PER_BLOCK, ROWS_PER_TASK};
		use core::arch::x86_64::*;
		use rayon::prelude::*;

		pub fn available() -> bool {
			std::is_x86_feature_detected!("avx512f")
				&& std::is_x86_feature_detected!("avx512bw")
				&& std::is_x86_feature_detected!("avx512vnni")
		}

		/// `None` if this CPU lacks AVX-512 VNNI. Shapes are checked by the caller.
		pub fn gemm(a: &[i8], w: &[i8], bias: &[i32], shape: GemmShape) -> Option<Vec<i32>> {
			if !available() {
				return None;
			}
			let GemmShape { m, k, n } = shape;
			let padded_k = k.div_ceil(64) * 64;
			// Padding: a = 0x80 (that is, 0 after the offset), w = 0.
			let mut a_offset = vec![0x80u8; m * padded_k];
			a_offset.par_chunks_mut(padded_k).zip(a.par_chunks(k)).for_each(|(dst, src)| {
				for (d, s) in dst.iter_mut().zip(src) {
					*d = (*s as u8) ^ 0x80;
				}
			});
			let mut w_padded = vec![0i8; n * padded_k];
			w_padded.par_chunks_mut(padded_k).zip(w.par_chunks(k)).for_each(|(dst, src)| {
				dst[..k].copy_from_slice(src);
			});
			// bias − 128·Σw per column, wrapping.
			let offset_bias: Vec<i32> = w
				.chunks(k)
				.zip(bias)
				.map(|(row, &b)| {
					let sum: i32 = row.iter().map(|&x| x as i32).sum();
					b.wrapping_sub(sum.wrapping_mul(128))
				})
				.collect();
			let mut out = vec![0i32; m * n];
			out.par_chunks_mut(ROWS_PER_TASK * n).enumerate().for_each(|(task, out_rows)| {
				let row0 = task * ROWS_PER_TASK;
				let rows = out_rows.len() / n;
				let a_row = |r: usize| &a_offset[(row0 + r) * padded_k..(row0 + r + 1) * padded_k];
				let w_row = |c: usize| &w_padded[c * padded_k..(c + 1) * padded_k];
				for col0 in (0..n).step_by(COLS_PER_BLOCK) {
					let cols = COLS_PER_BLOCK.min(n - col0);
					let mut r = 0;
					while r < rows {
						let full_rows = r + 4 <= rows;
						let mut c = 0;
						while c < cols {
							let col = col0 + c;
							if full_rows && c + 4 <= cols {
								let a4 = [a_row(r), a_row(r + 1), a_row(r + 2), a_row(r + 3)];
								let w4 =
									[w_row(col), w_row(col + 1), w_row(col + 2), w_row(col + 3)];
								// SAFETY: `available()` checked the CPU features above.
								let sums = unsafe { tile_4x4(a4, w4) };
								for (i, row_sums) in sums.iter().enumerate() {
									for (j, &sum) in row_sums.iter().enumerate() {
										out_rows[(r + i) * n + col + j] =
											sum.wrapping_add(offset_bias[col + j]);
									}
								}
								c += 4;
							} else {
								let rows_here = if full_rows { 4 } else { 1 };
								for i in 0..rows_here {
									// SAFETY: as above.
									let sum = unsafe { single(a_row(r + i), w_row(col)) };
									out_rows[(r + i) * n + col] =
										sum.wrapping_add(offset_bias[col]);
								}
								c += 1;
							}
						}
						r += if full_rows { 4 } else { 1 };
					}
				}
			});
			Some(out)
		}

		#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
		unsafe fn load<T>(x: &[T], at: usize) -> __m512i {
			debug_assert!(core::mem::size_of::<T>() == 1 && at + 64 <= x.len());
			// SAFETY: callers pass byte slices and step `at` by 64 below
			// `len`, a multiple of 64, so the 64 bytes read are inside `x`.
			unsafe { _mm512_loadu_si512(x.as_ptr().add(at) as *const _) }
		}

		#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
		unsafe fn single(a: &[u8], w: &[i8]) -> i32 {
			let len = a.len().min(w.len()) / 64 * 64;
			let mut acc = _mm512_setzero_si512();
			let mut at = 0;
			while at < len {
				// SAFETY: at + 64 <= len <= both lengths.
				let (x, y) = unsafe { (load(a, at), load(w, at)) };
				acc = _mm512_dpbusd_epi32(acc, x, y);
				at += 64;
			}
			_mm512_reduce_add_epi32(acc)
		}

		#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
		unsafe fn tile_4x4(a: [&[u8]; 4], w: [&[i8]; 4]) -> [[i32; 4]; 4] {
			let shortest =
				a.iter().map(|s| s.len()).chain(w.iter().map(|s| s.len())).min().unwrap_or(0);
			let len = shortest / 64 * 64;
			let mut acc = [[_mm512_setzero_si512(); 4]; 4];
			let mut at = 0;
			while at < len {
				// SAFETY: at + 64 <= len <= every slice's length.
				let wv =
					unsafe { [load(w[0], at), load(w[1], at), load(w[2], at), load(w[3], at)] };
				for (row, acc_row) in a.iter().zip(acc.iter_mut()) {
					// SAFETY: as above.
					let x = unsafe { load(row, at) };
					for (slot, &y) in acc_row.iter_mut().zip(wv.iter()) {
						*slot = _mm512_dpbusd_epi32(*slot, x, y);
					}
				}
				at += 64;
			}
			acc.map(|row| row.map(|v| _mm512_reduce_add_epi32(v)))
		}
	}
}

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
pub use fast::{fast, fast_with, Simd, SKINNY_ROWS};

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
		if shape.m <= SKINNY_ROWS {
			return Ok(skinny(a, w, bias, shape));
		}
		#[cfg(target_arch = "x86_64")]
		if simd == Simd::Avx512Vnni {
			if let Some(out) = vnni::gemm(a, w, bias, shape) {
				return Ok(out);
			}
		}
		let dot = if simd == Simd::Portable { micro::portable() } else { micro::select() };
		Ok(widened(dot, a, w, bias, shape))
	}

	/// At most this many rows of `a` take [`skinny`] (token-by-token decoding
	/// has one): packing or widening `w` would cost as much as the product.
	pub const SKINNY_ROWS: usize = 4;
	/// [`skinny`] runs on one thread below this many multiply-adds.
	const SKINNY_PARALLEL_MACS: usize = 1 << 17;

	/// Few rows: rayon over blocks of output columns, each a plain dot
	/// product on the int8 operands as they are (no copy of `w`).
	fn skinny(a: &[i8], w: &[i8], bias: &[i32], shape: GemmShape) -> Vec<i32> {
		let GemmShape { m, k, n } = shape;
		let mut out_t = alloc::vec![0i32; n * m];
		let block = |(block, cols): (usize, &mut [i32])| {
			for (c, col_out) in cols.chunks_exact_mut(m).enumerate() {
				let col = block * COLS_PER_BLOCK + c;
				let w_row = &w[col * k..(col + 1) * k];
				for (row, o) in col_out.iter_mut().enumerate() {
					let a_row = &a[row * k..(row + 1) * k];
					let dot = a_row
						.iter()
						.zip(w_row)
						.fold(0i32, |acc, (&x, &y)| acc.wrapping_add(x as i32 * y as i32));
					*o = dot.wrapping_add(bias[col]);
				}
			}
		};
		// Below about 2^17 multiply-adds a rayon task costs more than it saves.
		if m * n * k < SKINNY_PARALLEL_MACS {
			out_t.chunks_mut(COLS_PER_BLOCK * m).enumerate().for_each(block);
		} else {
			out_t.par_chunks_mut(COLS_PER_BLOCK * m).enumerate().for_each(block);
		}
		let mut out = alloc::vec![0i32; m * n];
		for (col, vals) in out_t.chunks_exact(m).enumerate() {
			for (row, &v) in vals.iter().enumerate() {
				out[row * n + col] = v;
			}
		}
		out
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
	/// four pairs per 32-bit lane, and adds them to the lane. `a` is offset
	/// to unsigned (`a + 128`, a flip of the sign bit) and the offset is taken
	/// back exactly: `Σ a·w = Σ (a+128)·w − 128·Σ w` (mod 2^32, like every sum
	/// here). Each lane's four products sum to at most 4·255·128, so
	/// `vpdpbusd` (the wrapping form, not `vpdpbusds`) is exact.
	///
	/// Layout: `w` is packed in blocks of 16 columns, and within a block, for
	/// each group of 4 `k`, the 16 columns' 4 bytes are contiguous (64 bytes,
	/// one register). The micro-kernel broadcasts 4 bytes of a row of `a` and
	/// accumulates 8 rows × 32 columns in 16 registers: no horizontal sums.
	#[cfg(target_arch = "x86_64")]
	#[allow(unsafe_code)]
	mod vnni {
		use super::GemmShape;
		use core::arch::x86_64::*;
		use rayon::prelude::*;

		/// Rows of `a` per parallel task.
		const TASK_ROWS: usize = 64;
		/// Rows per micro-kernel call.
		const TILE_ROWS: usize = 8;

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
			let groups = k.div_ceil(4);
			let blocks = n.div_ceil(16);
			// a, offset to unsigned, 4 bytes per i32 word; padding is 0x80 (0 after the offset).
			let mut a_words = vec![0x8080_8080u32 as i32; m * groups];
			a_words.par_chunks_mut(groups).zip(a.par_chunks(k)).for_each(|(dst, src)| {
				let mut quads = src.chunks_exact(4);
				for (word, quad) in dst.iter_mut().zip(&mut quads) {
					let bytes = [quad[0] as u8, quad[1] as u8, quad[2] as u8, quad[3] as u8];
					*word = (u32::from_le_bytes(bytes) ^ 0x8080_8080) as i32;
				}
				let tail = quads.remainder();
				if !tail.is_empty() {
					let mut bytes = [0x80u8; 4];
					for (byte, &x) in bytes.iter_mut().zip(tail) {
						*byte = (x as u8) ^ 0x80;
					}
					dst[groups - 1] = i32::from_le_bytes(bytes);
				}
			});
			// w packed as [block][group][16 columns][4 bytes]; padding is 0.
			let mut w_packed = vec![0i8; blocks * groups * 64];
			w_packed.par_chunks_mut(groups * 64).enumerate().for_each(|(block, dst)| {
				for c in 0..16.min(n - block * 16) {
					let col = block * 16 + c;
					let row = &w[col * k..(col + 1) * k];
					for (group, quad) in dst.chunks_exact_mut(64).zip(row.chunks(4)) {
						quad_copy(&mut group[c * 4..c * 4 + 4], quad);
					}
				}
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
			out.par_chunks_mut(TASK_ROWS * n).enumerate().for_each(|(task, out_rows)| {
				let row0 = task * TASK_ROWS;
				let rows = out_rows.len() / n;
				let mut block = 0;
				while block < blocks {
					let pair = blocks - block >= 2;
					let width = if pair { 2 } else { 1 };
					let w_blocks = &w_packed[block * groups * 64..(block + width) * groups * 64];
					let mut r = 0;
					while r < rows {
						let tile = TILE_ROWS.min(rows - r);
						let a_tile = &a_words[(row0 + r) * groups..(row0 + r + tile) * groups];
						let mut acc = [[0i32; 32]; TILE_ROWS];
						// SAFETY: `available()` checked the CPU features above.
						unsafe { micro(a_tile, tile, w_blocks, width, groups, &mut acc) };
						for (i, acc_row) in acc.iter().enumerate().take(tile) {
							let out_row = &mut out_rows[(r + i) * n..(r + i + 1) * n];
							for (lane, &sum) in acc_row.iter().enumerate().take(width * 16) {
								let col = block * 16 + lane;
								if col < n {
									out_row[col] = sum.wrapping_add(offset_bias[col]);
								}
							}
						}
						r += tile;
					}
					block += width;
				}
			});
			Some(out)
		}

		fn quad_copy(dst: &mut [i8], src: &[i8]) {
			dst[..src.len()].copy_from_slice(src);
		}

		/// `acc[i][lane] = Σ_g dpbusd(a_tile[i][g], w_blocks[block][g][lane])`
		/// for `rows ≤ 8` rows and `width ∈ {1, 2}` blocks of 16 columns.
		#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
		unsafe fn micro(
			a_tile: &[i32],
			rows: usize,
			w_blocks: &[i8],
			width: usize,
			groups: usize,
			acc: &mut [[i32; 32]; TILE_ROWS],
		) {
			assert!(rows <= TILE_ROWS && (1..=2).contains(&width));
			assert!(a_tile.len() >= rows * groups && w_blocks.len() >= width * groups * 64);
			let mut sums = [[_mm512_setzero_si512(); 2]; TILE_ROWS];
			let w_ptr = w_blocks.as_ptr();
			for g in 0..groups {
				// SAFETY: the asserts above bound every offset read here.
				let w0 = unsafe { _mm512_loadu_si512(w_ptr.add(g * 64) as *const _) };
				if width == 2 {
					let w1 =
						unsafe { _mm512_loadu_si512(w_ptr.add((groups + g) * 64) as *const _) };
					if rows == TILE_ROWS {
						// The common case, fully unrolled: 16 accumulators in registers.
						for (i, s) in sums.iter_mut().enumerate() {
							let x = _mm512_set1_epi32(a_tile[i * groups + g]);
							s[0] = _mm512_dpbusd_epi32(s[0], x, w0);
							s[1] = _mm512_dpbusd_epi32(s[1], x, w1);
						}
					} else {
						for (i, s) in sums.iter_mut().enumerate().take(rows) {
							let x = _mm512_set1_epi32(a_tile[i * groups + g]);
							s[0] = _mm512_dpbusd_epi32(s[0], x, w0);
							s[1] = _mm512_dpbusd_epi32(s[1], x, w1);
						}
					}
				} else {
					for (i, s) in sums.iter_mut().enumerate().take(rows) {
						let x = _mm512_set1_epi32(a_tile[i * groups + g]);
						s[0] = _mm512_dpbusd_epi32(s[0], x, w0);
					}
				}
			}
			for (s, out) in sums.iter().zip(acc.iter_mut()) {
				// SAFETY: each half of `out` is 16 i32 = 64 bytes.
				unsafe {
					_mm512_storeu_si512(out.as_mut_ptr() as *mut _, s[0]);
					_mm512_storeu_si512(out.as_mut_ptr().add(16) as *mut _, s[1]);
				}
			}
		}
	}
}

//! Builds the runtime's wasm blob (`WASM_BINARY`) with substrate-wasm-builder.
//! `SKIP_WASM_BUILD=1` skips it (pallet and primitives tests need no wasm).

fn main() {
	#[cfg(feature = "std")]
	substrate_wasm_builder::WasmBuilder::build_using_defaults();
}

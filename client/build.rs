//! Rebuilds the client when `make metadata` rewrites the runtime's metadata:
//! the `#[subxt]` macro reads the file at compile time, but cargo does not
//! know that on its own.

fn main() {
	println!("cargo:rerun-if-changed=metadata/hypha.scale");
	println!("cargo:rerun-if-changed=build.rs");
}

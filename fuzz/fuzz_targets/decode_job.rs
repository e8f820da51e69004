//! Fuzzes the job decoders: job specs (TOML), models (safetensors with a
//! JSON network description), inference inputs, training weights and
//! datasets. Whatever decodes is also run on the reference backend when it
//! is small, so kernel argument checks are fuzzed too. Any panic is a bug:
//! bad input must come back as an error.

#![no_main]

use hypha_compute::inference::InferenceJob;
use hypha_compute::network::Model;
use hypha_compute::spec::JobSpec;
use hypha_compute::training::{Dataset, FixedMlp};
use hypha_compute::Backend;
use libfuzzer_sys::fuzz_target;

/// Largest number of multiply-adds run per input, to keep the fuzzer fast.
const MAX_WORK: usize = 1 << 16;

fuzz_target!(|data: &[u8]| {
	let Some((&selector, rest)) = data.split_first() else { return };
	match selector % 5 {
		0 => {
			if let Ok(text) = std::str::from_utf8(rest) {
				let _ = JobSpec::parse(text);
			}
		},
		1 => {
			let _ = Model::from_safetensors(rest);
		},
		2 => {
			// Model and input, split at a position taken from the data.
			if rest.len() < 2 {
				return;
			}
			let (split, rest) = rest.split_at(2);
			let at = u16::from_le_bytes([split[0], split[1]]) as usize % (rest.len() + 1);
			let (model, input) = rest.split_at(at);
			if let Ok(job) = InferenceJob::from_safetensors(model, input) {
				let network = &job.model.network;
				let work: usize = (0..network.layers.len())
					.map(|i| job.batch * network.layer_inputs(i) * network.layers[i].outputs)
					.sum();
				if work <= MAX_WORK {
					let _ = job.run(&Backend::Reference);
				}
			}
		},
		3 => {
			let Some((&width, rest)) = rest.split_first() else { return };
			let _ = FixedMlp::from_safetensors(rest, &[width as usize % 9 + 1, 3, 2]);
		},
		_ => {
			let _ = Dataset::from_safetensors(rest, "train_images", "train_labels");
		},
	}
});

//! Job-level claims: determinism across runs and backends, and clear errors
//! (never panics) on bad input.

mod common;

use hypha_compute::inference::InferenceJob;
use hypha_compute::kernels::requantize::Requantization;
use hypha_compute::kernels::sgd_update::LearningRate;
use hypha_compute::network::{DenseLayer, Model, NetworkDescription, NETWORK_FORMAT};
use hypha_compute::spec::JobSpec;
use hypha_compute::tensors::{read_bounded, write_safetensors, OwnedTensor};
use hypha_compute::training::{Dataset, FixedMlp, SplitMix64, TrainingConfig, TrainingJob};
use hypha_compute::{Backend, ComputeError};

fn small_model() -> Model {
	let mut rng = SplitMix64::new(7);
	let mut draw = |len: usize| -> Vec<i8> { (0..len).map(|_| rng.next_u64() as i8).collect() };
	Model {
		network: NetworkDescription {
			format: NETWORK_FORMAT.into(),
			inputs: 13,
			layers: vec![
				DenseLayer {
					outputs: 9,
					requantize: Some(Requantization { multiplier: 1 << 30, shift: 38, relu: true }),
				},
				DenseLayer { outputs: 5, requantize: None },
			],
		},
		weights: vec![draw(9 * 13), draw(5 * 9)],
		biases: vec![vec![100, -50, 3, 0, 7, -7, 2000, -2000, 1], vec![10, 20, 30, 40, -50]],
	}
}

fn small_input(batch: usize) -> Vec<i8> {
	let mut rng = SplitMix64::new(9);
	(0..batch * 13).map(|_| rng.next_u64() as i8).collect()
}

fn small_training_job() -> TrainingJob {
	let mut rng = SplitMix64::new(11);
	let samples = 23;
	let data = Dataset {
		images: (0..samples * 8).map(|_| (rng.next_u64() % 17) as u8).collect(),
		labels: (0..samples).map(|_| (rng.next_u64() % 3) as u8).collect(),
		samples,
		features: 8,
	};
	let config = TrainingConfig {
		epochs: 2,
		batch_size: 5,
		learning_rate: LearningRate { multiplier: 3, shift: 6 },
		seed: 5,
		input_frac_bits: 4,
	};
	TrainingJob::new(FixedMlp::init(&[8, 6, 3], 3).unwrap(), data, config).unwrap()
}

fn digits_path() -> std::path::PathBuf {
	std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/digits.safetensors")
}

#[test]
fn the_output_size_known_before_running_is_the_size_of_the_output() {
	use hypha_compute::package::output_bytes;
	use hypha_compute::spec::Job;
	for batch in [1, 4, 17] {
		let job = InferenceJob::new(small_model(), small_input(batch), batch).unwrap();
		let output = job.run(&Backend::Cpu).unwrap().to_output();
		assert_eq!(output_bytes(&Job::Inference(job)), output.canonical_bytes().len() as u64);
	}
	let job = small_training_job();
	let output = job.run(&Backend::Cpu).unwrap().to_output();
	assert_eq!(output_bytes(&Job::Training(job)), output.canonical_bytes().len() as u64);
}

#[test]
fn inference_job_run_twice_gives_the_same_digest() {
	let bytes = small_model().to_safetensors().unwrap();
	let input = InferenceJob::input_safetensors(&small_input(17), 17, 13).unwrap();
	let job = InferenceJob::from_safetensors(&bytes, &input).unwrap();
	let first = job.run(&Backend::Cpu).unwrap().to_output().digest();
	let second = job.run(&Backend::Cpu).unwrap().to_output().digest();
	assert_eq!(first, second);
}

#[test]
fn inference_digest_is_equal_on_gpu_cpu_and_reference() {
	let job = InferenceJob::new(small_model(), small_input(33), 33).unwrap();
	let reference = job.run(&Backend::Reference).unwrap();
	assert_eq!(job.run(&Backend::Cpu).unwrap(), reference);
	assert_eq!(
		job.run(&common::gpu_backend()).unwrap().to_output().digest(),
		reference.to_output().digest()
	);
}

#[test]
fn training_digest_is_equal_on_gpu_cpu_and_reference() {
	let job = small_training_job();
	let reference = job.run(&Backend::Reference).unwrap();
	assert_ne!(reference.model, job.initial, "training changed the weights");
	assert_eq!(job.run(&Backend::Cpu).unwrap(), reference);
	assert_eq!(
		job.run(&common::gpu_backend()).unwrap().to_output().digest(),
		reference.to_output().digest()
	);
}

#[test]
fn training_on_digits_subset_is_equal_on_gpu_and_cpu() {
	let bytes = std::fs::read(digits_path()).unwrap();
	let mut data = Dataset::from_safetensors(&bytes, "train_images", "train_labels").unwrap();
	data.samples = 96;
	data.images.truncate(96 * 64);
	data.labels.truncate(96);
	let config = TrainingConfig {
		epochs: 1,
		batch_size: 32,
		learning_rate: LearningRate { multiplier: 1, shift: 9 },
		seed: 1,
		input_frac_bits: 4,
	};
	let job = TrainingJob::new(FixedMlp::init(&[64, 32, 10], 1).unwrap(), data, config).unwrap();
	let cpu = job.run(&Backend::Cpu).unwrap();
	assert_eq!(job.run(&common::gpu_backend()).unwrap(), cpu);
}

#[test]
fn training_run_twice_gives_the_same_digest() {
	let job = small_training_job();
	assert_eq!(
		job.run(&Backend::Cpu).unwrap().to_output().digest(),
		job.run(&Backend::Cpu).unwrap().to_output().digest()
	);
}

#[test]
fn malformed_safetensors_is_an_error_not_a_panic() {
	let good = small_model().to_safetensors().unwrap();
	let mut cases: Vec<Vec<u8>> = vec![
		vec![],
		vec![1, 2, 3],
		u64::MAX.to_le_bytes().to_vec(),
		[8u64.to_le_bytes().to_vec(), b"not json".to_vec()].concat(),
		good[..good.len() - 1].to_vec(),
	];
	let mut flipped = good.clone();
	flipped[10] ^= 0xff;
	cases.push(flipped);
	for bytes in cases {
		assert!(Model::from_safetensors(&bytes).is_err());
	}
}

#[test]
fn model_whose_weight_shape_differs_from_its_description_is_rejected() {
	let mut model = small_model();
	model.network.inputs = 12;
	model.weights[0].truncate(9 * 12);
	let mut bytes = model.to_safetensors().unwrap();
	// Rewrite the description (JSON inside the JSON header, so its quotes are
	// escaped) to claim 13 inputs while the tensor holds 12.
	let needle = br#"\"inputs\":12"#;
	let at =
		bytes.windows(needle.len()).position(|w| w == needle).expect("description in the header");
	bytes[at + needle.len() - 1] = b'3';
	match Model::from_safetensors(&bytes) {
		Err(ComputeError::WrongShape { name, .. }) => assert_eq!(name, "layers.0.weight"),
		other => panic!("expected a shape error, got {other:?}"),
	}
}

#[test]
fn model_without_network_description_is_rejected() {
	let bytes = write_safetensors(
		&[("layers.0.weight".into(), OwnedTensor::from_i8(vec![1, 1], &[1]))],
		None,
	)
	.unwrap();
	assert!(matches!(Model::from_safetensors(&bytes), Err(ComputeError::InvalidNetwork(_))));
}

#[test]
fn network_that_requantizes_its_last_layer_is_rejected() {
	let mut model = small_model();
	model.network.layers[1].requantize =
		Some(Requantization { multiplier: 1, shift: 0, relu: false });
	assert!(matches!(model.to_safetensors(), Err(ComputeError::InvalidNetwork(_))));
}

#[test]
fn network_with_a_bad_shift_is_rejected() {
	let mut model = small_model();
	model.network.layers[0].requantize =
		Some(Requantization { multiplier: 1, shift: 99, relu: true });
	assert!(matches!(model.network.validate(), Err(ComputeError::InvalidNetwork(_))));
}

#[test]
fn inference_input_of_the_wrong_width_is_rejected() {
	let bytes = small_model().to_safetensors().unwrap();
	let input = InferenceJob::input_safetensors(&[0; 12], 1, 12).unwrap();
	assert!(matches!(
		InferenceJob::from_safetensors(&bytes, &input),
		Err(ComputeError::WrongShape { .. })
	));
}

#[test]
fn inference_input_with_the_wrong_dtype_is_rejected() {
	let bytes = small_model().to_safetensors().unwrap();
	let input =
		write_safetensors(&[("input".into(), OwnedTensor::from_i32(vec![1, 13], &[0; 13]))], None)
			.unwrap();
	assert!(matches!(
		InferenceJob::from_safetensors(&bytes, &input),
		Err(ComputeError::WrongDtype { .. })
	));
}

#[test]
fn training_labels_out_of_range_are_rejected() {
	let job = small_training_job();
	let mut data = job.data.clone();
	data.labels[0] = 3;
	assert!(matches!(
		TrainingJob::new(job.initial, data, job.config),
		Err(ComputeError::InvalidData(_))
	));
}

#[test]
fn oversized_file_is_rejected_before_reading() {
	let path = std::env::temp_dir().join(format!("hypha-oversized-{}", std::process::id()));
	std::fs::write(&path, vec![0u8; 100]).unwrap();
	let result = read_bounded(&path, 99);
	std::fs::remove_file(&path).unwrap();
	assert!(matches!(result, Err(ComputeError::TooLarge { size: 100, limit: 99, .. })));
}

#[test]
fn spec_with_an_unknown_key_is_rejected() {
	assert!(
		JobSpec::parse("kind = \"inference\"\nmodel = \"m\"\ninput = \"i\"\nextra = 1\n").is_err()
	);
	assert!(JobSpec::parse("kind = \"mining\"\n").is_err());
	assert!(JobSpec::parse("kind = \"inference\"\nmodel = \"m\"\ninput = \"i\"\n").is_ok());
}

#[test]
fn jobs_built_from_inconsistent_structs_are_rejected_not_run() {
	let mut model = small_model();
	model.weights.pop();
	assert!(matches!(
		InferenceJob::new(model, small_input(1), 1),
		Err(ComputeError::InvalidNetwork(_))
	));

	let job = small_training_job();
	let mut initial = job.initial.clone();
	initial.biases[0].push(0);
	assert!(matches!(
		TrainingJob::new(initial.clone(), job.data.clone(), job.config.clone()),
		Err(ComputeError::InvalidNetwork(_))
	));
	assert!(initial.forward(&Backend::Reference, vec![0; 8], 1, 4).is_err());
}

#[test]
fn a_training_output_decodes_back_to_the_trained_weights() {
	let job = small_training_job();
	let trained = job.run(&Backend::Reference).unwrap();
	let bytes = trained.to_output().canonical_bytes();
	let decoded = hypha_compute::output::JobOutput::from_canonical_bytes(&bytes).unwrap();
	assert_eq!(FixedMlp::from_output(&decoded).unwrap(), trained.model);
	// An inference output holds no weights: a clear error, not an empty model.
	let inference = InferenceJob::new(small_model(), small_input(2), 2).unwrap();
	let output = inference.run(&Backend::Reference).unwrap().to_output();
	assert!(FixedMlp::from_output(&output).is_err());
}

#[test]
fn progress_reports_every_epoch_and_leaves_the_result_alone() {
	let job = small_training_job();
	let mut seen = Vec::new();
	let observed = job
		.run_with_progress(&Backend::Cpu, |epoch, epochs, loss| seen.push((epoch, epochs, loss)))
		.unwrap();
	let plain = job.run(&Backend::Cpu).unwrap();
	assert_eq!(observed, plain);
	let expected: Vec<(u32, u32, i64)> =
		plain.loss.iter().enumerate().map(|(i, &l)| (i as u32 + 1, 2, l)).collect();
	assert_eq!(seen, expected);
}

#[test]
fn a_training_jobs_output_starts_the_next_training_job_as_its_weights_would() {
	// A fine-tune on the market starts from the file the registry names:
	// the previous job's canonical output (weights and loss), as committed.
	let job = small_training_job();
	let trained = job.run(&Backend::Reference).unwrap();
	let output = trained.to_output();
	let canonical = output.canonical_bytes();
	let from_output = FixedMlp::from_model_file(&canonical, &[8, 6, 3]).unwrap();
	assert_eq!(from_output, trained.model);
	let weights = trained.model.to_safetensors().unwrap();
	assert_eq!(FixedMlp::from_model_file(&weights, &[8, 6, 3]).unwrap(), trained.model);
	// So the program built from either file is the same bytes.
	let plan = hypha_compute::spec::TrainingPlan {
		layers: vec![8, 6, 3],
		images: "train_images".into(),
		labels: "train_labels".into(),
		input_frac_bits: 4,
		epochs: 1,
		batch_size: 5,
		learning_rate_multiplier: 3,
		learning_rate_shift: 6,
		seed: 1,
	};
	let program = hypha_compute::package::training_program(&canonical, &plan).unwrap();
	assert_eq!(program, hypha_compute::package::training_program(&weights, &plan).unwrap());
	// The wrong shapes, or a tensor that is no part of the model, are errors.
	assert!(FixedMlp::from_model_file(&canonical, &[8, 5, 3]).is_err());
	let mut extra = output.clone();
	extra.insert("logits", hypha_compute::output::OutputTensor::i32(vec![1], &[0]));
	let refused = FixedMlp::from_model_file(&extra.canonical_bytes(), &[8, 6, 3]).unwrap_err();
	assert!(refused.to_string().contains("logits"), "{refused}");
	assert!(FixedMlp::from_model_file(b"not a model", &[8, 6, 3]).is_err());
}

#[test]
fn the_same_tensors_and_metadata_are_always_written_as_the_same_bytes() {
	// The safetensors crate writes its header from hash maps; a training
	// program must rebuild to the same digest in any process.
	let tensors: Vec<(String, OwnedTensor)> = (0..6)
		.map(|i| (format!("layers.{i}.weight"), OwnedTensor::from_i32(vec![2], &[i, -i])))
		.collect();
	let metadata = || {
		Some(std::collections::HashMap::from(
			[("b", "2"), ("a", "1"), ("c", "3"), ("hypha.training", "{}")]
				.map(|(k, v)| (k.to_string(), v.to_string())),
		))
	};
	let first = write_safetensors(&tensors, metadata()).unwrap();
	for _ in 0..20 {
		assert_eq!(write_safetensors(&tensors, metadata()).unwrap(), first);
	}
	let file = hypha_compute::tensors::TensorFile::parse("test", &first).unwrap();
	assert_eq!(file.metadata("c"), Some("3"));
	assert_eq!(file.i32("layers.5.weight", Some(&[2])).unwrap(), vec![5, -5]);
	let header_len = u64::from_le_bytes(first[..8].try_into().unwrap()) as usize;
	assert!(header_len.is_multiple_of(8), "the header stays 8-byte aligned");
	let header = std::str::from_utf8(&first[8..8 + header_len]).unwrap();
	assert!(header.starts_with("{\"__metadata__\":{\"a\":\"1\",\"b\":\"2\""), "{header}");
}

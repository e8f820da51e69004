//! The CLI's claims: digits-check reaches the bar, its job files rerun with
//! `run-local` to the same digests, and errors exit non-zero with a message.

use std::path::{Path, PathBuf};
use std::process::Command;

use hypha_cli::digits::{digits_check, DigitsCheckConfig};
use hypha_cli::job::local::run_local;
use hypha_compute::kernels::sgd_update::LearningRate;
use hypha_compute::BackendChoice;

fn data() -> PathBuf {
	Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/digits.safetensors")
}

fn config(epochs: u32, out: Option<PathBuf>) -> DigitsCheckConfig {
	DigitsCheckConfig {
		data: data(),
		backend: BackendChoice::Cpu,
		hidden: 32,
		epochs,
		batch_size: 32,
		learning_rate: LearningRate { multiplier: 1, shift: 9 },
		seed: 1,
		train_limit: None,
		out,
	}
}

#[test]
fn digits_check_reaches_095_accuracy_with_the_default_settings() {
	let report = digits_check(&config(100, None)).unwrap();
	assert!(report.accuracy >= 0.95, "accuracy {}", report.accuracy);
	// Known answers, also in docs/COMPUTE.md: a change to the arithmetic, the
	// sample order or the encoding changes them.
	assert_eq!(
		hex::encode(report.training_digest),
		"78436b123e0f070c17769c79d4c37e5ca24a1dd5d84bdae4256a71061a2c6750"
	);
	assert_eq!(
		hex::encode(report.inference_digest),
		"452b48bf96fd63cb98c996628a26cc705a0981c36106e981f0aabe8114a0e337"
	);
	assert_eq!((report.correct, report.total), (353, 360));
}

#[test]
fn run_local_reproduces_the_digits_check_digests() {
	let dir = std::env::temp_dir().join(format!("hypha-cli-test-{}", std::process::id()));
	let report = digits_check(&config(3, Some(dir.clone()))).unwrap();
	let training = run_local(&dir.join("train.toml"), BackendChoice::Reference, None).unwrap();
	let inference =
		run_local(&dir.join("infer.toml"), BackendChoice::Cpu, Some(&dir.join("out"))).unwrap();
	assert_eq!(training.digest, report.training_digest);
	assert_eq!(inference.digest, report.inference_digest);
	let canonical = std::fs::read(dir.join("out/output.bin")).unwrap();
	assert_eq!(hypha_compute::output::blake2_256(&canonical), inference.digest);
	std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn run_local_with_a_missing_spec_exits_non_zero_with_a_message() {
	let output = Command::new(env!("CARGO_BIN_EXE_hypha"))
		.args(["job", "run-local", "/nonexistent/spec.toml", "--backend", "cpu"])
		.output()
		.unwrap();
	assert!(!output.status.success());
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(stderr.contains("hypha: loading job spec /nonexistent/spec.toml"), "{stderr}");
}

#[test]
fn digits_check_below_the_bar_exits_non_zero() {
	let output = Command::new(env!("CARGO_BIN_EXE_hypha"))
		.args(["job", "digits-check", "--backend", "cpu", "--epochs", "1", "--train-limit", "50"])
		.arg("--data")
		.arg(data())
		.output()
		.unwrap();
	assert!(!output.status.success());
	assert!(String::from_utf8_lossy(&output.stdout).contains("accuracy: 0."));
}

#[test]
fn run_local_with_a_wrong_expected_digest_exits_non_zero() {
	let dir = std::env::temp_dir().join(format!("hypha-cli-expect-{}", std::process::id()));
	let report = digits_check(&config(1, Some(dir.clone()))).unwrap();
	let run = |expect: &str| {
		Command::new(env!("CARGO_BIN_EXE_hypha"))
			.args(["job", "run-local", "--backend", "cpu", "--expect", expect])
			.arg(dir.join("infer.toml"))
			.output()
			.unwrap()
	};
	assert!(run(&format!("0x{}", hex::encode(report.inference_digest))).status.success());
	let wrong = run(&"00".repeat(32));
	assert!(!wrong.status.success());
	assert!(String::from_utf8_lossy(&wrong.stderr).contains("differs from the expected"));
	std::fs::remove_dir_all(&dir).unwrap();
}

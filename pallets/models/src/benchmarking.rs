//! Benchmarks of every call, each in its worst case: names, labels, texts
//! and URIs at their longest, a trained version (which reads the job and
//! checks its commitment against the output), an evaluation (the same), and
//! a signed deprecation (which reads the model for its owner, where the
//! governance origin reads nothing).

use super::*;
use crate::pallet::{Label, Name, Text};
use frame_benchmarking::v2::*;
use frame_support::traits::{
	fungible::{Inspect, Mutate},
	Get,
};
use frame_system::RawOrigin;
use hypha_primitives::{
	digest_commitment, Digest, JobId, JobSpec, Uri, WorkloadKind, MAX_URI_BYTES,
};
use pallet_jobs::{JobResults, PaidResult};
use sp_runtime::traits::Saturating;

fn name(tag: u8) -> Name {
	let mut bytes = alloc::vec![b'a'; MAX_NAME_BYTES as usize];
	bytes[0] = b'a' + tag % 26;
	Name::truncate_from(bytes)
}
fn label(tag: u8) -> Label {
	let mut bytes = alloc::vec![b'0'; MAX_LABEL_BYTES as usize];
	bytes[0] = b'a' + tag % 26;
	Label::truncate_from(bytes)
}
fn text() -> Text {
	Text::truncate_from(alloc::vec![b't'; MAX_TEXT_BYTES as usize])
}
fn uri() -> Uri {
	Uri::truncate_from(alloc::vec![b'h'; MAX_URI_BYTES as usize])
}

/// An account with enough for a hundred of every deposit.
fn funded<T: Config>(name: &'static str) -> T::AccountId {
	let who: T::AccountId = account(name, 0, 0);
	let each = T::ModelDeposit::get()
		.saturating_add(T::VersionDeposit::get())
		.saturating_add(T::EvaluationDeposit::get());
	T::Currency::set_balance(
		&who,
		each.saturating_mul(100u32.into()).saturating_add(T::Currency::minimum_balance()),
	);
	who
}

/// `owner` registers the model `name(0)` with version `label(0)` of digest `[0; 32]`.
fn registered<T: Config>(owner: &T::AccountId) {
	Pallet::<T>::register(
		RawOrigin::Signed(owner.clone()).into(),
		name(0),
		text(),
		text(),
		label(0),
		[0; 32],
		uri(),
	)
	.expect("the benchmark model registers");
}

/// A settled job of `client`, of `kind`, naming `model`, paid for `output`.
fn settled<T: Config>(
	job: JobId,
	client: &T::AccountId,
	kind: WorkloadKind,
	model: Digest,
	output: &Digest,
) {
	let provider: T::AccountId = account("provider", 0, 0);
	let spec = JobSpec {
		kind,
		program_digest: model,
		program_uri: uri(),
		input_digest: [0xd; 32],
		input_uri: uri(),
		compute_units: 1,
		max_output_bytes: 1024,
		output_key: Some([1; 32]),
		model: Some(model),
	};
	let commitment = digest_commitment(job, &provider, output);
	T::Jobs::insert_paid_result(
		job,
		PaidResult { client: client.clone(), provider, spec, commitment },
	);
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register() {
		let owner = funded::<T>("owner");
		#[extrinsic_call]
		_(RawOrigin::Signed(owner.clone()), name(0), text(), text(), label(0), [0; 32], uri());
		assert!(Models::<T>::contains_key(name(0)));
	}

	#[benchmark]
	fn push_version() {
		let owner = funded::<T>("owner");
		registered::<T>(&owner);
		let tuned = [1; 32];
		settled::<T>(7, &owner, WorkloadKind::Training, [0; 32], &tuned);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(owner.clone()),
			name(0),
			label(1),
			Some(label(0)),
			tuned,
			uri(),
			Some(7),
		);
		assert!(Versions::<T>::contains_key(name(0), label(1)));
	}

	#[benchmark]
	fn record_evaluation() {
		let owner = funded::<T>("owner");
		registered::<T>(&owner);
		let evaluator = funded::<T>("evaluator");
		let output = [2; 32];
		settled::<T>(8, &evaluator, WorkloadKind::Score, [0; 32], &output);
		#[extrinsic_call]
		_(RawOrigin::Signed(evaluator), name(0), label(0), 8, output, text(), i64::MAX);
		assert!(Evaluations::<T>::contains_key((name(0), label(0), 8)));
	}

	#[benchmark]
	fn transfer() {
		let owner = funded::<T>("owner");
		registered::<T>(&owner);
		let heir: T::AccountId = account("heir", 0, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), name(0), heir.clone());
		assert_eq!(Models::<T>::get(name(0)).map(|model| model.owner), Some(heir));
	}

	#[benchmark]
	fn deprecate() {
		let owner = funded::<T>("owner");
		registered::<T>(&owner);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), name(0), label(0), text());
		assert!(Versions::<T>::get(name(0), label(0)).is_some_and(|v| v.deprecated.is_some()));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}

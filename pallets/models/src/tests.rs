//! Every call of the registry, its effects and every refusal. A refused call
//! is checked with `assert_noop!`, which also checks that it left the
//! storage as it was (no deposit held, nothing written).

use crate::mock::*;
use crate::pallet::{
	Deprecation, Error, Evaluations, Event, Label, Models as ModelsStorage, Name, Provenance, Text,
	VersionOfDigest, Versions,
};
use frame_support::{assert_noop, assert_ok, traits::fungible::Inspect};
use hypha_primitives::{Digest, JobId, Uri, WorkloadKind};
use sp_runtime::DispatchError;

const BASE: Digest = [0xb0; 32];
const TUNED: Digest = [0xb1; 32];
const PROGRAM: Digest = [0xa0; 32];
const DATASET: Digest = [0xd0; 32];
const TEST_SET: Digest = [0xd1; 32];
const TRAINING_JOB: JobId = 4;
const SCORE_JOB: JobId = 9;

fn name(s: &str) -> Name {
	Name::truncate_from(s.as_bytes().to_vec())
}
fn label(s: &str) -> Label {
	Label::truncate_from(s.as_bytes().to_vec())
}
fn text(s: &str) -> Text {
	Text::truncate_from(s.as_bytes().to_vec())
}
fn uri(s: &str) -> Uri {
	Uri::truncate_from(s.as_bytes().to_vec())
}
fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

/// Alice registers `digits` with the uploaded version `v0` (digest [`BASE`]).
fn register_digits() {
	assert_ok!(Models::register(
		signed(ALICE),
		name("digits"),
		text("hypha-mlp"),
		text("Apache-2.0"),
		label("v0"),
		BASE,
		uri("http://store/blobs/b0"),
	));
}

/// Alice's training job [`TRAINING_JOB`] from `v0` on [`DATASET`], settled
/// with the output [`TUNED`].
fn settle_training_from_base() {
	settle(TRAINING_JOB, ALICE, spec(WorkloadKind::Training, Some(BASE), PROGRAM, DATASET), TUNED);
}

fn push_trained(
	who: u64,
	version: &str,
	parent: Option<&str>,
	digest: Digest,
) -> sp_runtime::DispatchResult {
	Models::push_version(
		signed(who),
		name("digits"),
		label(version),
		parent.map(label),
		digest,
		uri("http://store/blobs/tuned"),
		Some(TRAINING_JOB),
	)
}

fn last_event() -> Event<Test> {
	System::events()
		.into_iter()
		.rev()
		.find_map(|record| match record.event {
			RuntimeEvent::Models(event) => Some(event),
			_ => None,
		})
		.expect("a Models event")
}

#[test]
fn registering_holds_both_deposits_and_records_the_first_version_as_uploaded() {
	new_test_ext().execute_with(|| {
		register_digits();
		let model = ModelsStorage::<Test>::get(name("digits")).expect("registered");
		assert_eq!((model.owner, model.versions), (ALICE, 1));
		assert_eq!(model.architecture, text("hypha-mlp"));
		let v0 = Versions::<Test>::get(name("digits"), label("v0")).expect("v0");
		assert_eq!((v0.digest, v0.parent, v0.provenance), (BASE, None, Provenance::Uploaded));
		assert_eq!(VersionOfDigest::<Test>::get(BASE, name("digits")), Some(label("v0")));
		assert_eq!(crate::Pallet::<Test>::held(&ALICE), MODEL_DEPOSIT + VERSION_DEPOSIT);
		assert_eq!(
			Balances::balance(&ALICE),
			ENDOWMENT - MODEL_DEPOSIT - VERSION_DEPOSIT,
			"the deposits are held, not spent"
		);
		assert_eq!(
			last_event(),
			Event::ModelRegistered {
				name: name("digits"),
				owner: ALICE,
				version: label("v0"),
				digest: BASE
			}
		);
	});
}

#[test]
fn registration_refuses_bad_names_labels_uris_taken_names_known_digests_and_the_poor() {
	new_test_ext().execute_with(|| {
		let attempt = |who: u64, model: &str, version: &str, digest: Digest, at: &str| {
			Models::register(
				signed(who),
				name(model),
				text("hypha-mlp"),
				text("MIT"),
				label(version),
				digest,
				uri(at),
			)
		};
		for bad in ["", "Digits", "digits@v1", "-digits", "dig its", "dígits"] {
			assert_noop!(attempt(ALICE, bad, "v0", BASE, "u"), Error::<Test>::InvalidName);
		}
		for bad in ["", "V0", "v0@x", ".v0", "v 0"] {
			assert_noop!(attempt(ALICE, "digits", bad, BASE, "u"), Error::<Test>::InvalidLabel);
		}
		assert_noop!(attempt(ALICE, "digits", "v0", BASE, ""), Error::<Test>::EmptyUri);
		assert_noop!(attempt(POOR, "digits", "v0", BASE, "u"), Error::<Test>::InsufficientDeposit);
		register_digits();
		assert_noop!(attempt(BOB, "digits", "v9", [9; 32], "u"), Error::<Test>::NameTaken);
		assert_ok!(attempt(BOB, "other.model_2", "2026-12", [9; 32], "u"));
	});
}

#[test]
fn a_copy_registered_first_by_a_stranger_does_not_keep_the_owner_from_registering_the_file() {
	new_test_ext().execute_with(|| {
		// Charlie saw the owner's file (a public blob, or a transaction in the
		// pool) and registers it first under a name of his own.
		assert_ok!(Models::register(
			signed(CHARLIE),
			name("squat"),
			text("hypha-mlp"),
			text("MIT"),
			label("v0"),
			BASE,
			uri("u"),
		));
		register_digits();
		assert_eq!(VersionOfDigest::<Test>::get(BASE, name("digits")), Some(label("v0")));
		assert_eq!(VersionOfDigest::<Test>::get(BASE, name("squat")), Some(label("v0")));
		// Within one model a digest is one version.
		assert_noop!(
			Models::push_version(
				signed(ALICE),
				name("digits"),
				label("again"),
				None,
				BASE,
				uri("u"),
				None
			),
			Error::<Test>::DigestRegistered
		);
	});
}

#[test]
fn a_version_trained_on_the_market_records_its_checked_job_and_data_set() {
	new_test_ext().execute_with(|| {
		register_digits();
		settle_training_from_base();
		assert_ok!(push_trained(ALICE, "v1", Some("v0"), TUNED));
		let v1 = Versions::<Test>::get(name("digits"), label("v1")).expect("v1");
		assert_eq!(v1.parent, Some(label("v0")));
		assert_eq!(
			v1.provenance,
			Provenance::Trained { job: TRAINING_JOB, dataset: DATASET, program: PROGRAM }
		);
		assert_eq!(ModelsStorage::<Test>::get(name("digits")).map(|m| m.versions), Some(2));
		assert_eq!(crate::Pallet::<Test>::held(&ALICE), MODEL_DEPOSIT + 2 * VERSION_DEPOSIT);
		assert_eq!(
			last_event(),
			Event::VersionAdded {
				name: name("digits"),
				version: label("v1"),
				digest: TUNED,
				parent: Some(label("v0")),
				job: Some(TRAINING_JOB)
			}
		);
		// A version from outside the market says so.
		assert_ok!(Models::push_version(
			signed(ALICE),
			name("digits"),
			label("v2-external"),
			Some(label("v1")),
			[0xe0; 32],
			uri("https://example.org/v2.safetensors"),
			None,
		));
		let v2 = Versions::<Test>::get(name("digits"), label("v2-external")).expect("v2");
		assert_eq!(v2.provenance, Provenance::Uploaded);
	});
}

#[test]
fn a_training_link_that_does_not_match_the_job_is_refused() {
	new_test_ext().execute_with(|| {
		register_digits();
		// Not settled (or not even submitted).
		assert_noop!(push_trained(ALICE, "v1", Some("v0"), TUNED), Error::<Test>::JobNotSettled);
		settle_training_from_base();
		// The output is another file than the one the provider was paid for.
		assert_noop!(
			push_trained(ALICE, "v1", Some("v0"), [0xee; 32]),
			Error::<Test>::OutputMismatch
		);
		// Somebody else's job: Bob owns a model of his own and names Alice's job.
		assert_ok!(Models::register(
			signed(BOB),
			name("bobs"),
			text("hypha-mlp"),
			text("MIT"),
			label("v0"),
			[0xbb; 32],
			uri("u"),
		));
		assert_noop!(
			Models::push_version(
				signed(BOB),
				name("bobs"),
				label("v1"),
				Some(label("v0")),
				TUNED,
				uri("u"),
				Some(TRAINING_JOB)
			),
			Error::<Test>::NotJobClient
		);
		// A trained version must say what it was trained from...
		assert_noop!(push_trained(ALICE, "v1", None, TUNED), Error::<Test>::TrainedWithoutParent);
		// ...and that must be what the job started from.
		assert_ok!(Models::push_version(
			signed(ALICE),
			name("digits"),
			label("v0b"),
			None,
			[0xbc; 32],
			uri("u"),
			None
		));
		assert_noop!(
			push_trained(ALICE, "v1", Some("v0b"), TUNED),
			Error::<Test>::NotTrainedFromParent
		);
		assert_noop!(push_trained(ALICE, "v1", Some("v7"), TUNED), Error::<Test>::UnknownVersion);
		// A job that names no model cannot be anybody's fine-tune.
		settle(5, ALICE, spec(WorkloadKind::Training, None, PROGRAM, DATASET), [0x55; 32]);
		assert_noop!(
			Models::push_version(
				signed(ALICE),
				name("digits"),
				label("v5"),
				Some(label("v0")),
				[0x55; 32],
				uri("u"),
				Some(5)
			),
			Error::<Test>::NotTrainedFromParent
		);
		// A score job is no training.
		settle(6, ALICE, spec(WorkloadKind::Score, Some(BASE), BASE, DATASET), [0x66; 32]);
		assert_noop!(
			Models::push_version(
				signed(ALICE),
				name("digits"),
				label("v6"),
				Some(label("v0")),
				[0x66; 32],
				uri("u"),
				Some(6)
			),
			Error::<Test>::WrongJobKind
		);
		assert_ok!(push_trained(ALICE, "v1", Some("v0"), TUNED));
	});
}

#[test]
fn pushing_a_version_refuses_strangers_unknown_models_duplicates_and_a_full_model() {
	new_test_ext().execute_with(|| {
		let push = |who: u64, model: &str, version: &str, digest: Digest, at: &str| {
			Models::push_version(
				signed(who),
				name(model),
				label(version),
				Some(label("v0")),
				digest,
				uri(at),
				None,
			)
		};
		assert_noop!(push(ALICE, "digits", "v1", [1; 32], "u"), Error::<Test>::UnknownModel);
		register_digits();
		assert_noop!(push(BOB, "digits", "v1", [1; 32], "u"), Error::<Test>::NotOwner);
		assert_noop!(push(ALICE, "digits", "V1", [1; 32], "u"), Error::<Test>::InvalidLabel);
		assert_noop!(push(ALICE, "digits", "v1", [1; 32], ""), Error::<Test>::EmptyUri);
		assert_noop!(push(ALICE, "digits", "v0", [1; 32], "u"), Error::<Test>::VersionExists);
		assert_noop!(push(ALICE, "digits", "v1", BASE, "u"), Error::<Test>::DigestRegistered);
		for i in 1..MAX_VERSIONS {
			assert_ok!(push(ALICE, "digits", &format!("v{i}"), [i as u8; 32], "u"));
		}
		assert_noop!(push(ALICE, "digits", "v99", [99; 32], "u"), Error::<Test>::TooManyVersions);
		// The poor owner of a model cannot pay for a version.
		assert_ok!(Models::register(
			signed(BOB),
			name("gift"),
			text("a"),
			text("b"),
			label("v0"),
			[0x61; 32],
			uri("u")
		));
		assert_ok!(Models::transfer(signed(BOB), name("gift"), POOR));
		assert_noop!(push(POOR, "gift", "v1", [0x62; 32], "u"), Error::<Test>::InsufficientDeposit);
	});
}

#[test]
fn anyone_who_paid_for_a_score_job_on_a_version_records_its_evaluation() {
	new_test_ext().execute_with(|| {
		register_digits();
		let output = [0x5c; 32];
		settle(
			SCORE_JOB,
			CHARLIE,
			spec(WorkloadKind::Inference, Some(BASE), [0x71; 32], TEST_SET),
			output,
		);
		let record = |who: u64, version: &str, job: JobId, digest: Digest| {
			Models::record_evaluation(
				signed(who),
				name("digits"),
				label(version),
				job,
				digest,
				text("accuracy"),
				912_500,
			)
		};
		assert_noop!(record(CHARLIE, "v9", SCORE_JOB, output), Error::<Test>::UnknownVersion);
		assert_noop!(record(CHARLIE, "v0", 77, output), Error::<Test>::JobNotSettled);
		assert_noop!(record(ALICE, "v0", SCORE_JOB, output), Error::<Test>::NotJobClient);
		assert_noop!(record(CHARLIE, "v0", SCORE_JOB, [0; 32]), Error::<Test>::OutputMismatch);
		assert_ok!(record(CHARLIE, "v0", SCORE_JOB, output));
		let evaluation =
			Evaluations::<Test>::get((name("digits"), label("v0"), SCORE_JOB)).expect("recorded");
		assert_eq!(
			(evaluation.kind, evaluation.dataset, evaluation.output, evaluation.value_micro),
			(WorkloadKind::Inference, TEST_SET, output, 912_500)
		);
		assert_eq!(evaluation.recorded_by, CHARLIE);
		assert_eq!(crate::Pallet::<Test>::held(&CHARLIE), EVALUATION_DEPOSIT);
		assert_noop!(record(CHARLIE, "v0", SCORE_JOB, output), Error::<Test>::EvaluationExists);

		// A job that ran another model, or no named model, measures nothing here.
		settle(
			10,
			CHARLIE,
			spec(WorkloadKind::Score, Some([0x99; 32]), [0x99; 32], TEST_SET),
			[1; 32],
		);
		assert_noop!(record(CHARLIE, "v0", 10, [1; 32]), Error::<Test>::NotThisModel);
		settle(11, CHARLIE, spec(WorkloadKind::Inference, None, [0x71; 32], TEST_SET), [2; 32]);
		assert_noop!(record(CHARLIE, "v0", 11, [2; 32]), Error::<Test>::NotThisModel);
		// A training job is no evaluation.
		settle(12, CHARLIE, spec(WorkloadKind::Training, Some(BASE), PROGRAM, DATASET), [3; 32]);
		assert_noop!(record(CHARLIE, "v0", 12, [3; 32]), Error::<Test>::WrongJobKind);
		// An evaluator that cannot pay the deposit.
		settle(13, POOR, spec(WorkloadKind::Score, Some(BASE), BASE, TEST_SET), [4; 32]);
		assert_noop!(record(POOR, "v0", 13, [4; 32]), Error::<Test>::InsufficientDeposit);
	});
}

#[test]
fn a_transfer_hands_over_the_model_and_leaves_the_deposits_where_they_were() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Models::transfer(signed(ALICE), name("digits"), BOB),
			Error::<Test>::UnknownModel
		);
		register_digits();
		assert_noop!(Models::transfer(signed(BOB), name("digits"), BOB), Error::<Test>::NotOwner);
		assert_noop!(
			Models::transfer(signed(ALICE), name("digits"), ALICE),
			Error::<Test>::SameOwner
		);
		assert_ok!(Models::transfer(signed(ALICE), name("digits"), BOB));
		assert_eq!(ModelsStorage::<Test>::get(name("digits")).map(|m| m.owner), Some(BOB));
		assert_eq!(crate::Pallet::<Test>::held(&ALICE), MODEL_DEPOSIT + VERSION_DEPOSIT);
		assert_eq!(crate::Pallet::<Test>::held(&BOB), 0);
		let push = |who| {
			Models::push_version(
				signed(who),
				name("digits"),
				label("v1"),
				None,
				[1; 32],
				uri("u"),
				None,
			)
		};
		assert_noop!(push(ALICE), Error::<Test>::NotOwner);
		assert_ok!(push(BOB));
		assert_eq!(crate::Pallet::<Test>::held(&BOB), VERSION_DEPOSIT);
	});
}

#[test]
fn governance_deprecates_any_version_and_its_word_stands() {
	new_test_ext().execute_with(|| {
		let deprecate = |origin: RuntimeOrigin, version: &str, why: &str| {
			Models::deprecate(origin, name("digits"), label(version), text(why))
		};
		assert_noop!(deprecate(signed(ALICE), "v0", "old"), Error::<Test>::UnknownModel);
		register_digits();
		assert_noop!(deprecate(signed(BOB), "v0", "mine now"), Error::<Test>::NotOwner);
		assert_noop!(deprecate(signed(ALICE), "v9", "old"), Error::<Test>::UnknownVersion);
		assert_noop!(deprecate(RuntimeOrigin::none(), "v0", "x"), DispatchError::BadOrigin);
		assert_ok!(deprecate(signed(ALICE), "v0", "superseded"));
		assert_noop!(deprecate(signed(ALICE), "v0", "again"), Error::<Test>::AlreadyDeprecated);
		// A referendum overrides the owner's reason...
		assert_ok!(deprecate(RuntimeOrigin::root(), "v0", "trained on unlicensed data"));
		let v0 = Versions::<Test>::get(name("digits"), label("v0")).expect("v0");
		assert_eq!(
			v0.deprecated,
			Some(Deprecation {
				by_governance: true,
				reason: text("trained on unlicensed data"),
				at: 1
			})
		);
		assert_eq!(
			last_event(),
			Event::VersionDeprecated {
				name: name("digits"),
				version: label("v0"),
				by_governance: true,
				reason: text("trained on unlicensed data")
			}
		);
		// ...and neither the owner nor another referendum rewords it.
		assert_noop!(deprecate(signed(ALICE), "v0", "fine"), Error::<Test>::AlreadyDeprecated);
		assert_noop!(deprecate(RuntimeOrigin::root(), "v0", "x"), Error::<Test>::AlreadyDeprecated);
		// Governance needs no ownership, but the version must exist.
		assert_noop!(deprecate(RuntimeOrigin::root(), "v9", "x"), Error::<Test>::UnknownVersion);
		// A deprecated version stays in the lineage: a child can still name it.
		assert_ok!(Models::push_version(
			signed(ALICE),
			name("digits"),
			label("v1"),
			Some(label("v0")),
			[1; 32],
			uri("u"),
			None
		));
	});
}

//! Following the chain: every finalized block from the first, in order,
//! decoded into the index's [`Event`]s; a node that goes away is retried
//! (the pages say so meanwhile), and the index picks up where it stopped.

use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use futures::StreamExt;
use hypha_client::{api, Client, Events};
use tokio::sync::watch;

use super::index::{Event, Index, Role, SpecSummary, Stamp};

/// How the explorer stands with its node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Health {
	/// Not connected yet.
	Connecting,
	/// Connected; reading the finalized blocks up to `finalized`.
	Following {
		/// The node's latest finalized block.
		finalized: u32,
	},
	/// The node answers but cannot serve block `block` (its state pruned,
	/// say); the index is as of the block before, and the follower retries.
	Stuck {
		/// The block that cannot be read.
		block: u32,
		/// Why.
		error: String,
	},
	/// The node does not answer; the index is as of its last block.
	Unreachable {
		/// Since when (wall clock).
		since: SystemTime,
		/// Why.
		error: String,
	},
}

/// What the follower shares with the pages.
pub struct Shared {
	/// The index.
	pub index: Index,
	/// The node's health.
	pub health: Health,
	/// The client, while the node answers (for the reads of the current
	/// state the pages make: parameters, referenda, balances).
	pub client: Option<Client>,
	/// Blocks read since the start.
	pub blocks_read: u64,
	/// The genesis hash of the chain the index is of.
	pub genesis: Option<[u8; 32]>,
	/// The hash of the last block indexed.
	pub last_hash: Option<[u8; 32]>,
}

impl Shared {
	/// Forgets the index (the node's chain is another one now).
	fn reset(&mut self) {
		self.index = Index::default();
		self.last_hash = None;
	}
}

/// The shared state and a counter that ticks on every change (new blocks,
/// health), which the live pages wait on.
#[derive(Clone)]
pub struct State {
	/// The shared state.
	pub shared: Arc<RwLock<Shared>>,
	/// Ticks on every change.
	pub changes: watch::Sender<u64>,
}

impl Default for State {
	fn default() -> Self {
		State {
			shared: Arc::new(RwLock::new(Shared {
				index: Index::default(),
				health: Health::Connecting,
				client: None,
				blocks_read: 0,
				genesis: None,
				last_hash: None,
			})),
			changes: watch::Sender::new(0),
		}
	}
}

impl State {
	/// Reads the shared state.
	pub fn read(&self) -> std::sync::RwLockReadGuard<'_, Shared> {
		self.shared.read().unwrap_or_else(|poisoned| poisoned.into_inner())
	}

	fn write(&self) -> std::sync::RwLockWriteGuard<'_, Shared> {
		self.shared.write().unwrap_or_else(|poisoned| poisoned.into_inner())
	}

	fn changed(&self) {
		self.changes.send_modify(|n| *n += 1);
	}

	fn set_health(&self, health: Health) {
		let mut shared = self.write();
		if shared.health != health {
			// An outage keeps the time it began.
			if let (Health::Unreachable { .. }, Health::Unreachable { .. }) =
				(&shared.health, &health)
			{
				return;
			}
			shared.health = health;
			drop(shared);
			self.changed();
		}
	}
}

/// Blocks read at once while catching up.
const READ_AHEAD: usize = 16;

/// Follows the node at `url` for ever: connects (retrying every second
/// while it does not answer), reads every finalized block after the last
/// one indexed, then each new one as the node finalizes it. A block the
/// node answers for but cannot serve (its state pruned) is retried every
/// five seconds, and the pages say why.
pub async fn follow(url: String, state: State) {
	loop {
		let connected = tokio::time::timeout(ANSWER_WITHIN, hypha_client::connect(&url))
			.await
			.map_err(|_| format!("{url} did not answer within 10 s"))
			.and_then(|result| result.map_err(|error| error.to_string()));
		let client = match connected {
			Ok(client) => client,
			Err(error) => {
				tracing::debug!("no node at {url}: {error}");
				state.set_health(Health::Unreachable { since: SystemTime::now(), error });
				tokio::time::sleep(Duration::from_secs(1)).await;
				continue;
			},
		};
		{
			let mut shared = state.write();
			let genesis = client.genesis_hash().0;
			// A node that comes back with another chain (another network
			// behind the same address): start over.
			if shared.genesis.is_some_and(|known| known != genesis) {
				tracing::warn!("the node at {url} serves another chain now: indexing it afresh");
				shared.reset();
			}
			shared.genesis = Some(genesis);
			shared.client = Some(client.clone());
		}
		state.changed();
		let lost = follow_client(&client, &state).await;
		state.write().client = None;
		match lost {
			Lost::Block(number, error) if finalized(&client).await.is_ok() => {
				tracing::warn!("the node at {url} cannot serve block {number}: {error:#}");
				state.set_health(Health::Stuck { block: number, error: format!("{error:#}") });
				tokio::time::sleep(Duration::from_secs(5)).await;
			},
			Lost::Block(_, error) | Lost::Node(error) => {
				tracing::warn!("lost the node at {url}: {error:#}");
				state.set_health(Health::Unreachable {
					since: SystemTime::now(),
					error: format!("{error:#}"),
				});
				tokio::time::sleep(Duration::from_secs(1)).await;
			},
		}
	}
}

/// How long the node has to answer one call.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// Why [`follow_client`] stopped.
enum Lost {
	/// The node did not answer.
	Node(anyhow::Error),
	/// Block `.0` could not be read (the node may still answer: pruned
	/// state, a block it does not have).
	Block(u32, anyhow::Error),
}

/// The node's latest finalized block number.
async fn finalized(client: &Client) -> Result<u32> {
	let at = tokio::time::timeout(ANSWER_WITHIN, client.at_current_block())
		.await
		.context("the node did not answer within 10 s")?
		.context("reading the finalized block")?;
	u32::try_from(at.block_number()).context("block number")
}

/// Whether the node's chain is still the one the index is of: the block
/// the index ended with is still there, with the same hash. A dev chain
/// started afresh keeps its genesis, so the genesis alone cannot tell.
/// `None` when the node cannot say (the old block's state pruned).
async fn same_chain(client: &Client, state: &State, finalized: u32) -> Option<bool> {
	let (last, hash) = {
		let shared = state.read();
		(shared.index.last?, shared.last_hash?)
	};
	if finalized < last.block {
		return Some(false);
	}
	let at = tokio::time::timeout(ANSWER_WITHIN, client.at_block(u64::from(last.block)))
		.await
		.ok()?
		.ok()?;
	Some(at.block_hash().0 == hash)
}

/// Reads every finalized block after the last one indexed, then waits for
/// the node's next finalized head (the subscription only wakes the reader,
/// which reads by number, so a head that jumps several blocks skips none);
/// a node silent for 10 s is asked again, and one that does not answer
/// ends the call.
async fn follow_client(client: &Client, state: &State) -> Lost {
	let subscribed = tokio::time::timeout(ANSWER_WITHIN, client.stream_blocks()).await;
	let mut heads = match subscribed {
		Ok(Ok(heads)) => heads,
		Ok(Err(error)) => return Lost::Node(anyhow::anyhow!("subscribing to blocks: {error}")),
		Err(_) => return Lost::Node(anyhow::anyhow!("the node did not answer within 10 s")),
	};
	let mut checked = false;
	loop {
		let finalized = match finalized(client).await {
			Ok(finalized) => finalized,
			Err(error) => return Lost::Node(error),
		};
		if !checked {
			if same_chain(client, state, finalized).await == Some(false) {
				tracing::warn!("the node's chain is not the one indexed: indexing it afresh");
				state.write().reset();
				state.changed();
			}
			checked = true;
		}
		// A stuck follower says so until the block it is stuck at is read.
		let mut stuck = matches!(state.read().health, Health::Stuck { .. });
		if !stuck {
			state.set_health(Health::Following { finalized });
		}
		let next = state.read().index.last.map_or(1, |last| last.block + 1);
		if next <= finalized {
			let mut blocks = futures::stream::iter(next..=finalized)
				.map(|number| read_block(client, number))
				.buffered(READ_AHEAD);
			while let Some(block) = blocks.next().await {
				let (stamp, hash, events) = match block {
					Ok(block) => block,
					Err(lost) => return lost,
				};
				{
					let mut shared = state.write();
					shared.index.apply(stamp, events);
					shared.last_hash = Some(hash);
					shared.blocks_read += 1;
				}
				state.changed();
				if stuck {
					state.set_health(Health::Following { finalized });
					stuck = false;
				}
			}
		}
		match tokio::time::timeout(ANSWER_WITHIN, heads.next()).await {
			Ok(Some(Ok(_))) | Err(_) => {},
			Ok(Some(Err(error))) => {
				return Lost::Node(anyhow::anyhow!("following the finalized blocks: {error}"))
			},
			Ok(None) => {
				return Lost::Node(anyhow::anyhow!("the node ended the subscription to blocks"))
			},
		}
	}
}

/// The stamp, hash and explorer's events of block `number`.
async fn read_block(client: &Client, number: u32) -> Result<(Stamp, [u8; 32], Vec<Event>), Lost> {
	let read = async {
		let at = client.at_block(u64::from(number)).await?;
		let millis = at.storage().fetch(api::storage().timestamp().now(), ()).await?.decode()?;
		let events = at.events().fetch().await?;
		let mut decoded = decode(&events)?;
		// A submission's spec, from the block that stored it (a record that
		// does not decode leaves the spec unknown; the job is still indexed).
		for event in &mut decoded {
			if let Event::Submitted { job, spec, .. } = event {
				let entry = at.storage().entry(api::storage().jobs().jobs())?;
				if let Some(value) = entry.try_fetch((*job,)).await? {
					match value.decode() {
						Ok(record) => *spec = Some(summary(&record)),
						Err(error) => tracing::warn!("job {job}'s record does not decode: {error}"),
					}
				}
			}
		}
		anyhow::Ok((Stamp { block: number, millis }, at.block_hash().0, decoded))
	};
	match tokio::time::timeout(Duration::from_secs(30), read).await {
		Ok(Ok(block)) => Ok(block),
		Ok(Err(error)) => Err(Lost::Block(number, error)),
		Err(_) => Err(Lost::Node(anyhow::anyhow!("block {number} was not read within 30 s"))),
	}
}

fn summary(job: &hypha_client::Job) -> SpecSummary {
	let spec = &job.spec.0;
	let uri = |uri: &hypha_primitives::Uri| String::from_utf8_lossy(uri).into_owned();
	SpecSummary {
		kind: format!("{:?}", spec.kind),
		compute_units: spec.compute_units,
		program: (spec.program_digest, uri(&spec.program_uri)),
		input: (spec.input_digest, uri(&spec.input_uri)),
		max_output_bytes: spec.max_output_bytes,
		sealed: spec.output_key.is_some(),
		result_window: job.result_window,
	}
}

fn role(role: &api::runtime_types::pallet_stake::interface::Role) -> Role {
	use api::runtime_types::pallet_stake::interface::Role as Chain;
	match role {
		Chain::Provider => Role::Provider,
		Chain::Verifier => Role::Verifier,
	}
}

/// The events of one block that the explorer keeps, in their order.
///
/// An event the explorer cannot decode (a runtime upgrade it was not built
/// for) is logged and skipped, so that one unknown layout does not stop the
/// index at its block.
pub fn decode(events: &Events) -> Result<Vec<Event>> {
	let mut out = Vec::new();
	for event in events.iter() {
		let event = match event {
			Ok(event) => event,
			Err(error) => {
				tracing::warn!("unreadable event bytes; the rest of the block is skipped: {error}");
				break;
			},
		};
		match decode_one(&event) {
			Ok(decoded) => out.extend(decoded),
			Err(error) => tracing::warn!(
				"skipping an event of {}::{} that does not decode (a runtime upgrade this \
				 explorer was not built for?): {error:#}",
				event.pallet_name(),
				event.event_name()
			),
		}
	}
	Ok(out)
}

type ChainEvent<'a> = hypha_client::subxt::events::Event<'a, hypha_client::HyphaConfig>;

fn decode_one(event: &ChainEvent<'_>) -> Result<Option<Event>> {
	use api::stake::events as s;
	Ok(match event.pallet_name() {
		"Jobs" => decode_jobs(event)?,
		"Stake" => {
			if let Some(e) = event.decode_fields_as::<s::ProviderRegistered>().transpose()? {
				Some(Event::Registered { who: e.who, role: Role::Provider, bond: e.bond })
			} else if let Some(e) = event.decode_fields_as::<s::VerifierRegistered>().transpose()? {
				Some(Event::Registered { who: e.who, role: Role::Verifier, bond: e.bond })
			} else if let Some(e) = event.decode_fields_as::<s::Bonded>().transpose()? {
				Some(Event::Bonded { who: e.who, role: role(&e.role), amount: e.amount })
			} else if let Some(e) = event.decode_fields_as::<s::Unbonded>().transpose()? {
				Some(Event::Unbonded { who: e.who, role: role(&e.role), amount: e.amount })
			} else if let Some(e) = event.decode_fields_as::<s::Deregistered>().transpose()? {
				Some(Event::Deregistered { who: e.who, role: role(&e.role) })
			} else if let Some(e) = event.decode_fields_as::<s::VerifierDisplaced>().transpose()? {
				Some(Event::Deregistered { who: e.who, role: Role::Verifier })
			} else if let Some(e) = event.decode_fields_as::<s::StakeSlashed>().transpose()? {
				use api::runtime_types::pallet_stake::pallet::SlashedTo;
				let to = match e.destination {
					SlashedTo::Account(to) => Some(to),
					SlashedTo::Burned => None,
				};
				Some(Event::StakeSlashed { who: e.who, role: role(&e.role), amount: e.amount, to })
			} else if event.decode_fields_as::<s::ParamsSet>().transpose()?.is_some() {
				Some(Event::ParamsChanged)
			} else {
				None
			}
		},
		"Reputation" => event
			.decode_fields_as::<api::reputation::events::OutcomeRecorded>()
			.transpose()?
			.map(|e| Event::Reputation {
				who: e.who,
				outcome: format!("{:?}", e.outcome),
				score_ppm: e.score.0,
			}),
		"Balances" => {
			use api::runtime_types::{hypha_runtime::RuntimeHoldReason, pallet_jobs};
			event
				.decode_fields_as::<api::balances::events::TransferOnHold>()
				.transpose()?
				.filter(|e| {
					matches!(
						e.reason,
						RuntimeHoldReason::Jobs(pallet_jobs::pallet::HoldReason::JobEscrow)
					)
				})
				.map(|e| Event::EscrowPaid { from: e.source, to: e.dest, amount: e.amount })
		},
		_ => None,
	})
}

fn decode_jobs(event: &ChainEvent<'_>) -> Result<Option<Event>> {
	use api::jobs::events as j;
	macro_rules! try_event {
		($ty:ty, |$e:ident| $make:expr) => {
			if let Some($e) = event.decode_fields_as::<$ty>().transpose()? {
				return Ok(Some($make));
			}
		};
	}
	try_event!(j::JobSubmitted, |e| Event::Submitted {
		job: e.job,
		client: e.client,
		budget: e.budget,
		spec: None
	});
	try_event!(j::JobClaimed, |e| Event::Claimed {
		job: e.job,
		provider: e.provider,
		price: e.price,
		collateral: e.collateral,
		deadline: e.deadline
	});
	try_event!(j::ResultCommitted, |e| Event::Committed {
		job: e.job,
		provider: e.provider,
		commitment: e.commitment,
		output_uri: String::from_utf8_lossy(&e.output_uri.0).into_owned()
	});
	try_event!(j::DeadlineMissed, |e| Event::DeadlineMissed {
		job: e.job,
		provider: e.provider,
		slashed: e.slashed
	});
	try_event!(j::JobReopened, |e| Event::Reopened { job: e.job, expires_at: e.expires_at });
	try_event!(j::SamplingDrawn, |e| Event::Sampled {
		job: e.job,
		audited: e.audited,
		probability_ppm: e.probability_ppm
	});
	try_event!(j::AuditAssigned, |e| Event::AuditAssigned {
		job: e.job,
		verifier: e.verifier,
		deadline: e.deadline
	});
	try_event!(j::VerdictSubmitted, |e| Event::Verdict {
		job: e.job,
		verifier: e.verifier,
		agrees: e.agrees
	});
	try_event!(j::VerdictCommitted, |e| Event::VerdictCommitted {
		job: e.job,
		verifier: e.verifier,
		auditor: e.auditor
	});
	try_event!(j::RevealOpened, |e| Event::RevealOpened { job: e.job, deadline: e.deadline });
	try_event!(j::DeliveryReported, |e| Event::DeliveryReported { job: e.job, draw_at: e.draw_at });
	try_event!(j::VerifierAbsent, |e| Event::VerifierAbsent {
		job: e.job,
		verifier: e.verifier,
		slashed: e.slashed
	});
	try_event!(j::DisputeOpened, |e| Event::DisputeOpened {
		job: e.job,
		panel: e.panel,
		deadline: e.deadline
	});
	try_event!(j::VerifierSlashed, |e| Event::VerifierSlashed {
		job: e.job,
		verifier: e.verifier,
		slashed: e.slashed
	});
	try_event!(j::JobSettled, |e| Event::Settled {
		job: e.job,
		provider: e.provider,
		paid: e.paid,
		verifier_fees: e.verifier_fees,
		refunded: e.refunded
	});
	try_event!(j::ProviderSlashed, |e| Event::ProviderSlashed {
		job: e.job,
		provider: e.provider,
		slashed: e.slashed,
		refunded: e.refunded
	});
	try_event!(j::JobRefunded, |e| Event::Refunded { job: e.job, refunded: e.refunded });
	try_event!(j::ParamsUpdated, |_e| Event::ParamsChanged);
	Ok(None)
}

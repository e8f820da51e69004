//! Connecting to a node and getting calls into finalized blocks.

use std::time::{Duration, Instant};

use subxt::error::{DispatchError, TransactionEventsError, TransactionFinalizedSuccessError};
use subxt::transactions::{Payload, TransactionStatus};
use subxt_signer::sr25519::Keypair;

use crate::{Client, Error, HyphaConfig, TxEvents};

/// Connects to a node's JSON-RPC endpoint (`ws://127.0.0.1:9944` for a local
/// node). Plain `ws://` is accepted: nodes usually listen on loopback.
pub async fn connect(url: &str) -> Result<Client, Error> {
	let result = if url.starts_with("ws://") || url.starts_with("http://") {
		Client::from_insecure_url(url).await
	} else {
		Client::from_url(url).await
	};
	result.map_err(|e| Error::Connect { url: url.to_string(), source: Box::new(e.into()) })
}

/// Connects to `url`, retrying every half second for up to `patience` while
/// the node starts (daemons started beside a node use this).
pub async fn connect_with_retry(url: &str, patience: Duration) -> Result<Client, Error> {
	let deadline = Instant::now() + patience;
	loop {
		match connect(url).await {
			Ok(client) => return Ok(client),
			Err(error) if Instant::now() >= deadline => return Err(error),
			Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
		}
	}
}

/// A call the chain refused, or a failure to get it there.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
	/// The runtime rejected the call with a pallet error.
	#[error("the chain refused {call}: {pallet}::{error} ({docs})")]
	Refused {
		/// `Pallet.call` that failed.
		call: String,
		/// The pallet.
		pallet: String,
		/// The error variant's name.
		error: String,
		/// The variant's documentation.
		docs: String,
	},
	/// The call failed with a dispatch error other than a pallet's.
	#[error("the chain refused {call}: {reason}")]
	Dispatch {
		/// `Pallet.call` that failed.
		call: String,
		/// The dispatch error.
		reason: String,
	},
	/// The call never made it into a finalized block.
	#[error("submitting {call} failed: {reason}. Is the node running, and does the account hold enough HYPHA for fees?")]
	Transport {
		/// `Pallet.call` that failed.
		call: String,
		/// What went wrong.
		reason: String,
	},
}

impl ChainError {
	/// The pallet error's name (`JobNotOpen`, ...) if the runtime refused the call.
	pub fn error_name(&self) -> Option<&str> {
		match self {
			ChainError::Refused { error, .. } => Some(error),
			_ => None,
		}
	}
}

fn explain(call: String, error: TransactionFinalizedSuccessError) -> ChainError {
	if let TransactionFinalizedSuccessError::SuccessError(
		TransactionEventsError::ExtrinsicFailed(dispatch),
	) = &error
	{
		if let DispatchError::Module(module) = dispatch {
			if let Ok(details) = module.details() {
				return ChainError::Refused {
					call,
					pallet: details.pallet.name().to_string(),
					error: details.variant.name.clone(),
					docs: details.variant.docs.join(" ").trim().to_string(),
				};
			}
		}
		return ChainError::Dispatch { call, reason: dispatch.to_string() };
	}
	ChainError::Transport { call, reason: error.to_string() }
}

/// Signs `payload` with `signer`, submits it and waits until it is in a
/// finalized block and succeeded; returns its events.
///
/// A call the runtime refuses in a best block still used its nonce there.
/// The refusal is returned once that block (or the block that includes
/// the call after a re-org) is final too, so that the next process that
/// signs for the account, which reads the nonce at the finalized block,
/// does not reuse it and see its call refused as outdated.
pub async fn submit<Call: Payload>(
	client: &Client,
	payload: &Call,
	signer: &Keypair,
) -> Result<TxEvents, ChainError> {
	match submit_watched(client, payload, signer).await {
		Ok(included) => included.finalized().await,
		Err((error, Some(mut progress))) => {
			let settle = async {
				while let Some(status) = progress.next().await {
					match status {
						Ok(
							TransactionStatus::InFinalizedBlock(_)
							| TransactionStatus::Error { .. }
							| TransactionStatus::Invalid { .. }
							| TransactionStatus::Dropped { .. },
						)
						| Err(_) => return,
						Ok(_) => {},
					}
				}
			};
			// Finality comes within a few blocks; a stalled one is no reason
			// to hold the refusal back for long.
			let _ = tokio::time::timeout(Duration::from_secs(60), settle).await;
			Err(error)
		},
		Err((error, None)) => Err(error),
	}
}

/// The next nonce this process hands out, per signer (see [`submit_in_block`]).
static NEXT_NONCE: tokio::sync::Mutex<Option<([u8; 32], u64)>> =
	tokio::sync::Mutex::const_new(None);

/// The progress subxt reports for one submitted transaction.
type Progress = subxt::transactions::TransactionProgress<
	HyphaConfig,
	subxt::client::OnlineClientAtBlockImpl<HyphaConfig>,
>;

/// A call that succeeded in a block of the best chain, not final yet: a
/// re-org may still drop it ([`Included::finalized`] says).
pub struct Included {
	/// Its events in that block.
	pub events: TxEvents,
	/// The block that included it: read the state it made there
	/// (`client.at_block(included.block)`).
	pub block: subxt::config::substrate::H256,
	progress: Progress,
	/// Whether the block that included it was already final when it was
	/// reported (the node then reports nothing more).
	is_final: bool,
	call: String,
}

impl Included {
	/// Waits until the call is in a finalized block (the one that included
	/// it, or another after a re-org) and succeeded there; returns its
	/// events. An error means the call is not part of the chain: dropped
	/// by a re-org and not included again, or failed where it landed.
	pub async fn finalized(mut self) -> Result<TxEvents, ChainError> {
		if self.is_final {
			return Ok(self.events);
		}
		let call = self.call;
		let transport = |reason: String| ChainError::Transport { call: call.clone(), reason };
		while let Some(status) = self.progress.next().await {
			match status.map_err(|e| transport(e.to_string()))? {
				TransactionStatus::InFinalizedBlock(at) => {
					return succeeded(&call, at, true).await.map(|(events, ..)| events);
				},
				TransactionStatus::Error { message }
				| TransactionStatus::Invalid { message }
				| TransactionStatus::Dropped { message } => {
					// Its nonce may be unused now: ask the chain next time.
					*NEXT_NONCE.lock().await = None;
					return Err(transport(message));
				},
				_ => {},
			}
		}
		*NEXT_NONCE.lock().await = None;
		Err(transport("the node stopped reporting on the transaction".into()))
	}
}

/// The events of a call in the block `at`, if it succeeded there, with that
/// block and whether it is final.
async fn succeeded(
	call: &str,
	at: subxt::transactions::TransactionInBlock<
		HyphaConfig,
		subxt::client::OnlineClientAtBlockImpl<HyphaConfig>,
	>,
	is_final: bool,
) -> Result<(TxEvents, subxt::config::substrate::H256, bool), ChainError> {
	let block = at.block_hash();
	match at.wait_for_success().await {
		Ok(events) => Ok((events, block, is_final)),
		Err(error) => {
			Err(explain(call.to_string(), TransactionFinalizedSuccessError::SuccessError(error)))
		},
	}
}

/// Signs `payload` with `signer`, submits it and waits until a block of the
/// best chain includes it, with success; returns its events there and a
/// handle that waits for its finality. A daemon acts on inclusion (starts
/// computing on a claim) and checks finality in the background.
pub async fn submit_in_block<Call: Payload>(
	client: &Client,
	payload: &Call,
	signer: &Keypair,
) -> Result<Included, ChainError> {
	submit_watched(client, payload, signer).await.map_err(|(error, _)| error)
}

/// [`submit_in_block`], with the transaction's progress when the runtime
/// refused it in a block that is not final yet.
async fn submit_watched<Call: Payload>(
	client: &Client,
	payload: &Call,
	signer: &Keypair,
) -> Result<Included, (ChainError, Option<Progress>)> {
	// A daemon may have transactions in flight (commitments, claims) while
	// it signs the next. subxt takes the nonce from the chain's state, which
	// does not count transactions still in the pool, so the second would
	// reuse the first's nonce and be refused as outdated. Nonces are
	// therefore handed out here, one signing at a time per process: the
	// larger of the chain's nonce and the one after the last submitted, so
	// one daemon's calls pipeline through consecutive nonces.
	let call = format!("{}.{}", payload.pallet_name(), payload.call_name());
	let transport = |reason: String| ChainError::Transport { call: call.clone(), reason };
	let account = signer.public_key().0;
	let submitted = {
		let mut next = NEXT_NONCE.lock().await;
		let mut tx = client.tx().await.map_err(|e| (transport(e.to_string()), None))?;
		let on_chain = tx
			.account_nonce(&account.into())
			.await
			.map_err(|e| (transport(e.to_string()), None))?;
		let nonce = match *next {
			Some((who, pending)) if who == account => pending.max(on_chain),
			_ => on_chain,
		};
		let params = subxt::config::polkadot::PolkadotExtrinsicParamsBuilder::<HyphaConfig>::new()
			.nonce(nonce)
			.build();
		let submitted = tx.sign_and_submit_then_watch(payload, signer, params).await;
		*next = submitted.is_ok().then_some((account, nonce + 1));
		submitted
	};
	let mut progress = submitted.map_err(|e| (transport(e.to_string()), None))?;
	let mut last_status = None;
	let result = loop {
		let Some(status) = progress.next().await else {
			break Err(transport("the node stopped reporting on the transaction".into()));
		};
		match status {
			Err(error) => break Err(transport(error.to_string())),
			Ok(TransactionStatus::InBestBlock(at)) => {
				last_status = Some(Landed::Best);
				break succeeded(&call, at, false).await;
			},
			Ok(TransactionStatus::InFinalizedBlock(at)) => {
				last_status = Some(Landed::Final);
				break succeeded(&call, at, true).await;
			},
			Ok(
				TransactionStatus::Error { message }
				| TransactionStatus::Invalid { message }
				| TransactionStatus::Dropped { message },
			) => break Err(transport(message)),
			Ok(_) => {},
		}
	};
	match result {
		Ok((events, block, is_final)) => Ok(Included { events, block, progress, is_final, call }),
		Err(error) => {
			if matches!(error, ChainError::Transport { .. }) {
				// The transaction may never make it: ask the chain next time.
				*NEXT_NONCE.lock().await = None;
				return Err((error, None));
			}
			// Refused in a block: its nonce is used in that block.
			let in_best_block = !matches!(last_status, Some(Landed::Final));
			Err((error, in_best_block.then_some(progress)))
		},
	}
}

/// Where a call landed when its result was read.
enum Landed {
	Best,
	Final,
}

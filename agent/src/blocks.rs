//! Following blocks, each with its events: what both daemons react to.
//!
//! Two streams: [`FinalizedBlocks`], the blocks GRANDPA finalized (what the
//! daemons count: earnings, slashes, ends of jobs), and [`BestBlocks`], the
//! blocks of the best chain as they are imported (what they act on: a new
//! job, an audit assigned), a few blocks before they are final. An action
//! taken on a best block that a re-org later drops fails on chain, or is
//! checked against the chain before it costs anything (the worker's
//! pipeline reads the job again before committing).

use futures::StreamExt;
use hypha_client::subxt::config::substrate::H256;
use hypha_client::{Client, Events};

/// One block: its number, hash and events.
pub struct FollowedBlock {
	/// The block number.
	pub number: u32,
	/// Its hash: read the state as of this block with
	/// `client.at_block(hash)` or `hypha_client::query::job_at`.
	pub hash: H256,
	/// Its events.
	pub events: Events,
}

/// The finalized block type of earlier releases of this module.
pub type FinalizedBlock = FollowedBlock;

/// Why a block could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BlockError {
	/// The subscription or an event query failed (a node restart, a pruned
	/// block); the next block may be fine.
	#[error("reading a block: {0}")]
	Read(String),
}

type Stream =
	std::pin::Pin<Box<dyn futures::Stream<Item = Result<FollowedBlock, BlockError>> + Send>>;

fn with_events(blocks: hypha_client::subxt::client::Blocks<hypha_client::HyphaConfig>) -> Stream {
	Box::pin(blocks.then(|block| async move {
		let block = block.map_err(|e| BlockError::Read(e.to_string()))?;
		let number = u32::try_from(block.number())
			.map_err(|_| BlockError::Read("block number out of range".into()))?;
		let hash = block.hash();
		let at = block.at().await.map_err(|e| BlockError::Read(e.to_string()))?;
		let events = at.events().fetch().await.map_err(|e| BlockError::Read(e.to_string()))?;
		Ok(FollowedBlock { number, hash, events })
	}))
}

/// The finalized blocks from now on.
pub struct FinalizedBlocks {
	stream: Stream,
}

impl FinalizedBlocks {
	/// Subscribes to `client`'s finalized blocks.
	pub async fn subscribe(client: &Client) -> Result<Self, BlockError> {
		let blocks = client.stream_blocks().await.map_err(|e| BlockError::Read(e.to_string()))?;
		Ok(Self { stream: with_events(blocks) })
	}

	/// The next finalized block; `None` when the node closed the subscription.
	pub async fn next(&mut self) -> Option<Result<FollowedBlock, BlockError>> {
		self.stream.next().await
	}
}

/// The blocks of the best chain from now on, as the node imports them
/// (after a re-org, the new best block: blocks of the old fork are not
/// announced again).
pub struct BestBlocks {
	stream: Stream,
}

impl BestBlocks {
	/// Subscribes to `client`'s best blocks.
	pub async fn subscribe(client: &Client) -> Result<Self, BlockError> {
		let blocks =
			client.stream_best_blocks().await.map_err(|e| BlockError::Read(e.to_string()))?;
		Ok(Self { stream: with_events(blocks) })
	}

	/// The next best block; `None` when the node closed the subscription.
	pub async fn next(&mut self) -> Option<Result<FollowedBlock, BlockError>> {
		self.stream.next().await
	}
}

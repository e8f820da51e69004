//! Following finalized blocks, each with its events: what both daemons
//! react to.

use futures::StreamExt;
use hypha_client::{Client, Events};

/// One finalized block: its number and events.
pub struct FinalizedBlock {
	/// The block number.
	pub number: u32,
	/// Its events.
	pub events: Events,
}

/// Why a block could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BlockError {
	/// The subscription or an event query failed (a node restart, a pruned
	/// block); the next block may be fine.
	#[error("reading a finalized block: {0}")]
	Read(String),
}

/// The finalized blocks from now on.
pub struct FinalizedBlocks {
	stream:
		std::pin::Pin<Box<dyn futures::Stream<Item = Result<FinalizedBlock, BlockError>> + Send>>,
}

impl FinalizedBlocks {
	/// Subscribes to `client`'s finalized blocks.
	pub async fn subscribe(client: &Client) -> Result<Self, BlockError> {
		let blocks = client.stream_blocks().await.map_err(|e| BlockError::Read(e.to_string()))?;
		let stream = blocks.then(|block| async move {
			let block = block.map_err(|e| BlockError::Read(e.to_string()))?;
			let number = u32::try_from(block.number())
				.map_err(|_| BlockError::Read("block number out of range".into()))?;
			let at = block.at().await.map_err(|e| BlockError::Read(e.to_string()))?;
			let events = at.events().fetch().await.map_err(|e| BlockError::Read(e.to_string()))?;
			Ok(FinalizedBlock { number, events })
		});
		Ok(Self { stream: Box::pin(stream) })
	}

	/// The next finalized block; `None` when the node closed the subscription.
	pub async fn next(&mut self) -> Option<Result<FinalizedBlock, BlockError>> {
		self.stream.next().await
	}
}

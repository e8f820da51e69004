//! RPC methods beyond the standard set: account nonces (`system_accountNextIndex`)
//! and fee queries (`payment_queryInfo`), which wallets and subxt use, and
//! `babe_epochAuthorship` (the slots this node's keys may claim this epoch;
//! an unsafe method, refused on a public RPC port).

use std::sync::Arc;

use hypha_runtime::{opaque::Block, AccountId, Balance, Nonce};
use jsonrpsee::RpcModule;
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_block_builder::BlockBuilder;
use sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata};

/// What the RPC methods need.
pub struct FullDeps<C, P, SC> {
	/// The client.
	pub client: Arc<C>,
	/// The transaction pool.
	pub pool: Arc<P>,
	/// BABE's worker, which knows the epochs.
	pub babe_worker: sc_consensus_babe::BabeWorkerHandle<Block>,
	/// The node's keystore (its BABE keys).
	pub keystore: sp_keystore::KeystorePtr,
	/// The best-chain rule.
	pub select_chain: SC,
}

/// The RPC module with Hypha's extra methods.
pub fn create_full<C, P, SC>(
	deps: FullDeps<C, P, SC>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ HeaderMetadata<Block, Error = BlockChainError>
		+ Send
		+ Sync
		+ 'static,
	C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>
		+ pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>
		+ BlockBuilder<Block>
		+ sp_consensus_babe::BabeApi<Block>,
	P: TransactionPool + 'static,
	SC: sp_consensus::SelectChain<Block> + Clone + 'static,
{
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use sc_consensus_babe_rpc::{Babe, BabeApiServer};
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let mut module = RpcModule::new(());
	let FullDeps { client, pool, babe_worker, keystore, select_chain } = deps;
	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client.clone()).into_rpc())?;
	module.merge(Babe::new(client, babe_worker, keystore, select_chain).into_rpc())?;
	Ok(module)
}

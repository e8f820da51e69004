//! # Governance Pallet
//!
//! What Hypha's referenda need besides polkadot-sdk's own pallets (Referenda,
//! ConvictionVoting, Scheduler, Preimage), runtime name `Governance`:
//!
//! - **The `MarketParams` origin.** A referendum on the *market parameters*
//!   track dispatches its call with this origin, and the marketplace pallets
//!   (`Jobs::set_params`, `Stake::set_params`, and `Models::deprecate`) accept it (besides root). It
//!   can do nothing else: a parameter change cannot upgrade the runtime or
//!   move funds. [`EnsureMarketParams`] checks it.
//! - **Track timings per chain.** How long a referendum prepares, is decided,
//!   confirms and waits for enactment, per track ([`TrackId`]). They live in
//!   storage, set at genesis, so that one runtime serves dev chains (a few
//!   blocks) and the local testnet (hours and days) alike. Unset, they are
//!   [`TrackTimings::realistic`].
//!
//! There are no calls: timings change by runtime upgrade or by root through
//! `System::set_storage`, which is a root-track referendum on a live chain.
#![cfg_attr(not(feature = "std"), no_std)]

pub use pallet::*;

#[cfg(test)]
mod tests;

/// The tracks of Hypha's referenda.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub enum TrackId {
	/// Anything root can do, runtime upgrades included.
	Root = 0,
	/// Changes of the marketplace parameters only.
	MarketParams = 1,
}

#[frame_support::pallet]
pub mod pallet {
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::BlockNumberFor;

	/// How long the phases of a referendum on one track last, in blocks.
	#[derive(
		Clone,
		Copy,
		Debug,
		PartialEq,
		Eq,
		Encode,
		Decode,
		DecodeWithMemTracking,
		TypeInfo,
		MaxEncodedLen,
		serde::Serialize,
		serde::Deserialize,
	)]
	#[serde(rename_all = "camelCase", deny_unknown_fields)]
	pub struct TrackTimings<BlockNumber> {
		/// From submission until it may be decided (needs its decision deposit too).
		pub prepare_period: BlockNumber,
		/// How long it may be decided before it is rejected.
		pub decision_period: BlockNumber,
		/// How long it must keep passing before it is approved.
		pub confirm_period: BlockNumber,
		/// Shortest wait between approval and enactment.
		pub min_enactment_period: BlockNumber,
	}

	impl<BlockNumber: From<u32>> TrackTimings<BlockNumber> {
		/// Live-network timings at one-second blocks: `MarketParams` prepares
		/// for an hour, is decided within three days, confirms for an hour
		/// and is enacted after ten minutes; `Root` takes twice as long in
		/// every phase.
		pub fn realistic(track: crate::TrackId) -> Self {
			const HOUR: u32 = 3_600;
			let factor = match track {
				crate::TrackId::Root => 2,
				crate::TrackId::MarketParams => 1,
			};
			TrackTimings {
				prepare_period: (factor * HOUR).into(),
				decision_period: (factor * 72 * HOUR).into(),
				confirm_period: (factor * HOUR).into(),
				min_enactment_period: (factor * 600).into(),
			}
		}
	}

	/// Timings with the runtime's block number.
	pub type TimingsOf<T> = TrackTimings<BlockNumberFor<T>>;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {}

	/// The origins this pallet adds.
	#[pallet::origin]
	#[derive(
		Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
	)]
	pub enum Origin {
		/// A passed referendum of the market parameters track.
		MarketParams,
	}

	/// Timings of the `Root` track.
	#[pallet::storage]
	pub type RootTimings<T: Config> = StorageValue<_, TimingsOf<T>, ValueQuery, RealisticRoot<T>>;

	/// Timings of the `MarketParams` track.
	#[pallet::storage]
	pub type MarketParamsTimings<T: Config> =
		StorageValue<_, TimingsOf<T>, ValueQuery, RealisticMarketParams<T>>;

	/// Default of [`RootTimings`].
	pub struct RealisticRoot<T>(core::marker::PhantomData<T>);
	impl<T: Config> Get<TimingsOf<T>> for RealisticRoot<T> {
		fn get() -> TimingsOf<T> {
			TrackTimings::realistic(crate::TrackId::Root)
		}
	}

	/// Default of [`MarketParamsTimings`].
	pub struct RealisticMarketParams<T>(core::marker::PhantomData<T>);
	impl<T: Config> Get<TimingsOf<T>> for RealisticMarketParams<T> {
		fn get() -> TimingsOf<T> {
			TrackTimings::realistic(crate::TrackId::MarketParams)
		}
	}

	/// Per-chain timings; `None` keeps the realistic defaults.
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Timings of the `Root` track.
		pub root: Option<TimingsOf<T>>,
		/// Timings of the `MarketParams` track.
		pub market_params: Option<TimingsOf<T>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(timings) = self.root {
				RootTimings::<T>::put(timings);
			}
			if let Some(timings) = self.market_params {
				MarketParamsTimings::<T>::put(timings);
			}
		}
	}

	impl<T: Config> Pallet<T> {
		/// The timings of `track`.
		pub fn timings(track: crate::TrackId) -> TimingsOf<T> {
			match track {
				crate::TrackId::Root => RootTimings::<T>::get(),
				crate::TrackId::MarketParams => MarketParamsTimings::<T>::get(),
			}
		}
	}
}

/// Succeeds for the [`Origin::MarketParams`] origin only.
pub struct EnsureMarketParams;
impl<O> frame_support::traits::EnsureOrigin<O> for EnsureMarketParams
where
	O: Into<Result<Origin, O>> + From<Origin>,
{
	type Success = ();

	fn try_origin(o: O) -> Result<Self::Success, O> {
		o.into().map(|origin| match origin {
			Origin::MarketParams => (),
		})
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn try_successful_origin() -> Result<O, ()> {
		Ok(O::from(Origin::MarketParams))
	}
}

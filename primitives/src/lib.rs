//! Types shared by every Verity crate: the runtime, the node and the off-chain services.
//!
//! Everything here is `no_std` so that it compiles into the wasm runtime unchanged.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod attestation;
pub mod events;
pub mod inference;
pub mod registry;
#[cfg(feature = "std")]
pub mod testing;
pub mod x402;

use sp_runtime::{
	generic,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiSignature,
};

/// An index to a block.
pub type BlockNumber = u32;

/// Signature of a transaction (sr25519, ed25519 or ecdsa).
pub type Signature = MultiSignature;

/// An account on chain: the public key of the account's signing scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;

/// A balance of the native token or of a `pallet-assets` asset, in its smallest unit.
pub type Balance = u128;

/// The number of transactions an account has sent.
pub type Nonce = u32;

/// A hash of some data used by the chain.
pub type Hash = sp_core::H256;

/// The identifier of a `pallet-assets` asset.
pub type AssetId = u32;

/// Milliseconds since the unix epoch, as kept by `pallet-timestamp`.
pub type Moment = u64;

/// Block header type.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;

/// The opaque block type: what the node needs to know about a block without knowing the runtime.
pub type OpaqueBlock = generic::Block<Header, sp_runtime::OpaqueExtrinsic>;

/// Token metadata of the native currency.
pub mod currency {
	use super::Balance;

	/// Decimal places of the native token.
	pub const DECIMALS: u8 = 12;
	/// Ticker of the native token.
	pub const SYMBOL: &str = "VRT";
	/// One whole native token in its smallest unit.
	pub const UNIT: Balance = 10u128.pow(DECIMALS as u32);
	/// One thousandth of a token.
	pub const MILLI_UNIT: Balance = UNIT / 1_000;
	/// One millionth of a token.
	pub const MICRO_UNIT: Balance = UNIT / 1_000_000;
	/// The smallest balance an account may hold; below it the account is reaped.
	pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;
}

/// The stable-value asset created in the development genesis, in which x402 payments can be made.
pub mod stable_asset {
	use super::{AssetId, Balance};

	/// Asset id of the stable asset in the development and test presets.
	pub const ID: AssetId = 1;
	/// Display name.
	pub const NAME: &str = "Verity USD";
	/// Ticker.
	pub const SYMBOL: &str = "vUSD";
	/// Decimal places.
	pub const DECIMALS: u8 = 6;
	/// One whole unit of the asset.
	pub const UNIT: Balance = 10u128.pow(DECIMALS as u32);
	/// Minimum balance of an account holding the asset.
	pub const MIN_BALANCE: Balance = UNIT / 100;
}

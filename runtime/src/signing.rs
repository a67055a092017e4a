//! Building signed extrinsics natively, for the node's tests and the off-chain crates.
//!
//! This is exactly what a wallet does: fill in the transaction extensions, sign the
//! [`SignedPayload`] with the account's key, and wrap call, address, signature and extensions
//! into an [`UncheckedExtrinsic`].

use codec::Encode;
use sp_core::{sr25519, Pair};
use sp_runtime::generic::Era;

use crate::{
	Address, Balance, Hash, Nonce, Runtime, RuntimeCall, Signature, SignedPayload, TxExtension,
	UncheckedExtrinsic, VERSION,
};

/// The transaction extensions of an immortal transaction with the given nonce and tip.
pub fn tx_extension(nonce: Nonce, tip: Balance) -> TxExtension {
	(
		frame_system::AuthorizeCall::<Runtime>::new(),
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(Era::Immortal),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(tip),
		frame_metadata_hash_extension::CheckMetadataHash::<Runtime>::new(false),
		frame_system::WeightReclaim::<Runtime>::new(),
	)
}

/// Signs `call` as the sr25519 account `signer`, with the given nonce, for the chain whose
/// genesis hash is `genesis_hash`, running this runtime's version. The transaction is immortal
/// and pays no tip.
pub fn sign_extrinsic(
	signer: &sr25519::Pair,
	call: RuntimeCall,
	nonce: Nonce,
	genesis_hash: Hash,
) -> UncheckedExtrinsic {
	sign_extrinsic_for_version(
		signer,
		call,
		nonce,
		genesis_hash,
		(VERSION.spec_version, VERSION.transaction_version),
	)
}

/// [`sign_extrinsic`] for a chain running `(spec_version, transaction_version)`, as read from
/// the chain (after a runtime upgrade it differs from the one compiled in).
pub fn sign_extrinsic_for_version(
	signer: &sr25519::Pair,
	call: RuntimeCall,
	nonce: Nonce,
	genesis_hash: Hash,
	(spec_version, transaction_version): (u32, u32),
) -> UncheckedExtrinsic {
	let tx_ext = tx_extension(nonce, 0);
	// The implicit data every extension adds to what is signed, in the tuple's order.
	let implicit = (
		(),
		(),
		spec_version,
		transaction_version,
		genesis_hash,
		genesis_hash,
		(),
		(),
		(),
		None,
		(),
	);
	let payload = SignedPayload::from_raw(call.clone(), tx_ext.clone(), implicit);
	let signature = payload.using_encoded(|bytes| signer.sign(bytes));
	let signer_account: sp_runtime::AccountId32 = signer.public().into();
	UncheckedExtrinsic::new_signed(
		call,
		Address::Id(signer_account),
		Signature::Sr25519(signature),
		tx_ext,
	)
}

/// The SCALE bytes of a signed extrinsic, as `author_submitExtrinsic` takes them.
pub fn encode_extrinsic(extrinsic: &UncheckedExtrinsic) -> Vec<u8> {
	extrinsic.encode()
}

//! Job dispatch: what a validator's off-chain worker sends an executor, and the key it signs
//! with. The executor checks the signature against the chain's dispatcher set
//! (`Inference::Dispatchers`) before it runs anything. See `docs/dispatch.md`.

use alloc::{format, string::String, vec::Vec};
use codec::{Decode, Encode};
use scale_info::TypeInfo;
use sp_core::{crypto::KeyTypeId, H256};

use crate::inference::{JobId, JobInput, ModelId, VerificationMode};

/// Key type of validators' dispatch keys (`verity-node key insert --key-type vdsp --scheme ed25519`).
pub const DISPATCH_KEY_TYPE: KeyTypeId = KeyTypeId(*b"vdsp");

/// The dispatch key: ed25519, so that a dispatch message signs to the same bytes every time.
pub mod crypto {
	use sp_application_crypto::{app_crypto, ed25519};
	app_crypto!(ed25519, super::DISPATCH_KEY_TYPE);
}

/// A validator's dispatch key.
pub type DispatchKey = crypto::Public;
/// A dispatch key's signature.
pub type DispatchSignature = crypto::Signature;

/// Domain of dispatch messages: the first bytes of every signed message.
pub const DISPATCH_DOMAIN: &[u8] = b"verity/dispatch/v1";

/// The fixed message a dispatching validator POSTs to an executor's endpoint.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct Dispatch<AccountId, BlockNumber> {
	/// Genesis hash of the chain the job is on.
	pub genesis_hash: H256,
	/// The job.
	pub job_id: JobId,
	/// The executor it is assigned to.
	pub executor: AccountId,
	/// The model.
	pub model: ModelId,
	/// The tier.
	pub mode: VerificationMode,
	/// The input.
	pub input: JobInput,
	/// BLAKE2-256 of the input.
	pub input_hash: H256,
	/// The last block at which a result is accepted.
	pub deadline: BlockNumber,
	/// Which attempt this is (1 for the first).
	pub attempt: u32,
	/// The dispatching validator's key.
	pub dispatcher: DispatchKey,
}

impl<AccountId: Encode, BlockNumber: Encode> Dispatch<AccountId, BlockNumber> {
	/// The bytes the dispatcher signs: SCALE of `(DISPATCH_DOMAIN, self)`.
	pub fn signing_payload(&self) -> Vec<u8> {
		(DISPATCH_DOMAIN, self).encode()
	}

	/// The HTTP body: `{"dispatch":"0x<SCALE>","signature":"0x<64 bytes>"}`.
	pub fn http_body(&self, signature: &DispatchSignature) -> Vec<u8> {
		format!(
			"{{\"dispatch\":\"0x{}\",\"signature\":\"0x{}\"}}",
			hex(&self.encode()),
			hex(signature.as_ref())
		)
		.into_bytes()
	}
}

fn hex(bytes: &[u8]) -> String {
	const DIGITS: &[u8; 16] = b"0123456789abcdef";
	let mut out = String::with_capacity(bytes.len() * 2);
	for byte in bytes {
		out.push(DIGITS[(byte >> 4) as usize] as char);
		out.push(DIGITS[(byte & 0xf) as usize] as char);
	}
	out
}

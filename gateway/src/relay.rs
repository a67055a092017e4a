//! The gateway's relayer: submits paid jobs (`inference.submit_paid`) with its own key, which
//! pays the transaction fees, through the one [`Submitter`] of that key (one transaction in
//! flight; paid jobs that arrive meanwhile share the next, each dispatched on its own).

use verity_client::{
	chain::{Call, Chain, AccountKey, SubmitError, Submitted},
	submitter::Submitter,
};
use verity_primitives::{inference::JobSpec, AccountId, BlockNumber};
use verity_x402::ChainPayload;

/// The handle to the relayer.
#[derive(Clone)]
pub struct Relay {
	submitter: Submitter,
}

impl Relay {
	/// Starts the relayer for `key` on `chain`.
	pub fn start(chain: Chain, key: AccountKey) -> Self {
		Self { submitter: Submitter::start(chain, key) }
	}

	/// The relayer's account, which pays the fees.
	pub fn account(&self) -> AccountId {
		self.submitter.account().clone()
	}

	/// Submits a paid job: the call's events (with the new job's id), or why not.
	pub async fn submit_paid(
		&self,
		spec: &JobSpec<BlockNumber>,
		salt: &[u8; 32],
		payment: &ChainPayload,
	) -> Result<Submitted, SubmitError> {
		self.submitter.submit(Call::submit_paid(spec, salt, &payment.authorization, &payment.signature)).await
	}
}

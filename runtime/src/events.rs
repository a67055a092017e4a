//! The runtime's events as off-chain services act on them ([`verity_primitives::events`]):
//! typed here, where the events' own types are known, so that no client decodes raw
//! `System::Events` or compares pallet and event names, and a runtime upgrade that changes an
//! event changes this mapping in the same build.

use alloc::vec::Vec;
use frame_system::{EventRecord, Phase};
use verity_primitives::events::{CallError, CallOutcome, ChainEvent, ExtrinsicOutcome, Refusal};

use crate::{AccountId, Hash, RuntimeEvent, System};

/// The [`ChainEvent`] an event maps to, if off-chain services act on it.
fn chain_event(event: &RuntimeEvent) -> Option<ChainEvent<AccountId>> {
	use pallet_verity_inference::Event as Inference;
	Some(match event {
		RuntimeEvent::Inference(Inference::JobSubmitted { job, .. }) => ChainEvent::JobSubmitted { job: *job },
		RuntimeEvent::Inference(Inference::JobAssigned { job, executor, .. }) =>
			ChainEvent::JobAssigned { job: *job, executor: executor.clone() },
		RuntimeEvent::Inference(Inference::AssignmentFailed { job, .. }) => ChainEvent::JobFailed { job: *job },
		RuntimeEvent::Inference(Inference::JobStarted { job, .. }) => ChainEvent::JobStarted { job: *job },
		RuntimeEvent::Inference(Inference::JobCompleted { job, .. }) => ChainEvent::JobCompleted { job: *job },
		RuntimeEvent::Inference(Inference::ResultProvisional { job, .. }) =>
			ChainEvent::ResultProvisional { job: *job },
		RuntimeEvent::Inference(Inference::ResultOverturned { job, .. }) =>
			ChainEvent::ResultOverturned { job: *job },
		RuntimeEvent::Inference(Inference::JobFailed { job, .. }) => ChainEvent::JobFailed { job: *job },
		RuntimeEvent::Inference(Inference::JobExpired { job, .. }) => ChainEvent::JobExpired { job: *job },
		RuntimeEvent::Inference(Inference::JobCancelled { job, .. }) => ChainEvent::JobCancelled { job: *job },
		RuntimeEvent::Attestation(pallet_verity_attestation::Event::EnclaveRegistered { executor, .. }) =>
			ChainEvent::EnclaveRegistered { executor: executor.clone() },
		RuntimeEvent::X402(pallet_verity_x402::Event::Settled { payer, .. }) =>
			ChainEvent::PaymentSettled { payer: payer.clone() },
		RuntimeEvent::X402(pallet_verity_x402::Event::SpentOnJob { payer, nonce, .. }) =>
			ChainEvent::PaymentSpentOnJob { payer: payer.clone(), nonce: *nonce },
		_ => return None,
	})
}

/// What a refused call means to its caller: a payment's x402 reason, or busy executors.
pub fn refusal_of(error: &sp_runtime::DispatchError) -> Refusal {
	if let Some(reason) = crate::payment_error_of(error) {
		Refusal::Payment(reason)
	} else if matches!(
		crate::RuntimeError::from_dispatch_error(*error),
		Some(crate::RuntimeError::Inference(
			pallet_verity_inference::Error::NoEligibleExecutor | pallet_verity_inference::Error::AssignmentQueueFull
		))
	) {
		Refusal::ExecutorsBusy
	} else {
		Refusal::Other
	}
}

/// A failed call's error and what it means to the caller.
pub fn call_error(error: sp_runtime::DispatchError) -> CallError {
	CallError { refusal: refusal_of(&error), error }
}

fn records() -> impl Iterator<Item = alloc::boxed::Box<EventRecord<RuntimeEvent, Hash>>> {
	System::read_events_no_consensus()
}

/// [`verity_primitives::events::EventsApi::events`].
pub fn events() -> Vec<(Option<u32>, ChainEvent<AccountId>)> {
	records()
		.filter_map(|record| {
			let extrinsic = match record.phase {
				Phase::ApplyExtrinsic(index) => Some(index),
				_ => None,
			};
			Some((extrinsic, chain_event(&record.event)?))
		})
		.collect()
}

/// [`verity_primitives::events::EventsApi::extrinsic_outcome`]: a `utility.force_batch` is
/// split at its `ItemCompleted`/`ItemFailed` events, each item's events before its marker.
pub fn extrinsic_outcome(index: u32) -> Option<ExtrinsicOutcome<AccountId>> {
	let mut items: Vec<CallOutcome<AccountId>> = Vec::new();
	let mut pending = Vec::new();
	let mut batched = false;
	for record in records().filter(|record| matches!(record.phase, Phase::ApplyExtrinsic(i) if i == index)) {
		match record.event {
			RuntimeEvent::System(frame_system::Event::ExtrinsicFailed { dispatch_error, .. }) =>
				return Some(ExtrinsicOutcome::Failed(call_error(dispatch_error))),
			RuntimeEvent::System(frame_system::Event::ExtrinsicSuccess { .. }) => {
				if !batched {
					items.push(Ok(core::mem::take(&mut pending)));
				}
				return Some(ExtrinsicOutcome::Dispatched(items));
			},
			RuntimeEvent::Utility(pallet_utility::Event::ItemCompleted) => {
				batched = true;
				items.push(Ok(core::mem::take(&mut pending)));
			},
			RuntimeEvent::Utility(pallet_utility::Event::ItemFailed { error }) => {
				batched = true;
				pending.clear();
				items.push(Err(call_error(error)));
			},
			ref event => pending.extend(chain_event(event)),
		}
	}
	None
}

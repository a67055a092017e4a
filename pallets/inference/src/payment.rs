//! The x402 binding of `submit_paid`: the checks that a payment authorization pays exactly for
//! a job, its use, and the x402 reasons of refused payments. The `check_paid_job` runtime API
//! runs the same [`Pallet::do_submit_paid`], dry.

use crate::*;

impl<T> Error<T> {
	/// The x402 reason of a refused job payment, where the error is about the payment.
	pub fn payment_error(&self) -> Option<PaymentError> {
		match self {
			Error::PaymentNotForJob => Some(PaymentError::InvalidPayload),
			Error::PaymentRecipientMismatch => Some(PaymentError::RecipientMismatch),
			Error::PaymentAssetMismatch => Some(PaymentError::AssetMismatch),
			Error::PaymentValueMismatch => Some(PaymentError::ValueMismatch),
			Error::InsufficientBalance => Some(PaymentError::InsufficientFunds),
			Error::Payment(error) => Some(*error),
			_ => None,
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Checks that `authorization` pays exactly for `spec`, uses it up, and submits the job
	/// for its payer, with the storage deposit held from `relayer` (`None`: the dry run of
	/// `check_paid_job`, which holds none). Atomic within the calling extrinsic: a job that
	/// cannot be submitted leaves the authorization unused.
	pub fn do_submit_paid(
		relayer: Option<T::AccountId>,
		spec: JobSpecOf<T>,
		salt: [u8; 32],
		authorization: PaymentAuthorizationOf<T>,
		signature: PaymentSignatureOf<T>,
	) -> Result<JobId, DispatchError> {
		ensure!(authorization.nonce == job_nonce(&spec, &salt), Error::<T>::PaymentNotForJob);
		ensure!(authorization.to == T::EscrowBinding::get(), Error::<T>::PaymentRecipientMismatch);
		let terms = T::Models::terms_in(&spec.model, spec.mode, &authorization.asset)
			.ok_or(Error::<T>::UnknownModel)?;
		let price = match (terms.price, terms.model_asset_price) {
			(Some(price), _) => price,
			(None, Some(_)) => return Err(Error::<T>::PaymentAssetMismatch.into()),
			(None, None) => return Err(Error::<T>::TierNotOffered.into()),
		};
		ensure!(
			authorization.value == price.saturating_add(spec.max_fee),
			Error::<T>::PaymentValueMismatch
		);
		T::Payments::consume(&authorization, &signature).map_err(Error::<T>::Payment)?;
		Self::submit_on_terms(authorization.from.clone(), relayer, spec, terms)
	}
}

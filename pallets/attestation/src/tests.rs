//! Unit tests of the attestation pallet: registration with quotes of the TEST ONLY PKI and real
//! Intel quotes, every refusal (leaving storage untouched), the TCB policy, the allowlist with its
//! revocation, expiry, and tee-tier verification.

use codec::{Decode, Encode};
use frame_support::{assert_noop, assert_ok, traits::{Get, Hooks}, BoundedVec};
use sp_core::{ed25519, Pair, H256};
use sp_runtime::DispatchError;
use verity_primitives::{
	attestation::{statement_report_data, AllowedMeasurement, EnclaveKeys, MeasurementKey, Rtmr},
	inference::{
		Evidence, ExecutorSignature, JobInput, ResultStatement, SigningKey, TierVerifier, VerificationContext,
		VerificationError,
	},
};
use verity_tee::{test_pki, Collateral, Measurement, TcbStatus};

use crate::{mock::*, AttestationPolicy, Enclaves, Error, Event, GenesisRoot, ModelRequirements};

const EXECUTOR: u64 = 2;

fn enclave_pair() -> ed25519::Pair {
	ed25519::Pair::from_seed(&[42; 32])
}

fn keys() -> EnclaveKeys {
	EnclaveKeys { signing: SigningKey::Ed25519(enclave_pair().public()), encryption: [5; 32] }
}

fn genesis_hash() -> H256 {
	H256::from_slice(System::block_hash(0).as_ref())
}

fn test_collateral() -> BoundedVec<u8, <Test as crate::Config>::MaxCollateralLen> {
	test_pki::collateral().encode().try_into().unwrap()
}

fn bounded_quote(quote: Vec<u8>) -> BoundedVec<u8, MaxQuoteLen> {
	quote.try_into().unwrap()
}

/// `ENCLAVE`'s quote binding `keys` for `executor` on this chain.
fn quote_for(executor: u64, keys: &EnclaveKeys) -> BoundedVec<u8, MaxQuoteLen> {
	bounded_quote(ENCLAVE.quote(&keys.report_data(genesis_hash(), &executor)))
}

fn register(executor: u64, quote: BoundedVec<u8, MaxQuoteLen>, keys: EnclaveKeys) -> sp_runtime::DispatchResult {
	Attestation::register_enclave(RuntimeOrigin::signed(executor), quote, test_collateral(), keys)
}

fn check_state() {
	Attestation::do_try_state().unwrap();
}

fn statement(job_id: u64) -> ResultStatement {
	ResultStatement {
		genesis_hash: genesis_hash(),
		job_id,
		model_id: MODEL,
		input_hash: H256::repeat_byte(1),
		output_hash: H256::repeat_byte(2),
	}
}

fn tee_evidence(pair: &ed25519::Pair, statement: &ResultStatement, quote: Option<Vec<u8>>) -> Evidence {
	Evidence::Tee {
		signature: ExecutorSignature::Ed25519(pair.sign(&statement.signing_payload())),
		quote: quote.map(|quote| quote.try_into().unwrap()),
	}
}

fn verify(executor: u64, statement: ResultStatement, evidence: &Evidence) -> Result<(), VerificationError> {
	let input = JobInput::Inline(Default::default());
	let context = VerificationContext {
		executor,
		executor_key: SigningKey::Ed25519(Default::default()),
		statement,
		input: &input,
		output: &[],
	};
	<Attestation as TierVerifier<u64>>::verify(&context, evidence)
}

/// Whether the expiry of a job of `executor` is excused (a governance act invalidated its enclave).
fn excused(executor: u64) -> bool {
	<Attestation as TierVerifier<u64>>::excuses_expiry(&executor, &MODEL)
}

fn serves(executor: u64, input: &JobInput) -> bool {
	<Attestation as TierVerifier<u64>>::can_serve(&executor, &MODEL, input)
}

#[test]
fn an_executor_registers_its_enclave_keys_with_a_test_pki_quote() {
	new_test_ext().execute_with(|| {
		assert!(<Attestation as TierVerifier<u64>>::is_available());
		assert_ok!(register(EXECUTOR, quote_for(EXECUTOR, &keys()), keys()));
		let enclave = Enclaves::<Test>::get(EXECUTOR).unwrap();
		assert_eq!(enclave.keys, keys());
		assert_eq!(enclave.measurement, MeasurementKey::SgxEnclave(ENCLAVE.mr_enclave));
		assert_eq!(enclave.tcb_status, TcbStatus::UpToDate);
		assert_eq!((enclave.attested_at, enclave.expires_at), (NOW, NOW + VALIDITY));
		System::assert_last_event(
			Event::EnclaveRegistered {
				executor: EXECUTOR,
				measurement: enclave.measurement,
				tcb_status: TcbStatus::UpToDate,
				expires_at: NOW + VALIDITY,
			}
			.into(),
		);
		assert!(serves(EXECUTOR, &JobInput::Inline(Default::default())));
		check_state();
	});
}

#[test]
fn renewal_replaces_the_key() {
	new_test_ext().execute_with(|| {
		assert_ok!(register(EXECUTOR, quote_for(EXECUTOR, &keys()), keys()));
		let renewed_pair = ed25519::Pair::from_seed(&[43; 32]);
		let renewed = EnclaveKeys { signing: SigningKey::Ed25519(renewed_pair.public()), encryption: [6; 32] };
		pallet_timestamp::Now::<Test>::put((NOW + 100) * 1_000);
		assert_ok!(register(EXECUTOR, quote_for(EXECUTOR, &renewed), renewed.clone()));
		let enclave = Enclaves::<Test>::get(EXECUTOR).unwrap();
		assert_eq!((enclave.keys, enclave.expires_at), (renewed, NOW + 100 + VALIDITY));
		// The old key no longer signs tee results; the new one does.
		let statement = statement(1);
		assert_eq!(verify(EXECUTOR, statement.clone(), &tee_evidence(&enclave_pair(), &statement, None)), Err(VerificationError::BadSignature));
		assert_eq!(verify(EXECUTOR, statement.clone(), &tee_evidence(&renewed_pair, &statement, None)), Ok(()));
		check_state();
	});
}

#[test]
fn registration_refusals_are_precise_and_change_nothing() {
	new_test_ext().execute_with(|| {
		let quote = quote_for(EXECUTOR, &keys());
		// Not a registered executor.
		assert_noop!(register(9, quote_for(9, &keys()), keys()), Error::<Test>::NotExecutor);
		// The quote binds these keys for another executor, or other keys.
		assert_noop!(register(3, quote.clone(), keys()), Error::<Test>::ReportDataMismatch);
		let other_keys = EnclaveKeys { encryption: [0; 32], ..keys() };
		assert_noop!(register(EXECUTOR, quote.clone(), other_keys), Error::<Test>::ReportDataMismatch);
		// Bound to another chain.
		let elsewhere = keys().report_data(H256::repeat_byte(9), &EXECUTOR);
		assert_noop!(register(EXECUTOR, bounded_quote(ENCLAVE.quote(&elsewhere)), keys()), Error::<Test>::ReportDataMismatch);
		// An enclave build that is not allowed.
		let unknown = test_pki::TestEnclave { mr_enclave: [8; 32], ..ENCLAVE };
		let unknown_quote = bounded_quote(unknown.quote(&keys().report_data(genesis_hash(), &EXECUTOR)));
		assert_noop!(register(EXECUTOR, unknown_quote, keys()), Error::<Test>::MeasurementNotAllowed);
		// Garbage: a truncated quote, a quote of an unknown version.
		assert_noop!(register(EXECUTOR, bounded_quote(quote[..100].to_vec()), keys()), Error::<Test>::MalformedQuote);
		assert_noop!(register(EXECUTOR, bounded_quote(vec![1; 100]), keys()), Error::<Test>::UnsupportedQuote);
		assert_noop!(
			Attestation::register_enclave(RuntimeOrigin::signed(EXECUTOR), quote.clone(), vec![0xff; 10].try_into().unwrap(), keys()),
			Error::<Test>::MalformedCollateral
		);
		// A flipped byte in the report body breaks the attestation key's signature.
		let mut tampered = quote.clone().into_inner();
		tampered[48 + 64] ^= 1;
		assert_noop!(register(EXECUTOR, bounded_quote(tampered), keys()), Error::<Test>::BadQuoteSignature);
		// Collateral expired at the chain's time (the test PKI's runs to 2049-12-31).
		pallet_timestamp::Now::<Test>::put(2_600_000_000 * 1_000);
		assert_noop!(register(EXECUTOR, quote.clone(), keys()), Error::<Test>::CollateralExpired);
		// An oversized quote does not even decode as a call argument.
		assert!(BoundedVec::<u8, MaxQuoteLen>::try_from(vec![0; <MaxQuoteLen as Get<u32>>::get() as usize + 1]).is_err());
		assert!(Enclaves::<Test>::iter().next().is_none());
		check_state();
	});
}

#[test]
fn a_chain_without_a_root_has_no_tee_tier_and_intels_root_refuses_test_quotes() {
	ext(GenesisRoot::None).execute_with(|| {
		assert!(!<Attestation as TierVerifier<u64>>::is_available());
		assert_noop!(register(EXECUTOR, quote_for(EXECUTOR, &keys()), keys()), Error::<Test>::NoTrustedRoot);
	});
	ext(GenesisRoot::IntelSgxRootCa).execute_with(|| {
		assert_noop!(register(EXECUTOR, quote_for(EXECUTOR, &keys()), keys()), Error::<Test>::UntrustedCertificateChain);
	});
}

/// dcap-qvl's real SGX sample (tee/tests/data): Intel's root, at a time inside its collateral.
fn real_sgx_sample() -> (BoundedVec<u8, MaxQuoteLen>, BoundedVec<u8, <Test as crate::Config>::MaxCollateralLen>, Measurement) {
	let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tee/tests/data");
	let quote = std::fs::read(dir.join("sgx_quote")).unwrap();
	let json: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("sgx_quote_collateral.json")).unwrap()).unwrap();
	let text = |field: &str| json[field].as_str().unwrap().as_bytes().to_vec();
	let hex = |field: &str| {
		let text = json[field].as_str().unwrap();
		(0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect::<Vec<_>>()
	};
	let collateral = Collateral {
		pck_crl_issuer_chain: text("pck_crl_issuer_chain"),
		root_ca_crl: hex("root_ca_crl"),
		pck_crl: hex("pck_crl"),
		tcb_info_issuer_chain: text("tcb_info_issuer_chain"),
		tcb_info: text("tcb_info"),
		tcb_info_signature: hex("tcb_info_signature"),
		qe_identity_issuer_chain: text("qe_identity_issuer_chain"),
		qe_identity: text("qe_identity"),
		qe_identity_signature: hex("qe_identity_signature"),
		pck_certificate_chain: None,
	};
	let body = &quote[48..48 + 384];
	let measurement = Measurement::Sgx {
		mr_enclave: body[64..96].try_into().unwrap(),
		mr_signer: body[128..160].try_into().unwrap(),
		isv_prod_id: u16::from_le_bytes(body[256..258].try_into().unwrap()),
		isv_svn: u16::from_le_bytes(body[258..260].try_into().unwrap()),
	};
	(bounded_quote(quote), collateral.encode().try_into().unwrap(), measurement)
}

#[test]
fn a_real_intel_quote_meets_the_tcb_policy_then_the_allowlist_then_the_key_binding() {
	ext(GenesisRoot::IntelSgxRootCa).execute_with(|| {
		// 2025-06-20, inside the sample's collateral.
		pallet_timestamp::Now::<Test>::put(1_750_377_600 * 1_000);
		let (quote, collateral, measurement) = real_sgx_sample();
		let attempt = || {
			Attestation::register_enclave(RuntimeOrigin::signed(EXECUTOR), quote.clone(), collateral.clone(), keys())
		};
		// The platform needs mitigations for INTEL-SA-00289 and -00615: refused by default.
		assert_noop!(attempt(), Error::<Test>::AdvisoryNotAccepted);
		let only_one = vec![b"INTEL-SA-00289".to_vec().try_into().unwrap()].try_into().unwrap();
		assert_ok!(Attestation::set_policy(RuntimeOrigin::root(), AttestationPolicy { accepted_advisories: only_one, validity_secs: VALIDITY }));
		assert_noop!(attempt(), Error::<Test>::AdvisoryNotAccepted);
		let both = vec![b"INTEL-SA-00289".to_vec().try_into().unwrap(), b"INTEL-SA-00615".to_vec().try_into().unwrap()]
			.try_into()
			.unwrap();
		assert_ok!(Attestation::set_policy(RuntimeOrigin::root(), AttestationPolicy { accepted_advisories: both, validity_secs: VALIDITY }));
		// Then the enclave must be allowed.
		assert_noop!(attempt(), Error::<Test>::MeasurementNotAllowed);
		let Measurement::Sgx { mr_signer, isv_prod_id, isv_svn, .. } = measurement else { unreachable!() };
		assert_ok!(Attestation::allow_measurement(
			RuntimeOrigin::root(),
			AllowedMeasurement::SgxSigner { mr_signer, isv_prod_id, min_isv_svn: isv_svn + 1 }
		));
		assert_noop!(attempt(), Error::<Test>::MeasurementNotAllowed);
		assert_ok!(Attestation::allow_measurement(
			RuntimeOrigin::root(),
			AllowedMeasurement::SgxSigner { mr_signer, isv_prod_id, min_isv_svn: isv_svn }
		));
		// Then its report data must bind our keys, which a real quote made elsewhere cannot.
		assert_noop!(attempt(), Error::<Test>::ReportDataMismatch);
		// After the sample's collateral expired, it is refused for that.
		pallet_timestamp::Now::<Test>::put(1_754_006_400 * 1_000);
		assert_noop!(attempt(), Error::<Test>::CollateralExpired);
		check_state();
	});
}

#[test]
fn tdx_entries_match_mr_td_and_the_rtmrs_that_matter() {
	new_test_ext().execute_with(|| {
		let td = |rtmr2: u8| Measurement::Tdx { mr_td: [1; 48], rtmrs: [[0; 48], [0; 48], [rtmr2; 48], [5; 48]] };
		assert!(Attestation::allowance_of(&td(3)).is_none());
		// #19 item 3: RTMR 0 to 2 (firmware, kernel, command line) must be pinned; RTMR 3 may
		// stay open.
		for open in 0..3 {
			let mut rtmrs = [Some(Rtmr([0; 48])), Some(Rtmr([0; 48])), Some(Rtmr([3; 48])), None];
			rtmrs[open] = None;
			assert_noop!(
				Attestation::allow_measurement(RuntimeOrigin::root(), AllowedMeasurement::Tdx { mr_td: [1; 48], rtmrs }),
				Error::<Test>::UnpinnedBootMeasurement
			);
		}
		assert_ok!(Attestation::allow_measurement(
			RuntimeOrigin::root(),
			AllowedMeasurement::Tdx { mr_td: [1; 48], rtmrs: [Some(Rtmr([0; 48])), Some(Rtmr([0; 48])), Some(Rtmr([3; 48])), None] }
		));
		assert_eq!(Attestation::allowance_of(&td(3)).map(|(key, _)| key), Some(MeasurementKey::Tdx([1; 48])));
		assert!(Attestation::allowance_of(&td(4)).is_none());
		check_state();
	});
}

#[test]
fn tee_results_must_be_signed_by_the_attested_unexpired_allowed_key() {
	new_test_ext().execute_with(|| {
		let statement = statement(7);
		let good = tee_evidence(&enclave_pair(), &statement, None);
		// No enclave yet.
		assert_eq!(verify(EXECUTOR, statement.clone(), &good), Err(VerificationError::NoAttestedKey));
		assert!(!serves(EXECUTOR, &JobInput::Inline(Default::default())));
		assert_ok!(register(EXECUTOR, quote_for(EXECUTOR, &keys()), keys()));
		assert_eq!(verify(EXECUTOR, statement.clone(), &good), Ok(()));
		// Another key, another statement, another tier's evidence.
		let stranger = ed25519::Pair::from_seed(&[1; 32]);
		assert_eq!(verify(EXECUTOR, statement.clone(), &tee_evidence(&stranger, &statement, None)), Err(VerificationError::BadSignature));
		assert_eq!(verify(EXECUTOR, statement.clone(), &tee_evidence(&enclave_pair(), &self::statement(8), None)), Err(VerificationError::BadSignature));
		assert_eq!(
			verify(EXECUTOR, statement.clone(), &Evidence::Signed(ExecutorSignature::Ed25519(enclave_pair().sign(&statement.signing_payload())))),
			Err(VerificationError::WrongEvidence)
		);
		// Expired: at `expires_at` the key is no longer valid, and a lapse excuses no expiry.
		assert!(!excused(EXECUTOR));
		pallet_timestamp::Now::<Test>::put((NOW + VALIDITY) * 1_000);
		assert_eq!(verify(EXECUTOR, statement.clone(), &good), Err(VerificationError::NoAttestedKey));
		assert!(!serves(EXECUTOR, &JobInput::Inline(Default::default())));
		assert!(!excused(EXECUTOR), "the executor let its attestation lapse");
		check_state();
	});
}

#[test]
fn revoking_a_measurement_invalidates_its_keys_and_reallowing_does_not_revive_them() {
	new_test_ext().execute_with(|| {
		let statement = statement(7);
		let good = tee_evidence(&enclave_pair(), &statement, None);
		assert_ok!(register(EXECUTOR, quote_for(EXECUTOR, &keys()), keys()));
		let measurement = MeasurementKey::SgxEnclave(ENCLAVE.mr_enclave);
		assert_noop!(Attestation::revoke_measurement(RuntimeOrigin::signed(1), measurement), DispatchError::BadOrigin);
		assert!(!excused(EXECUTOR));
		assert_ok!(Attestation::revoke_measurement(RuntimeOrigin::root(), measurement));
		System::assert_last_event(Event::MeasurementRevoked { measurement }.into());
		assert_eq!(verify(EXECUTOR, statement.clone(), &good), Err(VerificationError::NoAttestedKey));
		assert!(excused(EXECUTOR), "governance revoked the measurement: its jobs' expiry is excused");
		assert_noop!(register(EXECUTOR, quote_for(EXECUTOR, &keys()), keys()), Error::<Test>::MeasurementNotAllowed);
		assert_noop!(Attestation::revoke_measurement(RuntimeOrigin::root(), measurement), Error::<Test>::UnknownMeasurement);
		// Allowed again: a new generation, and the old key must attest again.
		assert_ok!(Attestation::allow_measurement(RuntimeOrigin::root(), AllowedMeasurement::SgxEnclave { mr_enclave: ENCLAVE.mr_enclave }));
		assert_eq!(verify(EXECUTOR, statement.clone(), &good), Err(VerificationError::NoAttestedKey));
		assert!(excused(EXECUTOR), "a new generation: the old attestation is still invalid");
		assert_ok!(register(EXECUTOR, quote_for(EXECUTOR, &keys()), keys()));
		assert_eq!(verify(EXECUTOR, statement, &good), Ok(()));
		assert!(!excused(EXECUTOR));
		check_state();
	});
}

#[test]
fn a_model_narrows_its_enclaves_and_may_ask_for_a_quote_per_job() {
	new_test_ext().execute_with(|| {
		assert_ok!(register(EXECUTOR, quote_for(EXECUTOR, &keys()), keys()));
		let statement = statement(7);
		let requirements = |measurements: Vec<MeasurementKey>, quote_per_job| {
			Some(ModelRequirements { measurements: measurements.try_into().unwrap(), quote_per_job })
		};
		// Owner only, registered models only.
		assert_noop!(
			Attestation::set_model_requirements(RuntimeOrigin::signed(2), MODEL, requirements(vec![], true)),
			Error::<Test>::NotModelOwner
		);
		assert_noop!(
			Attestation::set_model_requirements(RuntimeOrigin::signed(1), H256::repeat_byte(3), requirements(vec![], true)),
			Error::<Test>::UnknownModel
		);
		// Narrowed to another build: this enclave no longer serves the model.
		assert_ok!(Attestation::set_model_requirements(
			RuntimeOrigin::signed(1),
			MODEL,
			requirements(vec![MeasurementKey::SgxEnclave([8; 32])], false)
		));
		assert!(!serves(EXECUTOR, &JobInput::Inline(Default::default())));
		assert_eq!(verify(EXECUTOR, statement.clone(), &tee_evidence(&enclave_pair(), &statement, None)), Err(VerificationError::NoAttestedKey));
		// A quote per job: missing, binding another statement, or of another build: refused.
		assert_ok!(Attestation::set_model_requirements(RuntimeOrigin::signed(1), MODEL, requirements(vec![], true)));
		assert_eq!(verify(EXECUTOR, statement.clone(), &tee_evidence(&enclave_pair(), &statement, None)), Err(VerificationError::BadQuote));
		let other_statement = ENCLAVE.quote(&statement_report_data(&self::statement(8)));
		assert_eq!(
			verify(EXECUTOR, statement.clone(), &tee_evidence(&enclave_pair(), &statement, Some(other_statement))),
			Err(VerificationError::BadQuote)
		);
		assert_eq!(
			verify(EXECUTOR, statement.clone(), &tee_evidence(&enclave_pair(), &statement, Some(vec![0; 64]))),
			Err(VerificationError::BadQuote)
		);
		let fresh = ENCLAVE.quote(&statement_report_data(&statement));
		assert_eq!(verify(EXECUTOR, statement.clone(), &tee_evidence(&enclave_pair(), &statement, Some(fresh))), Ok(()));
		check_state();
	});
}

#[test]
fn a_sealed_input_is_served_only_by_the_enclave_holding_its_recipient_key() {
	new_test_ext().execute_with(|| {
		assert_ok!(register(EXECUTOR, quote_for(EXECUTOR, &keys()), keys()));
		let sealed = |recipient| JobInput::Sealed { recipient, ciphertext: Default::default(), commitment: H256::zero() };
		assert!(serves(EXECUTOR, &sealed(keys().encryption)));
		assert!(!serves(EXECUTOR, &sealed([9; 32])));
	});
}

#[test]
fn governance_sets_the_root_and_policy_and_nobody_else_does() {
	new_test_ext().execute_with(|| {
		let intel: BoundedVec<u8, _> = verity_tee::INTEL_SGX_ROOT_CA_DER.to_vec().try_into().unwrap();
		assert_noop!(Attestation::set_trusted_root(RuntimeOrigin::signed(1), intel.clone()), DispatchError::BadOrigin);
		assert_noop!(Attestation::set_trusted_root(RuntimeOrigin::root(), vec![1, 2, 3].try_into().unwrap()), Error::<Test>::InvalidRoot);
		assert_ok!(Attestation::set_trusted_root(RuntimeOrigin::root(), intel));
		// From now on the test PKI's quotes are refused.
		assert_noop!(register(EXECUTOR, quote_for(EXECUTOR, &keys()), keys()), Error::<Test>::UntrustedCertificateChain);
		let policy = AttestationPolicy { accepted_advisories: Default::default(), validity_secs: 60 };
		assert_noop!(Attestation::set_policy(RuntimeOrigin::signed(1), policy.clone()), DispatchError::BadOrigin);
		assert_noop!(
			Attestation::allow_measurement(RuntimeOrigin::signed(1), AllowedMeasurement::SgxEnclave { mr_enclave: [0; 32] }),
			DispatchError::BadOrigin
		);
		check_state();
	});
}

#[test]
fn a_new_trust_root_invalidates_the_keys_attested_under_the_old_one() {
	new_test_ext().execute_with(|| {
		let statement = statement(7);
		let good = tee_evidence(&enclave_pair(), &statement, None);
		assert_ok!(register(EXECUTOR, quote_for(EXECUTOR, &keys()), keys()));
		assert_eq!(verify(EXECUTOR, statement.clone(), &good), Ok(()));
		let test_root: BoundedVec<u8, _> = verity_tee::TEST_ROOT_CA_DER.to_vec().try_into().unwrap();
		assert_ok!(Attestation::set_trusted_root(RuntimeOrigin::root(), test_root));
		assert_eq!(verify(EXECUTOR, statement.clone(), &good), Err(VerificationError::NoAttestedKey));
		assert!(excused(EXECUTOR), "governance replaced the root");
		assert!(!serves(EXECUTOR, &JobInput::Inline(Default::default())));
		// Attested again under the (re-set) root, the key serves.
		assert_ok!(register(EXECUTOR, quote_for(EXECUTOR, &keys()), keys()));
		assert_eq!(verify(EXECUTOR, statement, &good), Ok(()));
		check_state();
	});
}

#[test]
fn genesis_names_the_test_root_so_no_one_mistakes_it() {
	let json = serde_json::to_string(&GenesisRoot::TestOnlyVerityTestPki).unwrap();
	assert!(json.contains("TEST ONLY"), "{json}");
	assert_eq!(serde_json::from_str::<GenesisRoot>(&json).unwrap(), GenesisRoot::TestOnlyVerityTestPki);
	new_test_ext().execute_with(|| {
		Attestation::on_initialize(1);
		assert_eq!(crate::TrustedRoot::<Test>::get().unwrap().into_inner(), verity_tee::TEST_ROOT_CA_DER.to_vec());
		let _ = Collateral::decode(&mut &test_collateral()[..]).unwrap();
	});
}

#[test]
fn a_retired_model_and_a_removed_executor_take_their_tee_state_with_them() {
	use verity_primitives::inference::{OnExecutorRemoved, OnModelRetired};
	new_test_ext().execute_with(|| {
		assert_ok!(register(EXECUTOR, quote_for(EXECUTOR, &keys()), keys()));
		let requirements = ModelRequirements { measurements: Default::default(), quote_per_job: true };
		assert_ok!(Attestation::do_set_model_requirements(1, MODEL, Some(requirements)));

		<Attestation as OnModelRetired>::model_retired(&MODEL);
		assert!(!crate::ModelEnclaveRequirements::<Test>::contains_key(MODEL));
		System::assert_last_event(Event::ModelRequirementsSet { model: MODEL, requirements: None }.into());

		<Attestation as OnExecutorRemoved<u64>>::executor_removed(&EXECUTOR);
		assert!(!Enclaves::<Test>::contains_key(EXECUTOR));
		assert!(!crate::EnclaveCollateral::<Test>::contains_key(EXECUTOR));
		System::assert_last_event(Event::EnclaveRemoved { executor: EXECUTOR }.into());
		assert!(!serves(EXECUTOR, &JobInput::Inline(Default::default())));
		check_state();
	});
}

/// #19 item 4: a production chain (a genesis flag no call changes) refuses the TEST ONLY root
/// in `set_trusted_root`, changing nothing, and still takes another root; a chain not marked
/// production takes the test root as before.
#[test]
fn a_production_chain_refuses_the_test_root() {
	let test_root: BoundedVec<u8, _> = verity_tee::TEST_ROOT_CA_DER.to_vec().try_into().unwrap();
	let intel: BoundedVec<u8, _> = verity_tee::INTEL_SGX_ROOT_CA_DER.to_vec().try_into().unwrap();
	chain(GenesisRoot::IntelSgxRootCa, true).execute_with(|| {
		assert!(crate::ProductionChain::<Test>::get());
		assert_noop!(
			Attestation::set_trusted_root(RuntimeOrigin::root(), test_root.clone()),
			Error::<Test>::TestRootOnProductionChain
		);
		assert_ok!(Attestation::set_trusted_root(RuntimeOrigin::root(), intel.clone()));
		assert!(crate::ProductionChain::<Test>::get(), "no call changes the flag");
	});
	chain(GenesisRoot::IntelSgxRootCa, false).execute_with(|| {
		assert!(!crate::ProductionChain::<Test>::get());
		assert_ok!(Attestation::set_trusted_root(RuntimeOrigin::root(), test_root));
	});
}

/// #19 item 4: a genesis that marks a chain production and trusts the TEST ONLY root is refused.
#[test]
#[should_panic(expected = "a production chain cannot trust the TEST ONLY root")]
fn a_production_genesis_cannot_trust_the_test_root() {
	chain(GenesisRoot::TestOnlyVerityTestPki, true);
}

/// #19 item 4: the v1 migration marks a chain launched before the flag production when it
/// trusts Intel's root, and a dev chain (the TEST ONLY root) not.
#[test]
fn the_v1_migration_marks_chains_that_trust_intels_root_as_production() {
	use crate::migrations::v1::MigrateV0ToV1;
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	for (root, production) in [(GenesisRoot::IntelSgxRootCa, true), (GenesisRoot::TestOnlyVerityTestPki, false)] {
		chain(root, false).execute_with(|| {
			StorageVersion::new(0).put::<Attestation>();
			MigrateV0ToV1::<Test>::on_runtime_upgrade();
			assert_eq!(Attestation::on_chain_storage_version(), StorageVersion::new(1));
			assert_eq!(crate::ProductionChain::<Test>::get(), production);
		});
	}
}

/// #19 item 3: the quote check keeps at most `MAX_ADVISORIES` advisory ids of at most
/// `MAX_ADVISORY_ID_LEN` bytes. A platform whose list reaches either cap may have had advisories
/// cut, the unaccepted ones among them: it is refused (`AdvisoriesCut`), not judged on the rest,
/// even when every id it shows is accepted.
#[test]
fn a_platform_whose_advisories_may_have_been_cut_is_refused() {
	new_test_ext().execute_with(|| {
		let accepted: BoundedVec<u8, _> = b"INTEL-SA-00615".to_vec().try_into().unwrap();
		let long = vec![b'A'; verity_tee::MAX_ADVISORY_ID_LEN];
		let policy = AttestationPolicy {
			accepted_advisories: vec![accepted.clone(), long.clone().try_into().unwrap()].try_into().unwrap(),
			validity_secs: VALIDITY,
		};
		assert_ok!(Attestation::set_policy(RuntimeOrigin::root(), policy));
		let verdict = |advisory_ids: Vec<Vec<u8>>| verity_tee::Verdict {
			measurement: ENCLAVE.measurement(),
			report_data: [0; 64],
			tcb_status: TcbStatus::SwHardeningNeeded,
			advisory_ids,
		};
		let check = |ids| crate::Pallet::<Test>::check_tcb(&verdict(ids)).map_err(DispatchError::from);
		assert_eq!(check(vec![accepted.to_vec(); verity_tee::MAX_ADVISORIES - 1]), Ok(()));
		assert_eq!(check(vec![accepted.to_vec(); verity_tee::MAX_ADVISORIES]), Err(Error::<Test>::AdvisoriesCut.into()));
		assert_eq!(check(vec![accepted.to_vec(), long]), Err(Error::<Test>::AdvisoriesCut.into()));
	});
}

/// A debug enclave (its memory readable by the host) is refused whatever its measurement, and
/// nothing is stored.
#[test]
fn a_debug_enclave_is_refused() {
	new_test_ext().execute_with(|| {
		let debug = bounded_quote(ENCLAVE.debug_quote(&keys().report_data(genesis_hash(), &EXECUTOR)));
		assert_noop!(register(EXECUTOR, debug, keys()), Error::<Test>::InsecureEnclave);
		assert!(Enclaves::<Test>::get(EXECUTOR).is_none());
	});
}

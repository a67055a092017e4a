use std::sync::OnceLock;

use frame_support::{assert_noop, assert_ok, BoundedVec};
use sp_core::sr25519;
use sp_runtime::{BuildStorage, Perbill};
use verity_mlp::QuantizedMlp;
use verity_primitives::inference::{
	Evidence, ExecutorSignature, JobInput, ModelId, ResultStatement, SigningKey, TierVerifier,
	VerificationContext, VerificationError,
};
use verity_zkml::{encode, prove, setup_from_seed, ProvingKey};

use crate::{mock::*, Error, Event, KeyModels, VerifyingKeys};

const DIGITS: ModelId = ModelId::repeat_byte(0xd1);
const OTHER: ModelId = ModelId::repeat_byte(0x07);
const OWNER: u64 = 1;

struct Fixture {
	model: QuantizedMlp,
	proving_key: ProvingKey,
	key: Vec<u8>,
	/// The key of a model of the same shape with one weight changed, from its own setup.
	other_key: Vec<u8>,
}

/// The shipped digits model and keys from fixed seeds (test-only setups), made once.
fn fixture() -> &'static Fixture {
	static FIXTURE: OnceLock<Fixture> = OnceLock::new();
	FIXTURE.get_or_init(|| {
		let model = QuantizedMlp::from_bytes(include_bytes!("../../../models/digits-mlp/model.vmlp")).unwrap();
		let (proving_key, key) = setup_from_seed(&model, 7).unwrap();
		let mut other = model.clone();
		other.layers[0].weights[0] = other.layers[0].weights[0].wrapping_add(1);
		let (_, other_key) = setup_from_seed(&other, 8).unwrap();
		Fixture { model, proving_key, key: encode(&key), other_key: encode(&other_key) }
	})
}

fn bounded(key: &[u8]) -> BoundedVec<u8, crate::MaxKeyLen<Test>> {
	key.to_vec().try_into().unwrap()
}

/// The digits model's exact lengths: 64 input bytes, 10 i32 logits.
const DIGITS_LIMITS: pallet_verity_models::IoLimits =
	pallet_verity_models::IoLimits { max_input_len: 64, max_output_len: 40 };
const PRICES: pallet_verity_models::TierPrices =
	pallet_verity_models::TierPrices { signed: Some(10), tee: None, zk: Some(30) };

fn register_model_with(owner: u64, model: ModelId, limits: pallet_verity_models::IoLimits) {
	assert_ok!(pallet_verity_models::Pallet::<Test>::do_register_model(
		owner,
		model,
		b"digits".to_vec().try_into().unwrap(),
		b"verity-int8-mlp".to_vec().try_into().unwrap(),
		limits,
		0,
		PRICES,
		Perbill::from_percent(5),
	));
}

fn register_model(owner: u64, model: ModelId) {
	register_model_with(owner, model, DIGITS_LIMITS);
}

fn register_key(who: u64, model: ModelId, key: &[u8]) -> sp_runtime::DispatchResult {
	ZkVerifier::register_key(RuntimeOrigin::signed(who), model, bounded(key))
}

/// Both models registered by `OWNER`, each with its key.
fn with_keys() {
	register_model(OWNER, DIGITS);
	register_model(OWNER, OTHER);
	assert_ok!(register_key(OWNER, DIGITS, &fixture().key));
	assert_ok!(register_key(OWNER, OTHER, &fixture().other_key));
}

fn key_hash(key: &[u8]) -> sp_core::H256 {
	sp_core::H256(sp_io::hashing::blake2_256(key))
}

fn verify(model: ModelId, input: &JobInput, output: &[u8], proof: &[u8]) -> Result<(), VerificationError> {
	verify_evidence(model, input, output, &Evidence::Zk { proof: proof.to_vec().try_into().unwrap() })
}

/// Verifies `evidence` of `output = model(input)` as the inference pallet asks the zk verifier.
fn verify_evidence(model: ModelId, input: &JobInput, output: &[u8], evidence: &Evidence) -> Result<(), VerificationError> {
	let statement = ResultStatement {
		genesis_hash: Default::default(),
		job_id: 0,
		model_id: model,
		input_hash: input.hash(),
		output_hash: sp_core::H256(sp_io::hashing::blake2_256(output)),
	};
	let context = VerificationContext {
		executor: 9u64,
		executor_key: SigningKey::Sr25519(sr25519::Public::from_raw([0; 32])),
		statement,
		input,
		output,
	};
	ZkVerifier::verify(&context, evidence)
}

fn inline(bytes: &[u8]) -> JobInput {
	JobInput::Inline(bytes.to_vec().try_into().unwrap())
}

fn digit_input(seed: u8) -> Vec<u8> {
	(0..64u8).map(|i| (i.wrapping_mul(seed) % 17) * 7).collect()
}

fn try_state() {
	ZkVerifier::do_try_state().unwrap();
	pallet_verity_models::Pallet::<Test>::do_try_state().unwrap();
}

#[test]
fn the_owner_registers_a_checked_key_and_the_model_records_it() {
	new_test_ext().execute_with(|| {
		register_model(OWNER, DIGITS);
		assert_ok!(register_key(OWNER, DIGITS, &fixture().key));
		let hash = key_hash(&fixture().key);
		System::assert_last_event(Event::KeyRegistered { model: DIGITS, key_hash: hash, public_inputs: 5 }.into());
		let stored = VerifyingKeys::<Test>::get(DIGITS).unwrap();
		assert_eq!((stored.hash, stored.public_inputs), (hash, 5));
		assert_eq!(stored.key.len(), verity_zkml::verifier::prepared_key_len(5));
		assert_eq!(KeyModels::<Test>::get(hash), Some(DIGITS));
		let model = pallet_verity_models::Models::<Test>::get(DIGITS).unwrap();
		assert_eq!(model.zk_verifying_key, Some(hash));
		assert_ok!(ZkVerifier::can_verify(&DIGITS, &inline(&digit_input(1))));
		try_state();
	});
}

#[test]
fn registration_is_refused_precisely_and_changes_nothing() {
	new_test_ext().execute_with(|| {
		let key = &fixture().key;
		assert_noop!(register_key(OWNER, DIGITS, key), Error::<Test>::UnknownModel);
		register_model(OWNER, DIGITS);
		register_model(OWNER, OTHER);
		assert_noop!(register_key(2, DIGITS, key), Error::<Test>::NotModelOwner);
		assert_noop!(
			ZkVerifier::register_key(RuntimeOrigin::none(), DIGITS, bounded(key)),
			sp_runtime::DispatchError::BadOrigin
		);

		// Malformed keys: truncated, trailing bytes, garbage, a point off the curve, and a key
		// with no public-input base.
		let mut trailing = key.clone();
		trailing.push(0);
		let mut off_curve = key.clone();
		off_curve[1] ^= 0x01;
		let mut no_bases = key[..48 + 3 * 96].to_vec();
		no_bases.extend(0u64.to_le_bytes());
		for malformed in [&key[..key.len() - 1], &trailing[..], &[0xff; 64][..], &off_curve[..], &no_bases[..], &[][..]] {
			assert_noop!(register_key(OWNER, DIGITS, malformed), Error::<Test>::MalformedKey);
		}
		// A key longer than `MaxPublicInputs` allows does not even decode as a call argument.
		let too_long = vec![0u8; verity_zkml::verifier::compressed_key_len(9)];
		assert!(BoundedVec::<u8, crate::MaxKeyLen<Test>>::try_from(too_long).is_err());

		assert_ok!(register_key(OWNER, DIGITS, key));
		// Once per model; and never the same key for two models.
		assert_noop!(register_key(OWNER, DIGITS, &fixture().other_key), Error::<Test>::KeyAlreadyRegistered);
		assert_noop!(register_key(OWNER, OTHER, key), Error::<Test>::KeyOfAnotherModel);
		try_state();
	});
}

#[test]
fn an_honest_proof_verifies_and_every_tampering_is_refused_precisely() {
	new_test_ext().execute_with(|| {
		with_keys();
		let fixture = fixture();
		let input = digit_input(3);
		let (output, proof) = prove(&fixture.proving_key, &fixture.model, &input).unwrap();
		let job_input = inline(&input);
		assert_eq!(verify(DIGITS, &job_input, &output, &proof), Ok(()));

		// A proof for another input, another output, or checked against another model's key.
		assert_eq!(verify(DIGITS, &inline(&digit_input(5)), &output, &proof), Err(VerificationError::BadProof));
		let mut other_output = output.clone();
		other_output[0] ^= 1;
		assert_eq!(verify(DIGITS, &job_input, &other_output, &proof), Err(VerificationError::BadProof));
		assert_eq!(verify(OTHER, &job_input, &output, &proof), Err(VerificationError::BadProof));
		// An output of another length is not the one the key verifies.
		assert_eq!(verify(DIGITS, &job_input, &output[..8], &proof), Err(VerificationError::WrongLength));

		// Flipped and truncated proofs.
		for position in [0, 47, 100, proof.len() - 1] {
			let mut flipped = proof.clone();
			flipped[position] ^= 0x01;
			assert!(matches!(
				verify(DIGITS, &job_input, &output, &flipped),
				Err(VerificationError::MalformedProof | VerificationError::BadProof)
			));
		}
		assert_eq!(verify(DIGITS, &job_input, &output, &proof[..proof.len() - 1]), Err(VerificationError::MalformedProof));
		assert_eq!(verify(DIGITS, &job_input, &output, &[]), Err(VerificationError::MalformedProof));

		// No key, an input by reference, evidence of another tier.
		assert_eq!(verify(ModelId::repeat_byte(9), &job_input, &output, &proof), Err(VerificationError::NoVerifyingKey));
		let by_reference = JobInput::Reference { hash: job_input.hash(), uri: b"https://x".to_vec().try_into().unwrap() };
		assert_eq!(verify(DIGITS, &by_reference, &output, &proof), Err(VerificationError::InputNotInline));
		assert_eq!(ZkVerifier::can_verify(&DIGITS, &by_reference), Err(VerificationError::InputNotInline));
		assert_eq!(ZkVerifier::can_verify(&ModelId::repeat_byte(9), &job_input), Err(VerificationError::NoVerifyingKey));
		let signed = Evidence::Signed(ExecutorSignature::Sr25519(sr25519::Signature::from_raw([0; 64])));
		assert_eq!(verify_evidence(DIGITS, &job_input, &output, &signed), Err(VerificationError::WrongEvidence));
		try_state();
	});
}

/// #17 item 20: public inputs pack 31 bytes to an element and only their count was checked, so
/// trailing zero bytes could be added to (or removed from) a proven output: before the fix an
/// 11th logit of zeros verified. Now the key's exact lengths are the model's limits, checked at
/// registration, at submission and at verification, and fixed while the key stands.
#[test]
fn trailing_zero_bytes_cannot_add_an_unproven_verified_logit() {
	new_test_ext().execute_with(|| {
		with_keys();
		let input = digit_input(3);
		let (output, proof) = prove(&fixture().proving_key, &fixture().model, &input).unwrap();
		let mut eleven_logits = output.clone();
		eleven_logits.extend([0; 4]);
		assert_eq!(
			verity_zkml::verifier::public_input_count(64, 44),
			verity_zkml::verifier::public_input_count(64, 40),
			"the same public inputs: only the length tells them apart"
		);
		assert_eq!(verify(DIGITS, &inline(&input), &eleven_logits, &proof), Err(VerificationError::WrongLength));
		assert_eq!(verify(DIGITS, &inline(&input), &output, &proof), Ok(()));
		// A shorter input is refused at submission too.
		assert_eq!(ZkVerifier::can_verify(&DIGITS, &inline(&input[..63])), Err(VerificationError::WrongLength));

		// The limits cannot change while the key stands...
		assert_noop!(
			pallet_verity_models::Pallet::<Test>::update_model(
				RuntimeOrigin::signed(OWNER),
				DIGITS,
				pallet_verity_models::IoLimits { max_input_len: 64, max_output_len: 44 },
				PRICES,
				Perbill::from_percent(5),
			),
			pallet_verity_models::Error::<Test>::LimitsFixedByZkKey
		);
		assert_ok!(pallet_verity_models::Pallet::<Test>::update_model(
			RuntimeOrigin::signed(OWNER),
			DIGITS,
			DIGITS_LIMITS,
			PRICES,
			Perbill::from_percent(10),
		));
		// ...and a key registers only for limits that pack into exactly its public inputs.
		let loose = ModelId::repeat_byte(0x10);
		register_model_with(OWNER, loose, pallet_verity_models::IoLimits { max_input_len: 64, max_output_len: 100 });
		let key = verity_zkml::encode(&setup_from_seed(&fixture().model, 9).unwrap().1);
		assert_noop!(register_key(OWNER, loose, &key), Error::<Test>::LimitsDoNotMatchKey);
		try_state();
	});
}

#[test]
fn retiring_a_model_drops_its_key_and_a_new_registration_may_add_one() {
	new_test_ext().execute_with(|| {
		with_keys();
		let hash = key_hash(&fixture().key);
		assert_ok!(pallet_verity_models::Pallet::<Test>::retire_model(RuntimeOrigin::signed(OWNER), DIGITS));
		System::assert_has_event(Event::KeyRemoved { model: DIGITS, key_hash: hash }.into());
		assert!(!VerifyingKeys::<Test>::contains_key(DIGITS));
		assert!(!KeyModels::<Test>::contains_key(hash));
		try_state();

		register_model(2, DIGITS);
		assert_ok!(register_key(2, DIGITS, &fixture().key));
		try_state();
	});
}

#[test]
fn genesis_registers_keys_for_genesis_models() {
	let key = fixture().key.clone();
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> { balances: vec![(OWNER, 1000)], ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	pallet_verity_models::GenesisConfig::<Test> {
		models: vec![pallet_verity_models::GenesisModel {
			id: DIGITS,
			owner: OWNER,
			name: "digits".into(),
			format: "verity-int8-mlp".into(),
			limits: pallet_verity_models::IoLimits { max_input_len: 64, max_output_len: 40 },
			asset: 0,
			prices: pallet_verity_models::TierPrices { signed: None, tee: None, zk: Some(30) },
			royalty: Perbill::zero(),
			other_prices: vec![],
		}],
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	crate::GenesisConfig::<Test> { keys: vec![(DIGITS, key.clone())], ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	sp_io::TestExternalities::new(storage).execute_with(|| {
		assert_eq!(VerifyingKeys::<Test>::get(DIGITS).unwrap().hash, key_hash(&key));
		assert_eq!(pallet_verity_models::Models::<Test>::get(DIGITS).unwrap().zk_verifying_key, Some(key_hash(&key)));
		try_state();
	});
}

use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};
use verity_mlp::QuantizedMlp;
use verity_primitives::inference::{ModelId, OnModelRetired, ReexecutionOutcome, Reexecutor};

use crate::{mock::*, Error, Event, HoldReason, ModelFiles};

/// The shipped digits model (`models/digits-mlp/model.vmlp`): 64 inputs, 10 logits.
const DIGITS: &[u8] = include_bytes!("../../../models/digits-mlp/model.vmlp");

fn id_of(file: &[u8]) -> ModelId {
	ModelId::from(sp_io::hashing::sha2_256(file))
}

fn store(who: u64, file: &[u8]) -> frame_support::dispatch::DispatchResult {
	Reexecution::store_model(RuntimeOrigin::signed(who), file.to_vec().try_into().unwrap())
}

fn held(who: u64) -> u128 {
	Balances::balance_on_hold(&HoldReason::ModelFile.into(), &who)
}

#[test]
fn a_stored_model_is_rerun_exactly_as_the_executor_runs_it() {
	new_test_ext().execute_with(|| {
		let model = id_of(DIGITS);
		register_model(1, model, (64, 40));
		assert!(!Reexecution::can_reexecute(&model));
		assert_ok!(store(2, DIGITS));
		let parameters = QuantizedMlp::from_bytes(DIGITS).unwrap().parameters() as u32;
		System::assert_last_event(
			Event::ModelStored { model, parameters, depositor: Some(2), deposit: DIGITS.len() as u128 }.into(),
		);
		assert_eq!(held(2), DIGITS.len() as u128);
		assert!(Reexecution::can_reexecute(&model));

		let native = QuantizedMlp::from_bytes(DIGITS).unwrap();
		for sample in verity_mlp::digits::load().iter().take(50) {
			let input = sample.input_bytes();
			assert_eq!(
				Reexecution::reexecute(&model, &input),
				Some(ReexecutionOutcome::Output(native.run_bytes(&input).unwrap()))
			);
		}
		// An input the model cannot take has no right output.
		assert_eq!(Reexecution::reexecute(&model, &[1, 2, 3]), Some(ReexecutionOutcome::Refused));
		assert_eq!(Reexecution::reexecute(&ModelId::repeat_byte(9), &[1; 64]), None);
		assert!(Reexecution::reexecute_weight(&model).ref_time() > 0);
		assert!(Reexecution::reexecute_weight(&model).all_lte(Reexecution::max_reexecute_weight()));
	});
}

#[test]
fn refusals_store_nothing() {
	new_test_ext().execute_with(|| {
		// Not a registered model's file.
		assert_noop!(store(2, DIGITS), Error::<Test>::UnknownModel);
		// Registered, but not an MLP.
		let garbage = b"VMLP but not really".to_vec();
		register_model(1, id_of(&garbage), (64, 40));
		assert_noop!(store(2, &garbage), Error::<Test>::NotAModel);
		// Registered with an output limit shorter than its 10 logits.
		let mut other = QuantizedMlp::from_bytes(DIGITS).unwrap();
		other.layers[0].biases[0] += 1;
		let other = other.to_bytes();
		register_model(1, id_of(&other), (64, 39));
		assert_noop!(store(2, &other), Error::<Test>::OutputsTooLong);
		// No funds for the deposit.
		register_model(1, id_of(DIGITS), (64, 40));
		assert_noop!(store(7, DIGITS), Error::<Test>::CannotPayDeposit);
		assert_ok!(store(2, DIGITS));
		assert_noop!(store(1, DIGITS), Error::<Test>::AlreadyStored);
	});
}

#[test]
fn retiring_the_model_drops_its_file_and_releases_the_deposit() {
	new_test_ext().execute_with(|| {
		let model = id_of(DIGITS);
		register_model(1, model, (64, 40));
		assert_ok!(store(2, DIGITS));
		assert_ok!(Models::retire_model(RuntimeOrigin::signed(1), model));
		assert!(!ModelFiles::<Test>::contains_key(model));
		assert_eq!(held(2), 0);
		System::assert_has_event(Event::ModelRemoved { model }.into());
		// Already gone: nothing more to do.
		Reexecution::model_retired(&model);
	});
}

#[test]
fn genesis_files_are_stored_without_a_deposit() {
	let mut ext = unchecked_ext();
	ext.execute_with(|| {
		let model = id_of(DIGITS);
		register_model(1, model, (64, 40));
		assert_ok!(Reexecution::store(None, DIGITS.to_vec().try_into().unwrap()));
		assert_eq!(ModelFiles::<Test>::get(model).unwrap().deposit, 0);
		Reexecution::do_try_state().unwrap();
	});
}

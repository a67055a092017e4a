//! The storage layout of every Verity pallet is pinned in `tests/storage-layout.txt`: each
//! entry's name, modifier, hashers, default value and the full structure of its key and value
//! types, under the pallet's in-code `StorageVersion`. A change of layout fails this test until
//! the pallet's storage version is bumped (with a migration in the runtime's `Migrations`) and
//! the snapshot is regenerated:
//!
//! ```sh
//! VERITY_BLESS=1 cargo test --release --workspace --test storage_layout
//! ```
//!
//! Regenerating refuses a changed layout whose version was not bumped. Also: limits that must
//! agree across pallets.

use std::collections::BTreeMap;

use frame_support::{
	__private::metadata::{v14::StorageEntryType, RuntimeMetadata},
	traits::{GetStorageVersion, PalletInfoAccess},
};
use scale_info::{form::PortableForm, PortableRegistry, TypeDef};
use verity_runtime::{Attestation, Executors, Inference, Models, Runtime, X402, ZkVerifier};

const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/storage-layout.txt");

/// The Verity pallets: name and in-code storage version.
fn verity_pallets() -> Vec<(&'static str, u16)> {
	fn entry<P: PalletInfoAccess + GetStorageVersion<InCodeStorageVersion = frame_support::traits::StorageVersion>>(
	) -> (&'static str, u16) {
		let version = P::in_code_storage_version();
		// `StorageVersion` has no accessor for its number; its SCALE encoding is the u16.
		let number = codec::Decode::decode(&mut &codec::Encode::encode(&version)[..]).expect("a u16");
		(P::name(), number)
	}
	vec![
		entry::<Models>(),
		entry::<Executors>(),
		entry::<Inference>(),
		entry::<X402>(),
		entry::<ZkVerifier>(),
		entry::<Attestation>(),
	]
}

/// The structure of type `id`, with the path of every named type; a type met again inside
/// itself is named only.
fn describe(registry: &PortableRegistry, id: u32, open: &mut Vec<u32>) -> String {
	let ty = registry.resolve(id).expect("every type id of the metadata resolves");
	let name = ty.path.segments.last().cloned().unwrap_or_default();
	if open.contains(&id) {
		return name;
	}
	open.push(id);
	let fields = |fields: &[scale_info::Field<PortableForm>], open: &mut Vec<u32>| -> String {
		fields
			.iter()
			.map(|field| match &field.name {
				Some(field_name) => format!("{field_name}: {}", describe(registry, field.ty.id, open)),
				None => describe(registry, field.ty.id, open),
			})
			.collect::<Vec<_>>()
			.join(", ")
	};
	let body = match &ty.type_def {
		TypeDef::Composite(composite) => format!("{name} {{ {} }}", fields(&composite.fields, open)),
		TypeDef::Variant(variant) => format!(
			"{name} < {} >",
			variant
				.variants
				.iter()
				.map(|v| format!("{}#{}({})", v.name, v.index, fields(&v.fields, open)))
				.collect::<Vec<_>>()
				.join(" | ")
		),
		TypeDef::Sequence(sequence) => format!("Vec<{}>", describe(registry, sequence.type_param.id, open)),
		TypeDef::Array(array) => format!("[{}; {}]", describe(registry, array.type_param.id, open), array.len),
		TypeDef::Tuple(tuple) => format!(
			"({})",
			tuple.fields.iter().map(|field| describe(registry, field.id, open)).collect::<Vec<_>>().join(", ")
		),
		TypeDef::Primitive(primitive) => format!("{primitive:?}").to_lowercase(),
		TypeDef::Compact(compact) => format!("Compact<{}>", describe(registry, compact.type_param.id, open)),
		TypeDef::BitSequence(_) => "BitSequence".into(),
	};
	open.pop();
	body
}

/// Each Verity pallet's snapshot block: its version line, then one line per storage entry.
fn current_layout() -> BTreeMap<String, (u16, String)> {
	let RuntimeMetadata::V14(metadata) = Runtime::metadata().1 else { panic!("the runtime's metadata is V14") };
	let registry = &metadata.types;
	let mut layout = BTreeMap::new();
	for (pallet, version) in verity_pallets() {
		let meta = metadata.pallets.iter().find(|p| p.name == pallet).expect("the pallet is in the metadata");
		let mut lines = String::new();
		for entry in meta.storage.iter().flat_map(|storage| storage.entries.iter()) {
			let ty = match &entry.ty {
				StorageEntryType::Plain(value) => format!("Plain {}", describe(registry, value.id, &mut Vec::new())),
				StorageEntryType::Map { hashers, key, value } => format!(
					"Map {hashers:?} {} => {}",
					describe(registry, key.id, &mut Vec::new()),
					describe(registry, value.id, &mut Vec::new())
				),
			};
			lines.push_str(&format!(
				"  {} {:?} default=0x{}: {ty}\n",
				entry.name,
				entry.modifier,
				hex(&entry.default)
			));
		}
		layout.insert(pallet.to_string(), (version, lines));
	}
	layout
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn render(layout: &BTreeMap<String, (u16, String)>) -> String {
	let mut text = String::from(
		"# The storage layout of every Verity pallet, checked by runtime/tests/storage_layout.rs.\n\
		 # Generated: change it only with a StorageVersion bump and a migration (see that test).\n",
	);
	for (pallet, (version, lines)) in layout {
		text.push_str(&format!("pallet {pallet} version {version}\n{lines}"));
	}
	text
}

fn parse(text: &str) -> BTreeMap<String, (u16, String)> {
	let mut layout = BTreeMap::new();
	let mut current: Option<(String, u16, String)> = None;
	for line in text.lines().filter(|line| !line.starts_with('#')) {
		if let Some(header) = line.strip_prefix("pallet ") {
			if let Some((pallet, version, lines)) = current.take() {
				layout.insert(pallet, (version, lines));
			}
			let (pallet, version) = header.split_once(" version ").expect("a pallet header");
			current = Some((pallet.to_string(), version.parse().expect("a version"), String::new()));
		} else if let Some((_, _, lines)) = current.as_mut() {
			lines.push_str(line);
			lines.push('\n');
		}
	}
	if let Some((pallet, version, lines)) = current {
		layout.insert(pallet, (version, lines));
	}
	layout
}

/// What is wrong with going from `committed` to `current`: a layout that changed under the same
/// version, or a version that went down.
fn unversioned_changes(
	committed: &BTreeMap<String, (u16, String)>,
	current: &BTreeMap<String, (u16, String)>,
) -> Vec<String> {
	let mut problems = Vec::new();
	for (pallet, (version, lines)) in current {
		let Some((old_version, old_lines)) = committed.get(pallet) else { continue };
		if version < old_version {
			problems.push(format!("{pallet}: its storage version went down from {old_version} to {version}"));
		} else if version == old_version && lines != old_lines {
			problems.push(format!(
				"{pallet}: the storage layout changed under storage version {version}: bump the pallet's \
				 STORAGE_VERSION and add a migration to the runtime's `Migrations`"
			));
		}
	}
	problems
}

#[test]
fn every_pallets_storage_layout_matches_its_storage_version() {
	let current = current_layout();
	let committed_text = std::fs::read_to_string(SNAPSHOT).unwrap_or_default();
	let committed = parse(&committed_text);
	let problems = unversioned_changes(&committed, &current);
	assert!(problems.is_empty(), "{}", problems.join("\n"));
	if std::env::var("VERITY_BLESS").is_ok_and(|value| value == "1") {
		std::fs::write(SNAPSHOT, render(&current)).unwrap();
		return;
	}
	assert!(
		committed == current,
		"the storage layout differs from {SNAPSHOT} (with a version bump): add the migration to the \
		 runtime's `Migrations`, then regenerate the snapshot with VERITY_BLESS=1.\n--- committed\n{committed_text}\n--- now\n{}",
		render(&current)
	);
}

#[test]
fn the_snapshot_check_refuses_a_layout_change_without_a_version_bump() {
	let committed = parse("pallet Models version 0\n  Models Optional default=0x00: Plain u32\n");
	let same_version = parse("pallet Models version 0\n  Models Optional default=0x00: Plain u64\n");
	let bumped = parse("pallet Models version 1\n  Models Optional default=0x00: Plain u64\n");
	let lowered = parse("pallet Models version 0\n  Models Optional default=0x00: Plain u32\n");
	assert_eq!(unversioned_changes(&committed, &same_version).len(), 1);
	assert!(unversioned_changes(&committed, &bumped).is_empty());
	assert!(unversioned_changes(&bumped, &lowered).len() == 1);
}

/// A chain built from genesis records each pallet's in-code storage version, so that the first
/// migration finds the version it migrates from.
#[test]
fn genesis_records_every_pallets_storage_version() {
	let storage = verity_runtime::genesis_config_presets::preset_storage("development").unwrap();
	sp_io::TestExternalities::new(storage).execute_with(|| {
		fn check<P: GetStorageVersion<InCodeStorageVersion = frame_support::traits::StorageVersion>>() {
			assert_eq!(P::on_chain_storage_version(), P::in_code_storage_version());
		}
		check::<Models>();
		check::<Executors>();
		check::<Inference>();
		check::<X402>();
		check::<ZkVerifier>();
		check::<Attestation>();
	});
}

/// Limits that must agree across pallets, which no pallet's own `integrity_test` can see.
#[test]
fn limits_agree_across_pallets() {
	use frame_support::traits::Get;
	sp_io::TestExternalities::default().execute_with(|| {
		<verity_runtime::AllPalletsWithSystem as frame_support::traits::IntegrityTest>::integrity_test();
	});
	let model_outputs = <<Runtime as pallet_verity_models::Config>::MaxOutputLen as Get<u32>>::get();
	let job_outputs = <<Runtime as pallet_verity_inference::Config>::MaxOutputLen as Get<u32>>::get();
	assert!(model_outputs <= job_outputs, "a model may declare outputs larger than a job can store");
	let model_inputs = <<Runtime as pallet_verity_models::Config>::MaxInputLen as Get<u32>>::get();
	assert!(model_inputs <= verity_primitives::inference::MAX_INLINE_INPUT);
	let quotes = <<Runtime as pallet_verity_attestation::Config>::MaxQuoteLen as Get<u32>>::get();
	assert_eq!(quotes, verity_primitives::inference::MAX_QUOTE_LEN, "registration and per-job quotes share one bound");
}

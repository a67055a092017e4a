//! Test support shared by the pallets' unit tests (std only).

use sp_io::TestExternalities;

/// Test externalities that check the invariants of every pallet under test (their
/// `do_try_state`) after each [`Self::execute_with`], so that no unit test can leave storage
/// inconsistent unnoticed. Each mock builds one with the check of its own pallets.
pub struct CheckedExternalities {
	ext: TestExternalities,
	check: fn(),
}

impl CheckedExternalities {
	/// Wraps `ext`; `check` panics when an invariant does not hold.
	pub fn new(ext: TestExternalities, check: fn()) -> Self {
		Self { ext, check }
	}

	/// Runs `test`, then the invariant check, in the externalities.
	pub fn execute_with<R>(&mut self, test: impl FnOnce() -> R) -> R {
		let check = self.check;
		self.ext.execute_with(|| {
			let result = test();
			check();
			result
		})
	}

	/// The externalities without the check (the benchmarks' test suites, which set storage up
	/// piecemeal).
	pub fn into_inner(self) -> TestExternalities {
		self.ext
	}
}

impl core::ops::Deref for CheckedExternalities {
	type Target = TestExternalities;

	fn deref(&self) -> &TestExternalities {
		&self.ext
	}
}

impl core::ops::DerefMut for CheckedExternalities {
	fn deref_mut(&mut self) -> &mut TestExternalities {
		&mut self.ext
	}
}

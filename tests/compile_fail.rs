//! The route macros' compile errors, one file per mistake in `tests/ui/`, each compared with
//! the `.stderr` file beside it (the message a user sees). After changing a message, run
//! `TRYBUILD=overwrite cargo test --test compile_fail` and read the new `.stderr` files.

#[test]
fn ui() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}

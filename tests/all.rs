//! The integration tests, one module per file, in one test binary: linking the library and
//! its test dependencies once rather than a hundred times is most of `cargo test`'s build.
//! `header`, `fd_counts` and `fd_errors` stay binaries of their own (the header test sets
//! environment variables for cbindgen; Miri runs the other two alone, `tests/miri.sh`).
//! Run one file's tests with `cargo test --release --test all -- <file>::`. A new file in
//! tests/ is a module here (or a `[[test]]` of Cargo.toml): `every_test_file_is_built`.

#[path = "accuracy_common/mod.rs"]
mod accuracy_common;
#[path = "common/chain.rs"]
mod chain;
mod common;

mod accuracy_complex;
mod accuracy_counts;
mod accuracy_coverage;
mod accuracy_coverage_jvp;
mod accuracy_estimate;
mod accuracy_estimate_alias;
mod accuracy_estimate_even_smooth;
mod accuracy_estimate_honest;
mod accuracy_estimate_kink;
mod accuracy_estimate_mixed_scales;
mod accuracy_estimate_nan_side;
mod accuracy_estimate_near_edge;
mod accuracy_estimate_ode;
mod accuracy_estimate_resolve;
mod accuracy_estimate_scales;
mod accuracy_estimate_start;
mod accuracy_fallback;
mod accuracy_table;
mod adaptive_unbounded;
mod c_api;
mod complex_step_analytic_check;
mod complex_step_far_above_typical;
mod complex_step_real;
mod complex_step_scales;
mod estimate_check_on_noise;
mod estimate_far_from_typical;
mod estimate_fast_oscillation;
mod estimate_jvp_wide_direction;
mod fd_accuracy;
mod fd_accuracy_near_zero;
mod fd_batch;
mod fd_batch_deferred;
mod fd_bound_at_x_near_zero;
mod fd_bound_declared_typical;
mod fd_bound_inflection_above;
mod fd_bound_large_x;
mod fd_bound_refuted_scale;
mod fd_bounds;
mod fd_bounds_edge;
mod fd_bounds_step;
mod fd_counts_by_batch;
mod fd_edge_at_x;
mod fd_edge_far_above;
mod fd_failure_everywhere;
mod fd_failure_numbered;
mod fd_fallback_bound;
mod fd_fallback_honest;
mod fd_feature_under_step;
mod fd_fused;
mod fd_grow_extrapolated;
mod fd_grow_one_sided;
mod fd_hidden_below_rounding;
mod fd_huge_outputs;
mod fd_jvp_across_pole;
mod fd_jvp_asin_edges;
mod fd_jvp_bounds_columns;
mod fd_jvp_far_above;
mod fd_jvp_sin_far;
mod fd_jvp_unmoved_element;
mod fd_learned;
mod fd_learned_honest;
mod fd_learned_lent;
mod fd_learned_schemes;
mod fd_log_tiny;
mod fd_nan_at_refinement;
mod fd_narrow_feature;
mod fd_noise;
mod fd_noise_estimate_small_x;
mod fd_nonfinite;
mod fd_offset_small_x;
mod fd_onesided_small_x;
mod fd_pole_near_x;
mod fd_refine;
mod fd_refine_directions;
mod fd_refine_own_scale;
mod fd_refined_oscillating;
mod fd_report_bound;
mod fd_report_bound_inflection;
mod fd_report_bound_rounding;
mod fd_report_bound_scaled_direction;
mod fd_report_entry_points;
mod fd_schemes_scaled;
mod fd_sine_sums_near_zero;
mod fd_small_feature;
mod fd_sparse_bounds_edge;
mod fd_sparse_subnormal_x;
mod fd_sparsity;
mod fd_sphere_edge;
mod fd_steps;
mod fd_subnormal_outputs;
mod fd_threads_batch;
mod fd_zero_results;
mod grid_bounds_cover;
mod noisy_auto_above_typ;
mod noisy_bounds_cover;
mod noisy_functions;
mod noisy_jvp_tight_box;
mod noisy_never_worse;
mod noisy_one_direction;
mod noisy_own_scale;
mod noisy_own_scale_paths;
mod noisy_random_points;
mod noisy_report_bound;
mod noisy_report_bound_paths;
mod noisy_some_inputs;
mod noisy_step_above_typ;
mod noisy_step_bound_floor;
mod noisy_step_scale;
mod tape_callbacks;
mod tape_errors;
mod tape_ops;
mod tape_replay;

/// Every `tests/*.rs` is built: a module of this binary or a `[[test]]` target of its own
/// (with `autotests = false`, a file in neither would silently never run).
#[test]
fn every_test_file_is_built() {
    let root = env!("CARGO_MANIFEST_DIR");
    let cargo = std::fs::read_to_string(format!("{root}/Cargo.toml")).unwrap();
    let this = include_str!("all.rs");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(format!("{root}/tests")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let module = format!("\nmod {stem};\n");
        let target = format!("path = \"tests/{stem}.rs\"");
        if stem != "all" && !this.contains(&module) && !cargo.contains(&target) {
            missing.push(stem);
        }
    }
    assert!(
        missing.is_empty(),
        "tests/*.rs built by nothing: {missing:?}"
    );
}

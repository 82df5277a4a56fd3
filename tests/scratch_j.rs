mod common;
use common::plain;
use fdvjp::fd::{self, last_report, Scheme};
#[test]
fn one() {
    let tf = common::all()
        .into_iter()
        .find(|t| t.name == "rational")
        .unwrap();
    let x = [
        -1.1995962821696082,
        0.8335292933186578,
        2.307680914850489e-9,
    ];
    for w in [
        [
            0.13279371866038203,
            -0.7361438546004024,
            -0.9945981005175168,
        ],
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
        [0.3, -0.5, 0.7],
        [1.0, 1.0, 1.0],
    ] {
        let got = fd::jvp(&plain(&tf), &x, 2, &w, &tf.options(Scheme::Central)).unwrap();
        let r = last_report();
        let j = tf.jacobian(&x);
        let want: Vec<f64> = (0..2)
            .map(|i| (0..3).map(|k| j[i * 3 + k] * w[k]).sum())
            .collect();
        println!(
            "w {w:?} got {got:?} err {:e} {:e} evals {} large {} round {} noise {} bound {:e}",
            got[0] - want[0],
            got[1] - want[1],
            r.evaluations,
            r.refined_large,
            r.refined_rounding,
            r.refined_noise,
            r.error_bound
        );
    }
}

//! Recording the elementwise ops and the reductions, the ops a short tape is mostly made
//! of, each by its own path rather than through [`Tape`]'s general record (`record.rs`).
//!
//! Why: the general record checks an op through [`Op::check`], whose `Result` of a shape
//! is moved through the stack twice before the node is built, and builds the node after
//! evaluating it. Each such move of a value just written reads back as a whole word, or
//! two words at once, what was written in smaller pieces, and the processor then cannot
//! forward the store to the load and stalls (about 10 cycles each). At length 10 those
//! stalls were about a third of recording a unary op (issue 15). Here the shape is
//! cloned before anything else, and the node is built before the op is evaluated and
//! appended after it, so every copy reads memory written long enough before.
//!
//! Each path does what the general record does for its op, in the same order (stale
//! check, shape check, room, evaluation), with the same messages; the tests below compare
//! them with [`Op::check`] and [`Op::evaluate`], the general path that replay uses.

use super::dims::Dims;
use super::error::TapeError;
use super::node::{Depends, Node, Op};
use super::ops::binary::BinaryOp;
use super::ops::reduce::ReduceOp;
use super::ops::unary::UnaryOp;
use super::record::Tape;
use super::var::Var;

impl Tape {
    /// Records `op(a)` elementwise.
    pub fn unary(&mut self, op: UnaryOp, a: Var) -> Result<Var, TapeError> {
        let a = self.index(a)?;
        let dims = self.nodes[a].dims.clone();
        if self.stale {
            return Err(self.stale_record(&Op::Unary(op, [a])));
        }
        let (len, depends) = (self.nodes[a].len, self.nodes[a].depends);
        // With sin's and cos's derivative after the value (`Node::span`); no overflow: an
        // operand of `len` doubles exists.
        let span = if op.keeps_derivative() { 2 * len } else { len };
        let (index, start) = self.room(span, || format!("the result of a {}", op.name()))?;
        let node = Node {
            start,
            len,
            dims,
            op: Op::Unary(op, [a]),
            depends,
        };
        let (before, rest) = self.values.split_at_mut(start);
        op.forward(&before[self.nodes[a].range()], &mut rest[..span]);
        Ok(self.append(index, node))
    }

    /// Records `a op b` elementwise; a scalar (shape `[]`) operand is broadcast.
    pub fn binary(&mut self, op: BinaryOp, a: Var, b: Var) -> Result<Var, TapeError> {
        let [a, b] = self.indices([a, b])?;
        // The result has a's shape unless a is a scalar (checked below).
        let like = if self.nodes[a].dims.as_slice().is_empty() {
            b
        } else {
            a
        };
        let dims = self.nodes[like].dims.clone();
        if self.stale {
            return Err(self.stale_record(&Op::Binary(op, [a, b])));
        }
        let (na, nb) = (&self.nodes[a], &self.nodes[b]);
        op.check_shapes(na.dims.as_slice(), nb.dims.as_slice())?;
        let depends = Depends::new(na.active() || nb.active());
        let len = self.nodes[like].len;
        let (index, start) = self.room(len, || format!("the result of a {}", op.name()))?;
        let node = Node {
            start,
            len,
            dims,
            op: Op::Binary(op, [a, b]),
            depends,
        };
        let (before, rest) = self.values.split_at_mut(start);
        let nodes = &self.nodes;
        let operand = |i: usize| (&before[nodes[i].range()], nodes[i].dims.as_slice());
        op.forward(operand(a), operand(b), &mut rest[..len]);
        Ok(self.append(index, node))
    }

    /// Records the reduction of `a` to a scalar.
    pub fn reduce(&mut self, op: ReduceOp, a: Var) -> Result<Var, TapeError> {
        let a = self.index(a)?;
        if self.stale {
            return Err(self.stale_record(&Op::Reduce(op, [a])));
        }
        let depends = self.nodes[a].depends;
        let (index, start) = self.room(1, || format!("the result of a {}", op.name()))?;
        let node = Node {
            start,
            len: 1,
            dims: Dims::scalar(),
            op: Op::Reduce(op, [a]),
            depends,
        };
        self.values[start] = op.forward(&self.values[self.nodes[a].range()]);
        Ok(self.append(index, node))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tape::error::Phase;

    /// Checks every node from `from` on against the general path: its shape and length
    /// as [`Op::check`] gives them, whether it depends on an input, and its value as
    /// [`Op::evaluate`] computes it, bit for bit.
    fn same_as_general(t: &Tape, from: usize) {
        for i in from..t.nodes.len() {
            let (earlier, node) = (&t.nodes[..i], &t.nodes[i]);
            let (dims, len) = node.op.check(earlier).unwrap();
            assert_eq!((&node.dims, node.len), (&dims, len), "node {i}");
            let depends = node.op.operands().iter().any(|&k| earlier[k].active());
            assert_eq!(node.active(), depends, "node {i}");
            let mut out = vec![0.0; node.span()];
            let at = (i, Phase::Record);
            node.op
                .evaluate(at, earlier, &t.values[..node.start], &mut out)
                .unwrap();
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&t.values[node.span_range()]), bits(&out), "node {i}");
        }
    }

    #[test]
    fn each_op_records_what_the_general_path_gives() {
        let mut t = Tape::new();
        let x = [0.3, -1.7, 0.0, -0.0, 2.5, 1e-300, 40.0];
        let v = t.input_slice(&x).unwrap();
        let c = t
            .constant_slice(&[1.5, -2.0, 0.5, 3.0, -0.25, 7.0, 1e10])
            .unwrap();
        let s = t.scalar(-0.75).unwrap();
        let si = t.input(ndarray::arr0(1.25).into_dyn()).unwrap();
        let m = t
            .input(ndarray::arr2(&[[1.0, -2.0], [0.5, 3.0]]).into_dyn())
            .unwrap();
        let first = t.len();
        for op in UnaryOp::ALL {
            for a in [v, c, s, si, m] {
                t.unary(op, a).unwrap();
            }
        }
        let pairs = [
            (v, c),
            (c, v),
            (v, s),
            (s, v),
            (c, si),
            (s, si),
            (c, c),
            (m, si),
        ];
        for op in BinaryOp::ALL {
            for (a, b) in pairs {
                t.binary(op, a, b).unwrap();
            }
        }
        for op in ReduceOp::ALL {
            for a in [v, c, s, m] {
                t.reduce(op, a).unwrap();
            }
        }
        same_as_general(&t, first);
    }

    /// Sin and cos keep the other function from `f64::sin_cos` (the C library's `sincos`
    /// in a release build) where the pull-back called `cos` or `sin`: the same bits are
    /// required, NaNs included, over magnitudes from subnormal to huge.
    #[test]
    fn sin_cos_gives_the_bits_of_sin_and_cos() {
        use std::hint::black_box;
        let mut x: Vec<f64> = vec![
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -f64::NAN,
            f64::from_bits(0x7ff0_0000_0000_0001),
            5e-324,
            -1e-310,
            f64::MIN_POSITIVE,
            2.5e-8,
            std::f64::consts::PI,
            std::f64::consts::FRAC_PI_2,
            1e22,
            f64::MAX,
            -f64::MAX,
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for k in 0..300_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            x.push(match k % 3 {
                0 => f64::from_bits(state),
                1 => 20.0 * unit,
                _ => 1e7 * unit,
            });
        }
        let mut out = vec![0.0; 2 * x.len()];
        for (op, f, g) in [
            (
                UnaryOp::Sin,
                f64::sin as fn(f64) -> f64,
                f64::cos as fn(f64) -> f64,
            ),
            (UnaryOp::Cos, f64::cos, f64::sin),
        ] {
            op.forward(&x, &mut out);
            let (value, derivative) = out.split_at(x.len());
            for (k, &v) in x.iter().enumerate() {
                let expected = (f(black_box(v)).to_bits(), g(black_box(v)).to_bits());
                let got = (value[k].to_bits(), derivative[k].to_bits());
                assert_eq!(got, expected, "{} at {v:e}", op.name());
            }
        }
    }

    #[test]
    fn errors_are_those_of_the_general_path() {
        let mut t = Tape::new();
        let v = t.input_slice(&[1.0, 2.0]).unwrap();
        let w = t.input_slice(&[1.0, 2.0, 3.0]).unwrap();
        let general = |t: &Tape, op: Op| {
            let (dims, len) = op.check(&t.nodes)?;
            Ok::<_, TapeError>((dims, len))
        };
        let mismatch = t.binary(BinaryOp::Mul, v, w).unwrap_err().to_string();
        let expected = general(&t, Op::Binary(BinaryOp::Mul, [0, 1])).unwrap_err();
        assert_eq!(mismatch, expected.to_string());
        t.set_input(v, &[3.0, 4.0]).unwrap();
        let stale = t.unary(UnaryOp::Exp, v).unwrap_err().to_string();
        assert_eq!(
            stale,
            t.stale_record(&Op::Unary(UnaryOp::Exp, [0])).to_string()
        );
        assert!(stale.starts_with("cannot record a exp: inputs were set"));
        let len = t.len();
        assert!(t.binary(BinaryOp::Add, v, w).is_err());
        assert!(t.reduce(ReduceOp::Sum, v).is_err());
        assert_eq!(t.len(), len, "a failed record appends nothing");
    }
}

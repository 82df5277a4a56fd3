//! Counts evaluations, reports progress, serves points evaluated ahead in a batch, and
//! turns a function's failure code into an error that says where.

use super::alloc::{scratch, scratch_copy};
use super::error::FdError;
use super::function::Function;

/// Wraps a [`Function`] for one computation: numbers its evaluations from 1.
pub(crate) struct Evaluator<'f, F: Function + ?Sized> {
    f: &'f F,
    count: usize,
    /// Evaluations the computation plans (grows with fall-backs), for progress reports.
    planned: usize,
    ahead: Ahead,
}

/// Points evaluated ahead of their request, in one batch; each is served once, to the
/// request for exactly (bitwise) the same point.
#[derive(Default)]
struct Ahead {
    xs: Vec<f64>,
    ys: Vec<f64>,
    served: Vec<bool>,
    /// Where to look first: requests come in the order the points were planned.
    cursor: usize,
}

impl Ahead {
    fn take(&mut self, x: &[f64], y: &mut [f64]) -> bool {
        let k = self.served.len();
        if k == 0 {
            return false;
        }
        let (n, m) = (x.len(), y.len());
        for p in (self.cursor..k).chain(0..self.cursor) {
            if !self.served[p] && bitwise_eq(&self.xs[p * n..(p + 1) * n], x) {
                self.served[p] = true;
                self.cursor = p + 1;
                y.copy_from_slice(&self.ys[p * m..(p + 1) * m]);
                return true;
            }
        }
        false
    }
}

fn bitwise_eq(a: &[f64], b: &[f64]) -> bool {
    a.iter().zip(b).all(|(p, q)| p.to_bits() == q.to_bits())
}

impl<'f, F: Function + ?Sized> Evaluator<'f, F> {
    pub fn new(f: &'f F) -> Self {
        Self {
            f,
            count: 0,
            planned: 0,
            ahead: Ahead::default(),
        }
    }

    /// Evaluations made so far (points served from a batch counted when evaluated).
    pub fn count(&self) -> usize {
        self.count
    }

    /// Announces `k` more planned evaluations (for progress reports).
    pub fn plan(&mut self, k: usize) {
        self.planned += k;
    }

    /// Evaluates `f(x)` into `y`, or serves it from the batch evaluated ahead; `point`
    /// describes `x` for the error message.
    pub fn eval(
        &mut self,
        x: &[f64],
        y: &mut [f64],
        point: impl FnOnce() -> String,
    ) -> Result<(), FdError> {
        if !self.ahead.served.is_empty() && self.ahead.take(x, y) {
            return Ok(());
        }
        self.count += 1;
        if let Err(code) = self.f.eval(x, y) {
            let fault = self.f.explain_failure(code);
            return Err(FdError::callback(code, fault, self.count, point()));
        }
        self.report()
    }

    /// Evaluates the `k` points stacked in `xs`, at most `batch` per call of
    /// [`Function::eval_many`], and keeps their values for the requests that follow
    /// (replacing any earlier batch). `point(p)` describes point `p` for an error message.
    pub fn eval_ahead(
        &mut self,
        xs: Vec<f64>,
        n: usize,
        m: usize,
        batch: usize,
        point: impl FnOnce(usize) -> String,
    ) -> Result<(), FdError> {
        let k = xs.len() / n;
        let mut ys = std::mem::take(&mut self.ahead.ys);
        ys.clear();
        let len = k.checked_mul(m).ok_or(FdError::OutOfMemory {
            what: "the values of a batch",
            elements: usize::MAX,
        })?;
        ys.try_reserve_exact(len)
            .map_err(|_| FdError::OutOfMemory {
                what: "the values of a batch",
                elements: len,
            })?;
        ys.resize(len, 0.0);
        self.ahead = Ahead::default();
        // The batch may be any size_t (the caller's): saturate, a chunk is at most all.
        for (c, (xc, yc)) in xs
            .chunks(batch.saturating_mul(n))
            .zip(ys.chunks_mut(batch.saturating_mul(m)))
            .enumerate()
        {
            if let Err(failed) = self.f.eval_many(xc, yc, n, m) {
                let evaluation = self.count + failed.point + 1;
                self.count += failed.evaluated;
                let point = point(c * batch + failed.point);
                let fault = self.f.explain_failure(failed.code);
                return Err(FdError::callback(failed.code, fault, evaluation, point));
            }
            self.count += yc.len() / m;
            self.report()?;
        }
        self.ahead = Ahead {
            xs,
            ys,
            served: vec![false; k],
            cursor: 0,
        };
        Ok(())
    }

    /// Tells the function how far the computation is; its refusal cancels.
    fn report(&mut self) -> Result<(), FdError> {
        self.planned = self.planned.max(self.count);
        if self.f.progress(self.count, self.planned) {
            Ok(())
        } else {
            Err(FdError::Cancelled {
                done: self.count,
                total: self.planned,
            })
        }
    }

    /// `f(x)` at the unperturbed point, or the caller's recorded value of it; either must be
    /// finite.
    pub fn base(
        &mut self,
        x: &[f64],
        m: usize,
        known: Option<&[f64]>,
    ) -> Result<Vec<f64>, FdError> {
        let y0 = match known {
            Some(fx) => scratch_copy(fx),
            None => {
                let mut y = scratch(m);
                self.eval(x, &mut y, || "x".to_string())?;
                y
            }
        };
        match y0.iter().position(|v| !v.is_finite()) {
            None => Ok(y0),
            Some(index) => Err(FdError::NonFiniteAtX {
                index,
                value: y0[index],
            }),
        }
    }
}

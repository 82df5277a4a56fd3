// fdvjp.hpp: header-only C++17 wrapper over the C API in fdvjp.h.
//
//   fdvjp::config cfg;                       // RAII handle, options chain
//   cfg.scheme(FDVJP_CENTRAL4);
//   auto grad = fdvjp::vjp([](const std::vector<double>& x) { return f(x); }, x, v, cfg);
//
// Functions are any callables, in one of two forms:
//   - out-parameter:  void|int (fdvjp::span<const double> x, fdvjp::span<double> y)
//                     (an int result is a status: non-zero aborts the computation);
//   - value-returning: R (const std::vector<double>& x), R a double or a container of
//                     doubles with size() and begin()/end().
// An exception thrown by the callable is caught before it reaches the C library (C frames
// cannot unwind), the computation is aborted, and the exception is rethrown unchanged after
// the C call returns. Every failure of the library throws fdvjp::error, carrying the
// status and the library's message. Outputs are written only on success.
#ifndef FDVJP_HPP
#define FDVJP_HPP

#include "fdvjp/error.hpp"        // fdvjp::error, last_error, check
#include "fdvjp/span.hpp"         // fdvjp::span, fdvjp::matrix
#include "fdvjp/config.hpp"       // fdvjp::config
#include "fdvjp/callable.hpp"     // callables as fdvjp_fn (exception trampolines)
#include "fdvjp/derivatives.hpp"  // vjp, jvp, jacobian
#include "fdvjp/accuracy.hpp"     // *_estimate, *_complex_step, complex_*
#include "fdvjp/batch.hpp"        // *_batch: batch functions
#include "fdvjp/tape.hpp"         // fdvjp::tape, fdvjp::var
#include "fdvjp/report.hpp"       // last_report, last_report_noise
#include "fdvjp/version.hpp"      // version

#endif  // FDVJP_HPP

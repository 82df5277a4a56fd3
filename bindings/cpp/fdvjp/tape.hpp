// fdvjp::tape: RAII owner of an fdvjp_tape, recording built-in ops and C++ callables
// (opaque: differentiated by finite differences; or with a user adjoint), and fdvjp::var,
// a variable on it with arithmetic operators.
//
// The tape owns copies of the callables given to call / call_vjp and calls them again in
// backward and forward; an exception thrown by one of them is rethrown by the tape method
// that triggered it. Callables see the concatenation of their arguments' values.
#ifndef FDVJP_TAPE_HPP
#define FDVJP_TAPE_HPP

#include "callable.hpp"
#include "config.hpp"
#include "derivatives.hpp"

#include <initializer_list>
#include <memory>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace fdvjp {

class tape;

// A variable of a tape: the tape it belongs to and its id. Arithmetic records ops.
struct var {
    tape* owner = nullptr;
    fdvjp_var id = 0;
    // The node it names on its tape, counting from 0 in the order of recording: the number
    // fdvjp's messages show ("var 3", "node 3"); the id itself also holds the tape's serial.
    std::size_t index() const noexcept { return static_cast<std::size_t>(id & 0xffffffffu); }
};

// "var N", N = v.index(), as fdvjp's messages name it.
inline std::string to_string(var v) { return "var " + std::to_string(v.index()); }
inline std::ostream& operator<<(std::ostream& out, var v) { return out << to_string(v); }

namespace detail {

// A callable kept by a tape for as long as the tape lives.
struct kept_callable {
    virtual ~kept_callable() = default;
};

template <class F>
struct kept_function : kept_callable {
    kept_function(F fn, exception_slot* s) : f(std::move(fn)), slot(s) {}
    F f;
    exception_slot* slot;
    F& function() { return f; }
};

template <class F, class G>
struct kept_pair : kept_callable {
    kept_pair(F fn, G adj, exception_slot* s) : f(std::move(fn)), g(std::move(adj)), slot(s) {}
    F f;
    G g;
    exception_slot* slot;
    F& function() { return f; }
    G& adjoint() { return g; }
};

}  // namespace detail

class tape {
public:
    tape() : handle_(fdvjp_tape_new()), slot_(std::make_unique<detail::exception_slot>()) {
        if (!handle_) throw error(FDVJP_OUT_OF_MEMORY, "fdvjp_tape_new returned NULL");
    }
    ~tape() { fdvjp_tape_free(handle_); }  // before the kept callables are destroyed
    tape(tape&& other) noexcept
        : handle_(std::exchange(other.handle_, nullptr)), slot_(std::move(other.slot_)),
          kept_(std::move(other.kept_)), progress_(std::move(other.progress_)) {}
    tape& operator=(tape&& other) noexcept {
        if (this != &other) {
            fdvjp_tape_free(handle_);
            handle_ = std::exchange(other.handle_, nullptr);
            slot_ = std::move(other.slot_);
            kept_ = std::move(other.kept_);
            progress_ = std::move(other.progress_);
        }
        return *this;
    }
    tape(const tape&) = delete;
    tape& operator=(const tape&) = delete;

    fdvjp_tape* get() const noexcept { return handle_; }

    // ------------------------------------------------------------ leaves

    // A differentiable input; `shape` empty means a vector of x.size() elements.
    var input(span<const double> x, std::vector<std::size_t> shape = {}) {
        return leaf(&fdvjp_tape_input_shaped, x, std::move(shape));
    }
    // A constant: takes part in ops, is not differentiated.
    var constant(span<const double> x, std::vector<std::size_t> shape = {}) {
        return leaf(&fdvjp_tape_constant_shaped, x, std::move(shape));
    }
    // A scalar constant (ndim 0), which broadcasts in elementwise ops.
    var scalar(double value) { return leaf_scalar(value); }

    // ------------------------------------------------------------ functions

    // y = f(concatenated args) with m outputs, differentiated by finite differences with
    // cfg's options (cfg is copied by the tape; nullptr = defaults).
    template <class F>
    var call(F f, std::initializer_list<var> args, std::size_t m, const config* cfg = nullptr) {
        using Kept = detail::kept_function<std::decay_t<F>>;
        live();  // before a callable is kept with this tape's slot
        auto kept = std::make_unique<Kept>(std::move(f), slot_.get());
        void* user = kept.get();
        kept_.push_back(std::move(kept));
        keep_progress(cfg);
        const std::vector<fdvjp_var> ids = ids_of(args);
        return record([&](fdvjp_var* out) {
            return fdvjp_tape_call(live(), detail::handle(cfg), &detail::trampoline<Kept>, user,
                                   ids.data(), ids.size(), m, out);
        });
    }

    // As call, with a batch function (see batch.hpp) of the concatenated args.
    template <class F>
    var call_batch(F f, std::initializer_list<var> args, std::size_t m, const config* cfg = nullptr) {
        using Kept = detail::kept_function<std::decay_t<F>>;
        live();  // before a callable is kept with this tape's slot
        auto kept = std::make_unique<Kept>(std::move(f), slot_.get());
        void* user = kept.get();
        kept_.push_back(std::move(kept));
        keep_progress(cfg);
        const std::vector<fdvjp_var> ids = ids_of(args);
        return record([&](fdvjp_var* out) {
            return fdvjp_tape_call_batch(live(), detail::handle(cfg), &detail::batch_trampoline<Kept>, user,
                                         ids.data(), ids.size(), m, out);
        });
    }

    // y = f(concatenated args) with its adjoint g(x, y, v, grad) (overwrites grad = v^T J).
    template <class F, class G>
    var call_vjp(F f, G g, std::initializer_list<var> args, std::size_t m) {
        using Kept = detail::kept_pair<std::decay_t<F>, std::decay_t<G>>;
        live();  // before a callable is kept with this tape's slot
        auto kept = std::make_unique<Kept>(std::move(f), std::move(g), slot_.get());
        void* user = kept.get();
        kept_.push_back(std::move(kept));
        const std::vector<fdvjp_var> ids = ids_of(args);
        return record([&](fdvjp_var* out) {
            return fdvjp_tape_call_vjp(live(), &detail::trampoline<Kept>, &detail::adjoint_trampoline<Kept>,
                                       user, ids.data(), ids.size(), m, out);
        });
    }

    // ------------------------------------------------------------ built-in ops

    var unary(int32_t op, var a) {
        return record([&](fdvjp_var* out) { return fdvjp_tape_unary(live(), op, a.id, out); });
    }
    var binary(int32_t op, var a, var b) {
        return record([&](fdvjp_var* out) { return fdvjp_tape_binary(live(), op, a.id, b.id, out); });
    }
    var reduce(int32_t op, var a) {
        return record([&](fdvjp_var* out) { return fdvjp_tape_reduce(live(), op, a.id, out); });
    }
    var pow(var a, double p) {
        return record([&](fdvjp_var* out) { return fdvjp_tape_pow_scalar(live(), a.id, p, out); });
    }
    var dot(var a, var b) {
        return record([&](fdvjp_var* out) { return fdvjp_tape_dot(live(), a.id, b.id, out); });
    }
    var matmul(var a, var b) {
        return record([&](fdvjp_var* out) { return fdvjp_tape_matmul(live(), a.id, b.id, out); });
    }
    var reshape(var a, const std::vector<std::size_t>& shape) {
        return record([&](fdvjp_var* out) {
            return fdvjp_tape_reshape(live(), a.id, shape.data(), shape.size(), out);
        });
    }
    var slice(var a, std::size_t start, std::size_t len) {
        return record([&](fdvjp_var* out) { return fdvjp_tape_slice(live(), a.id, start, len, out); });
    }
    var concat(std::initializer_list<var> vars) {
        const std::vector<fdvjp_var> ids = ids_of(vars);
        return record([&](fdvjp_var* out) { return fdvjp_tape_concat(live(), ids.data(), ids.size(), out); });
    }

    // ------------------------------------------------------------ values and gradients

    std::vector<std::size_t> shape(var v) const {
        std::size_t ndim = 0;
        check(fdvjp_tape_ndim(live(), v.id, &ndim));
        std::vector<std::size_t> dims(ndim);
        check(fdvjp_tape_shape(live(), v.id, dims.data(), ndim));
        return dims;
    }
    std::size_t size(var v) const {
        std::size_t len = 0;
        check(fdvjp_tape_len(live(), v.id, &len));
        return len;
    }
    std::vector<double> value(var v) const {
        std::vector<double> out(size(v));
        check(fdvjp_tape_value(live(), v.id, out.data(), out.size()));
        return out;
    }
    // Gradients of <seed, out> for every input; an empty seed requires a scalar out.
    void backward(var out, span<const double> seed = {}) {
        finish(fdvjp_tape_backward(live(), out.id, seed.empty() ? nullptr : seed.data(), seed.size()));
    }
    std::vector<double> grad(var input) const {
        std::vector<double> out(size(input));
        check(fdvjp_tape_grad(live(), input.id, out.data(), out.size()));
        return out;
    }
    void set_input(var input, span<const double> x) {
        check(fdvjp_tape_set_input(live(), input.id, x.data(), x.size()));
    }
    void forward() { finish(fdvjp_tape_forward(live())); }
    // Empties the tape; every var issued so far becomes unknown.
    void clear() {
        check(fdvjp_tape_clear(live()));
        kept_.clear();
        progress_.clear();
    }

private:
    using leaf_fn = fdvjp_status (*)(fdvjp_tape*, const double*, const std::size_t*, std::size_t, fdvjp_var*);

    var leaf(leaf_fn entry, span<const double> x, std::vector<std::size_t> shape) {
        if (shape.empty()) shape.push_back(x.size());
        std::size_t count = 1;
        for (std::size_t d : shape) count = detail::checked_product("fdvjp::tape", count, d);
        detail::require_size("fdvjp::tape::input", "x", x.size(), count);
        return record([&](fdvjp_var* out) { return entry(live(), x.data(), shape.data(), shape.size(), out); });
    }
    var leaf_scalar(double value) {
        return record([&](fdvjp_var* out) { return fdvjp_tape_constant_shaped(live(), &value, nullptr, 0, out); });
    }

    template <class Record>
    var record(Record&& call) {
        fdvjp_var out = 0;
        finish(call(&out));
        return var{this, out};
    }

    // The tape copies cfg, progress callable included: keep that alive as long as the tape.
    void keep_progress(const config* cfg) {
        if (cfg && cfg->progress_holder()) progress_.push_back(cfg->progress_holder());
    }

    // A kept callable's exception first (it caused the failure), then a progress
    // callable's, then the status.
    void finish(int32_t status) {
        slot_->rethrow_if_any();
        for (const auto& progress : progress_) progress->slot.rethrow_if_any();
        check(status);
    }

    // The handle, or a clear error on a tape that was moved from (its handle, records and
    // callables went with the move; the C calls would only say "tape is NULL").
    fdvjp_tape* live() const {
        if (!handle_)
            throw error(FDVJP_INVALID_ARGUMENT,
                        "fdvjp::tape: this tape was moved from (its records went with it); use the tape "
                        "it was moved to");
        return handle_;
    }

    static std::vector<fdvjp_var> ids_of(std::initializer_list<var> vars) {
        std::vector<fdvjp_var> ids;
        for (const var& v : vars) ids.push_back(v.id);
        return ids;
    }

    fdvjp_tape* handle_;
    std::unique_ptr<detail::exception_slot> slot_;
    std::vector<std::unique_ptr<detail::kept_callable>> kept_;
    std::vector<std::shared_ptr<detail::progress_holder>> progress_;
};

// ---------------------------------------------------------------- var arithmetic
//
// A var behaves like a number: + - * / with another var of the same tape or with a double
// on either side (the double is recorded as a scalar constant, which broadcasts), unary
// minus and plus, compound assignment (`x += y` rebinds x to the new node), and every
// built-in op as a free function in namespace fdvjp, found by argument-dependent lookup:
// `exp(x)`, `fdvjp::abs(x)`, `pow(x, 2.0)`, `sum(x)`. A var of no tape (default-constructed)
// throws fdvjp::error (FDVJP_UNKNOWN_VAR); vars of two different tapes do too.

namespace detail {
inline tape& owner_of(const char* op, var a) {
    if (!a.owner) throw error(FDVJP_UNKNOWN_VAR, std::string("fdvjp::") + op + ": the var belongs to no tape");
    return *a.owner;
}
inline tape& owner_of(const char* op, var a, var b) {
    tape& t = owner_of(op, a);
    if (&owner_of(op, b) != &t)
        throw error(FDVJP_UNKNOWN_VAR, std::string("fdvjp::") + op + ": the two vars belong to different tapes");
    return t;
}
inline var binary_op(const char* name, int32_t op, var a, var b) { return owner_of(name, a, b).binary(op, a, b); }
inline var binary_op(const char* name, int32_t op, var a, double s) {
    tape& t = owner_of(name, a);
    return t.binary(op, a, t.scalar(s));
}
inline var binary_op(const char* name, int32_t op, double s, var a) {
    tape& t = owner_of(name, a);
    return t.binary(op, t.scalar(s), a);
}
inline var unary_op(const char* name, int32_t op, var a) { return owner_of(name, a).unary(op, a); }
inline var reduce_op(const char* name, int32_t op, var a) { return owner_of(name, a).reduce(op, a); }
}  // namespace detail

#define FDVJP_VAR_BINARY_OPERATOR(symbol, name, code)                                              \
    inline var operator symbol(var a, var b) { return detail::binary_op(name, code, a, b); }      \
    inline var operator symbol(var a, double s) { return detail::binary_op(name, code, a, s); }   \
    inline var operator symbol(double s, var a) { return detail::binary_op(name, code, s, a); }   \
    inline var& operator symbol##=(var& a, var b) { return a = a symbol b; }                     \
    inline var& operator symbol##=(var& a, double s) { return a = a symbol s; }
FDVJP_VAR_BINARY_OPERATOR(+, "operator+", FDVJP_OP_ADD)
FDVJP_VAR_BINARY_OPERATOR(-, "operator-", FDVJP_OP_SUB)
FDVJP_VAR_BINARY_OPERATOR(*, "operator*", FDVJP_OP_MUL)
FDVJP_VAR_BINARY_OPERATOR(/, "operator/", FDVJP_OP_DIV)
#undef FDVJP_VAR_BINARY_OPERATOR

inline var operator-(var a) { return detail::unary_op("operator-", FDVJP_OP_NEG, a); }
inline var operator+(var a) {
    (void)detail::owner_of("operator+", a);
    return a;
}

// Elementwise functions (exact derivatives; abs takes the subgradient 0 at 0).
#define FDVJP_VAR_UNARY_FUNCTION(fn, code) \
    inline var fn(var a) { return detail::unary_op(#fn, code, a); }
FDVJP_VAR_UNARY_FUNCTION(neg, FDVJP_OP_NEG)
FDVJP_VAR_UNARY_FUNCTION(exp, FDVJP_OP_EXP)
FDVJP_VAR_UNARY_FUNCTION(log, FDVJP_OP_LOG)
FDVJP_VAR_UNARY_FUNCTION(log1p, FDVJP_OP_LOG1P)
FDVJP_VAR_UNARY_FUNCTION(sqrt, FDVJP_OP_SQRT)
FDVJP_VAR_UNARY_FUNCTION(sin, FDVJP_OP_SIN)
FDVJP_VAR_UNARY_FUNCTION(cos, FDVJP_OP_COS)
FDVJP_VAR_UNARY_FUNCTION(tan, FDVJP_OP_TAN)
FDVJP_VAR_UNARY_FUNCTION(tanh, FDVJP_OP_TANH)
FDVJP_VAR_UNARY_FUNCTION(abs, FDVJP_OP_ABS)
FDVJP_VAR_UNARY_FUNCTION(fabs, FDVJP_OP_ABS)
FDVJP_VAR_UNARY_FUNCTION(square, FDVJP_OP_SQUARE)
#undef FDVJP_VAR_UNARY_FUNCTION

// Powers: a^p elementwise for a double p; a^b with b a var (elementwise, broadcasting a
// scalar); s^a for a double base.
inline var pow(var a, double p) { return detail::owner_of("pow", a).pow(a, p); }
inline var pow(var a, var b) { return detail::binary_op("pow", FDVJP_OP_POW, a, b); }
inline var pow(double s, var a) { return detail::binary_op("pow", FDVJP_OP_POW, s, a); }

// Reductions to a scalar (ndim 0).
inline var sum(var a) { return detail::reduce_op("sum", FDVJP_REDUCE_SUM, a); }
inline var mean(var a) { return detail::reduce_op("mean", FDVJP_REDUCE_MEAN, a); }
inline var norm(var a) { return detail::reduce_op("norm", FDVJP_REDUCE_NORM2, a); }

// Products and shapes.
inline var dot(var a, var b) { return detail::owner_of("dot", a, b).dot(a, b); }
inline var matmul(var a, var b) { return detail::owner_of("matmul", a, b).matmul(a, b); }
inline var reshape(var a, const std::vector<std::size_t>& shape) { return detail::owner_of("reshape", a).reshape(a, shape); }
// Elements [start, start + len) of a's flattened values (0-based, as everywhere in C++).
inline var slice(var a, std::size_t start, std::size_t len) { return detail::owner_of("slice", a).slice(a, start, len); }
inline var concat(std::initializer_list<var> vars) {
    if (vars.size() == 0) throw error(FDVJP_INVALID_ARGUMENT, "fdvjp::concat: no vars");
    tape& t = detail::owner_of("concat", *vars.begin());
    for (const var& v : vars) (void)detail::owner_of("concat", *vars.begin(), v);
    return t.concat(vars);
}

}  // namespace fdvjp

#endif  // FDVJP_TAPE_HPP

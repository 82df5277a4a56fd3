// fdvjp::config's getters read back exactly what each setter stored (through the C
// fdvjp_config_get_*), and fdvjp::version() is the header's version.
#include "fdvjp.hpp"

#include "check.hpp"
#include "suites.hpp"

#include <cmath>
#include <string>
#include <vector>

namespace {

void test_defaults() {
    const fdvjp::config cfg;
    CHECK(cfg.scheme() == FDVJP_CENTRAL);
    CHECK(cfg.layout() == FDVJP_ROW_MAJOR);
    CHECK(cfg.relative_step() == 0.0);
    CHECK(cfg.steps().empty() && cfg.typical().empty() && cfg.noise().empty());
    CHECK(cfg.bounds().first.empty() && cfg.sparsity().first.empty());
    CHECK(!cfg.adaptive());
    CHECK(!cfg.learn_sparsity());
    CHECK(cfg.noise_mode() == FDVJP_NOISE_AUTO);
    CHECK(cfg.threads() == 0 && cfg.batch_size() == 0);
    CHECK(!cfg.has_progress());
}

void test_round_trips() {
    fdvjp::config cfg;
    const std::vector<double> h{1e-3, 2e-3}, typ{4.0, 0.5}, noise{1e-9};
    const std::vector<double> lower{-1.0, -INFINITY}, upper{2.0, 3.0};
    const std::vector<std::size_t> rows{1, 0, 0}, cols{1, 0, 0};
    cfg.scheme(FDVJP_CENTRAL4).layout(FDVJP_COL_MAJOR).relative_step(2.5e-4).steps(h).typical(typ);
    cfg.bounds(lower, upper).sparsity(rows, cols).adaptive(true).noise(noise).noise_mode(FDVJP_NOISE_OFF);
    cfg.threads(3).batch_size(9).progress([](std::size_t, std::size_t) { return true; });
    CHECK(cfg.scheme() == FDVJP_CENTRAL4);
    CHECK(cfg.layout() == FDVJP_COL_MAJOR);
    CHECK(cfg.relative_step() == 2.5e-4);
    CHECK(cfg.steps() == h && cfg.typical() == typ && cfg.noise() == noise);
    CHECK(cfg.bounds().first == lower && cfg.bounds().second == upper);
    // distinct entries, by column then row
    CHECK((cfg.sparsity().first == std::vector<std::size_t>{0, 1}));
    CHECK((cfg.sparsity().second == std::vector<std::size_t>{0, 1}));
    CHECK(cfg.adaptive());
    CHECK(cfg.noise_mode() == FDVJP_NOISE_OFF);
    CHECK(cfg.threads() == 3 && cfg.batch_size() == 9);
    CHECK(cfg.has_progress());
    cfg.progress(nullptr);
    CHECK(!cfg.has_progress());
}

void test_learn_sparsity() {
    fdvjp::config cfg;
    CHECK(cfg.learn_sparsity(true).learn_sparsity());
    CHECK(!cfg.learn_sparsity(false).learn_sparsity());
}

void test_moved_from_config_throws() {
    fdvjp::config a;
    fdvjp::config b(std::move(a));
    bool threw = false;
    try {
        (void)a.scheme();  // NOLINT(bugprone-use-after-move): the handle is NULL
    } catch (const fdvjp::error& e) {
        threw = e.status() == FDVJP_NULL_POINTER;
    }
    CHECK(threw);
    CHECK(b.scheme() == FDVJP_CENTRAL);
}

// A derivative computed with a moved-from config must not quietly take the defaults: with
// bounds [-1, 1] the defaults would differentiate asin past its edge.
void test_moved_from_config_is_refused_by_every_driver() {
    fdvjp::config a;
    a.bounds(std::vector<double>{-1.0}, std::vector<double>{1.0});
    fdvjp::config b(std::move(a));
    const std::vector<double> x{0.5}, v{1.0};
    const auto f = [](fdvjp::span<const double> in, fdvjp::span<double> out) { out[0] = std::asin(in[0]); };
    int refused = 0;
    const auto expect_refused = [&](auto&& call) {
        try {
            call();
        } catch (const fdvjp::error& e) {
            refused += e.status() == FDVJP_INVALID_ARGUMENT && e.message().find("moved from") != std::string::npos;
        }
    };
    expect_refused([&] { (void)fdvjp::vjp(f, x, v, a); });  // NOLINT(bugprone-use-after-move)
    expect_refused([&] { (void)fdvjp::jvp(f, x, v, 1, a); });
    expect_refused([&] { (void)fdvjp::jacobian(f, x, 1, a); });
    expect_refused([&] { (void)fdvjp::vjp_estimate(f, x, v, &a); });
    CHECK(refused == 4);
    CHECK(std::fabs(fdvjp::vjp(f, x, v, b)[0] - 1.0 / std::sqrt(0.75)) < 1e-8);
}

void test_version() {
    const fdvjp::version_info v = fdvjp::version();
    CHECK(v.major_version == FDVJP_VERSION_MAJOR);
    CHECK(v.minor_version == FDVJP_VERSION_MINOR);
    CHECK(v.patch_version == FDVJP_VERSION_PATCH);
    const std::string want = std::to_string(v.major_version) + "." + std::to_string(v.minor_version) + "." +
                             std::to_string(v.patch_version);
    CHECK(v.text.compare(0, want.size(), want) == 0);
}

}  // namespace

void run_config_get_tests() {
    test_defaults();
    test_round_trips();
    test_learn_sparsity();
    test_moved_from_config_throws();
    test_moved_from_config_is_refused_by_every_driver();
    test_version();
}

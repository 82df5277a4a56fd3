! The Fortran binding against analytic derivatives: the two demo examples (logsumexp
! gradient, least-squares slope gradients), Jacobians in (m, n) layout, error statuses,
! accuracy features and a tape gradient.
program test_fdvjp
  use fdvjp
  use functions
  use checks
  use guard_tests
  use report_tests
  use config_get_tests
  implicit none

  call test_logsumexp()
  call test_least_squares_slope()
  call test_jacobian_and_jvp()
  call test_errors()
  call test_accuracy()
  call test_tape()
  call test_batch()
  call test_sparsity()
  call test_learned_sparsity()
  call run_guard_tests()
  call run_report_tests()
  call run_config_get_tests()
  call summary()

contains

  subroutine test_logsumexp()
    real(c_double) :: x(5), grad(5)
    integer :: status
    x = [0.5_c_double, -1.0_c_double, 2.0_c_double, 0.25_c_double, 3.0_c_double]
    call vjp(logsumexp, x, [1.0_c_double], grad, status)
    call check(status == FDVJP_OK, 'logsumexp: status')
    call check_near(grad, exp(x) / sum(exp(x)), 1e-8_c_double, 'logsumexp gradient = softmax')
  end subroutine test_logsumexp

  subroutine test_least_squares_slope()
    type(points), target :: with_y, with_x
    real(c_double) :: x(4), y(4), grad_x(4), grad_y(4)
    integer :: status
    x = [0.0_c_double, 1.0_c_double, 2.0_c_double, 3.0_c_double]
    y = [-1.0_c_double, 0.2_c_double, 0.7_c_double, 2.5_c_double]
    with_y%other = y
    with_y%x_is_input = .true.
    call vjp(slope, x, [1.0_c_double], grad_x, status, data=with_y)
    call check(status == FDVJP_OK, 'slope wrt x: status')
    call check_near(grad_x, [0.34_c_double, 0.14_c_double, -0.2_c_double, -0.28_c_double], 1e-8_c_double, &
                    'slope gradient wrt x')
    with_x%other = x
    with_x%x_is_input = .false.
    call vjp(slope, y, [1.0_c_double], grad_y, status, data=with_x)
    call check(status == FDVJP_OK, 'slope wrt y: status')
    call check_near(grad_y, [-0.3_c_double, -0.1_c_double, 0.1_c_double, 0.3_c_double], 1e-8_c_double, &
                    'slope gradient wrt y')
  end subroutine test_least_squares_slope

  function jac_three(x) result(jac)
    real(c_double), intent(in) :: x(3)
    real(c_double) :: jac(3, 3)
    jac = reshape([x(2), 0.0_c_double, exp(x(1)) * x(2)**2, &
                   x(1), 0.0_c_double, 2 * exp(x(1)) * x(2), &
                   0.0_c_double, cos(x(3)), 0.0_c_double], [3, 3])
  end function jac_three

  subroutine test_jacobian_and_jvp()
    real(c_double) :: x(3), jac(3, 3), want(3, 3), out(3), u(3)
    type(config) :: cfg
    integer :: status
    x = [0.3_c_double, -1.2_c_double, 0.7_c_double]
    want = jac_three(x)
    call jacobian(three, x, jac, status)
    call check(status == FDVJP_OK, 'jacobian: status')
    call check_near(reshape(jac, [9]), reshape(want, [9]), 1e-9_c_double, 'jacobian (m, n) = analytic')
    call cfg%set_layout(FDVJP_COL_MAJOR, status)
    call cfg%set_scheme(FDVJP_CENTRAL4, status)
    call jacobian(three, x, jac, status, cfg=cfg)
    call check_near(reshape(jac, [9]), reshape(want, [9]), 1e-11_c_double, 'jacobian, col-major 4th order')
    u = [0.2_c_double, 0.1_c_double, -1.0_c_double]
    call jvp(three, x, u, out, status)
    call check_near(out, matmul(want, u), 1e-9_c_double, 'jvp = J u')
  end subroutine test_jacobian_and_jvp

  subroutine test_errors()
    real(c_double) :: grad(1), small(2)
    character(len=:), allocatable :: message
    type(config) :: cfg
    integer :: status
    grad = 42
    call vjp(logarithm, [-1.0_c_double], [1.0_c_double], grad, status, errmsg=message)
    call check(status == FDVJP_NONFINITE_AT_X, 'NaN at x: status')
    call check(index(message, 'fdvjp_vjp') > 0, 'NaN at x: message names the function')
    call check(grad(1) == 42, 'NaN at x: output untouched')
    call check(status_name(status) == 'FDVJP_NONFINITE_AT_X', 'status_name')
    call vjp(refuses, [1.0_c_double], [1.0_c_double], grad, status, errmsg=message)
    call check(status == FDVJP_CALLBACK_FAILED, 'user status: FDVJP_CALLBACK_FAILED')
    call check(index(message, 'returned 7') > 0, 'user status: message gives the value')
    small = 5
    call vjp(three, [1.0_c_double, 2.0_c_double, 3.0_c_double], [1.0_c_double, 1.0_c_double, 1.0_c_double], &
             small, status)
    call check(status == FDVJP_LENGTH_MISMATCH .and. all(small == 5), 'grad of the wrong size')
    call cfg%set_relative_step(-1.0_c_double, status, message)
    call check(status == FDVJP_INVALID_ARGUMENT .and. len(message) > 0, 'invalid relative step')
    call vjp(logsumexp, [1.0_c_double], [1.0_c_double], grad, status, errmsg=message)
    call check(status == FDVJP_OK .and. message == '', 'success clears the message')
  end subroutine test_errors

  subroutine test_accuracy()
    real(c_double) :: x(3), v(3), grad(3), err(3), jv(3), jv_err(3), jac(3, 3), jac_err(3, 3), cjac(2, 2)
    complex(c_double_complex) :: z(1), g(1)
    integer :: status
    x = [0.3_c_double, -1.2_c_double, 0.7_c_double]
    v = [1.0_c_double, -2.0_c_double, 0.5_c_double]
    call vjp_estimate(three, x, v, grad, err, status)
    call check_near(grad, matmul(v, jac_three(x)), 1e-11_c_double, 'vjp_estimate')
    call check(all(err >= 0 .and. err < 1e-9_c_double), 'vjp_estimate: error estimates')
    call vjp_complex_step(three_complex, x, v, grad, status)
    call check_near(grad, matmul(v, jac_three(x)), 1e-14_c_double, 'vjp_complex_step')
    call jvp_estimate(three, x, v, jv, jv_err, status)
    call check(status == FDVJP_OK, 'jvp_estimate: status')
    call check_near(jv, matmul(jac_three(x), v), 1e-11_c_double, 'jvp_estimate')
    call check(all(jv_err >= 0 .and. jv_err < 1e-9_c_double), 'jvp_estimate: error estimates')
    call jvp_complex_step(three_complex, x, v, jv, status)
    call check(status == FDVJP_OK, 'jvp_complex_step: status')
    call check_near(jv, matmul(jac_three(x), v), 1e-14_c_double, 'jvp_complex_step')
    call jacobian_estimate(three, x, jac, jac_err, status)
    call check(status == FDVJP_OK, 'jacobian_estimate: status')
    call check(maxval(abs(jac - jac_three(x))) < 1e-11_c_double, 'jacobian_estimate = analytic')
    call check(all(jac_err >= 0 .and. jac_err < 1e-9_c_double), 'jacobian_estimate: error estimates')
    call jacobian_complex_step(three_complex, x, jac, status)
    call check(status == FDVJP_OK, 'jacobian_complex_step: status')
    call check(maxval(abs(jac - jac_three(x))) < 1e-14_c_double, 'jacobian_complex_step = analytic')
    z = [(1.0_c_double, 2.0_c_double)]
    call complex_vjp(square_complex, z, [(1.0_c_double, -1.0_c_double)], g, status)
    call check(status == FDVJP_OK, 'complex_vjp: status')
    call check_near([real(g(1)), aimag(g(1))], [real(conjg(2 * z(1)) * (1.0_c_double, -1.0_c_double)), &
                    aimag(conjg(2 * z(1)) * (1.0_c_double, -1.0_c_double))], 1e-8_c_double, 'complex_vjp of z^2')
    ! z^2 is holomorphic: the pushforward of u is 2 z u, and the real Jacobian's 2x2 block
    ! is [[Re A, -Im A], [Im A, Re A]] with A = 2z
    call complex_jvp(square_complex, z, [(0.5_c_double, 1.0_c_double)], g, status)
    call check(status == FDVJP_OK, 'complex_jvp: status')
    call check_near([real(g(1)), aimag(g(1))], [real(2 * z(1) * (0.5_c_double, 1.0_c_double)), &
                    aimag(2 * z(1) * (0.5_c_double, 1.0_c_double))], 1e-8_c_double, 'complex_jvp of z^2')
    call complex_jacobian(square_complex, z, cjac, status)
    call check(status == FDVJP_OK, 'complex_jacobian: status')
    call check(maxval(abs(cjac - reshape([real(2 * z(1)), aimag(2 * z(1)), -aimag(2 * z(1)), real(2 * z(1))], &
                                         [2, 2]))) < 1e-8_c_double, 'complex_jacobian of z^2')
  end subroutine test_accuracy

  subroutine test_tape()
    type(tape) :: t
    integer(fdvjp_var_kind) :: x, y, sq, loss, c, total
    real(c_double) :: g(2), value(1)
    integer :: status
    x = 0
    call t%input([1.0_c_double, 2.0_c_double], x, status)
    call t%call_function(black_box, [x], 3, y, status)
    call t%unary(FDVJP_OP_SQUARE, y, sq, status)
    call t%reduce(FDVJP_REDUCE_SUM, sq, loss, status)
    call t%backward(loss, status)
    call check(status == FDVJP_OK, 'tape backward: status')
    call t%grad(x, g, status)
    ! d/dx sum(y^2) = [2 x1 x2^2 + 2 sin x1 cos x1, 2 x1^2 x2 + 4 x2^3] at (1, 2)
    call check_near(g, [8 + 2 * sin(1.0_c_double) * cos(1.0_c_double), 36.0_c_double], 1e-8_c_double, &
                    'tape gradient through an opaque call')
    call t%value(loss, value, status)
    call check_near(value, [4 + sin(1.0_c_double)**2 + 16], 1e-12_c_double, 'tape value')
    ! a call with an exact adjoint, plus a replay at a new point
    call t%call_vjp(cube, cube_adjoint, [x], 2, c, status)
    call t%reduce(FDVJP_REDUCE_SUM, c, total, status)
    call t%set_input(x, [0.5_c_double, -1.0_c_double], status)
    call t%forward(status)
    call t%backward(total, status)
    call t%grad(x, g, status)
    call check_near(g, [0.75_c_double, 3.0_c_double], 1e-14_c_double, 'tape: adjoint call after replay')
    call t%grad(99_fdvjp_var_kind, g, status)
    call check(status == FDVJP_UNKNOWN_VAR, 'tape: unknown var')
    call test_tape_shapes(t)
  end subroutine test_tape

  ! concat, slice, length and dot: d/dx (x . [x(2), 3]) = [x(2), x(1) + 3].
  subroutine test_tape_shapes(t)
    type(tape), intent(inout) :: t
    integer(fdvjp_var_kind) :: x, c, both, tail, d
    real(c_double) :: g(2)
    integer :: status, n
    call t%input([2.0_c_double, 5.0_c_double], x, status)
    call t%constant([3.0_c_double], c, status)
    call t%concat([x, c], both, status)
    call t%length(both, n, status)
    call check(n == 3, 'tape: concat length')
    call t%slice(both, 2, 2, tail, status)        ! [x(2), 3]
    call t%dot(x, tail, d, status)                 ! x(1) x(2) + 3 x(2)
    call t%backward(d, status)
    call t%grad(x, g, status)
    call check_near(g, [5.0_c_double, 2.0_c_double + 3.0_c_double], 0.0_c_double, 'tape: slice, concat, dot')
    call t%slice(both, 0, 1, tail, status)
    call check(status == FDVJP_INVALID_ARGUMENT, 'tape: slices start at 1')
    call test_shaped_values()
  end subroutine test_tape_shapes

  ! Shaped inputs and constants (C order): a [2, 3] input a times a [3] constant w by
  ! matmul is [2]; the gradient of sum(a w) is w in every row.
  subroutine test_shaped_values()
    type(tape) :: t
    integer(fdvjp_var_kind) :: a, w, aw, total, s, flat
    integer, allocatable :: dims(:)
    real(c_double) :: g(6), value(1)
    integer :: status, ndim
    call t%input_shaped([1.0_c_double, 2.0_c_double, 3.0_c_double, 4.0_c_double, 5.0_c_double, 6.0_c_double], &
                        [2, 3], a, status)
    call check(status == FDVJP_OK, 'tape: input_shaped')
    call t%ndim(a, ndim, status)
    call t%shape(a, dims, status)
    call check(ndim == 2 .and. size(dims) == 2, 'tape: ndim of a [2, 3] input')
    if (size(dims) == 2) call check(all(dims == [2, 3]), 'tape: shape of a [2, 3] input')
    call t%constant_shaped([1.0_c_double, 10.0_c_double, 100.0_c_double], [3], w, status)
    call t%matmul(a, w, aw, status)
    call t%reduce(FDVJP_REDUCE_SUM, aw, total, status)
    call t%value(total, value, status)
    call check_near(value, [321.0_c_double + 654.0_c_double], 0.0_c_double, 'tape: matmul of shaped values')
    call t%backward(total, status)
    call t%grad(a, g, status)
    call check_near(g, [1.0_c_double, 10.0_c_double, 100.0_c_double, 1.0_c_double, 10.0_c_double, 100.0_c_double], &
                    0.0_c_double, 'tape: gradient of a shaped input')
    call t%reshape(a, [6], flat, status)
    call t%shape(flat, dims, status)
    call check(status == FDVJP_OK .and. size(dims) == 1, 'tape: reshape to [6]')
    if (size(dims) == 1) call check(dims(1) == 6, 'tape: reshape to [6] has 6 elements')
    call t%input_shaped([2.0_c_double], [integer ::], s, status)
    call t%ndim(s, ndim, status)
    call check(status == FDVJP_OK .and. ndim == 0, 'tape: a scalar input has ndim 0')
  end subroutine test_shaped_values

  subroutine test_batch()
    real(c_double) :: x(3), v(3), grad(3), jac(3, 3), jv(3)
    type(config) :: cfg
    type(tape) :: t
    integer(fdvjp_var_kind) :: xv, yv
    integer :: status
    x = [0.3_c_double, -1.2_c_double, 0.7_c_double]
    v = [1.0_c_double, -2.0_c_double, 0.5_c_double]
    call cfg%set_batch_size(4, status)
    call vjp_batch(three_batch, x, v, grad, status, cfg=cfg)
    call check(status == FDVJP_OK, 'vjp_batch: status')
    call check_near(grad, matmul(v, jac_three(x)), 1e-9_c_double, 'vjp_batch = analytic')
    call check(largest_batch > 1 .and. largest_batch <= 4, 'vjp_batch: batches of at most 4 points')
    call jvp_batch(three_batch, x, v, jv, status, cfg=cfg)
    call check(status == FDVJP_OK, 'jvp_batch: status')
    call check_near(jv, matmul(jac_three(x), v), 1e-9_c_double, 'jvp_batch = analytic')
    ! a batch function on the tape: the gradient of v . f(x) is v^T J
    call t%input(x, xv, status)
    call t%call_batch(three_batch, [xv], 3, yv, status, cfg=cfg)
    call check(status == FDVJP_OK, 'tape%call_batch: status')
    call t%backward(yv, status, seed=v)
    call t%grad(xv, grad, status)
    call check(status == FDVJP_OK, 'tape%call_batch: backward')
    call check_near(grad, matmul(v, jac_three(x)), 1e-9_c_double, 'tape%call_batch gradient = analytic')
    call jacobian_batch(three_batch, x, jac, status, cfg=cfg)
    call check_near(reshape(jac, [9]), reshape(jac_three(x), [9]), 1e-9_c_double, 'jacobian_batch (m, n)')
    call cfg%set_threads(2, status)
    call check(status == FDVJP_OK, 'set_threads')
  end subroutine test_batch

  ! A diagonal pattern for f(x) = x**2 elementwise: one column group, 1 + 2 evaluations.
  subroutine test_sparsity()
    real(c_double) :: x(5), jac(5, 5), want(5, 5)
    type(config) :: cfg
    integer :: status, i
    x = [1.0_c_double, 2.0_c_double, 3.0_c_double, 4.0_c_double, 5.0_c_double]
    call cfg%set_sparsity([(i, i = 1, 5)], [(i, i = 1, 5)], status)
    call check(status == FDVJP_OK, 'set_sparsity: status')
    square_calls = 0
    call jacobian(squares_counted, x, jac, status, cfg=cfg)
    want = 0
    do i = 1, 5
      want(i, i) = 2 * x(i)
    end do
    call check_near(reshape(jac, [25]), reshape(want, [25]), 1e-8_c_double, 'sparse diagonal Jacobian')
    call check(square_calls == 3, 'sparse Jacobian: 1 + 2 evaluations')
    call cfg%set_sparsity([0], [1], status)
    call check(status == FDVJP_INVALID_ARGUMENT, 'set_sparsity: 0 is not a Fortran index')
  end subroutine test_sparsity

  ! The diagonal pattern of x**2 learned from f: 2(n + 1) evaluations, then each VJP costs
  ! 1 + 2 (one group) + 2 (the check).
  subroutine test_learned_sparsity()
    real(c_double) :: x(5), v(5), grad(5)
    type(config) :: cfg
    type(computation_report) :: rep
    integer :: status
    integer, allocatable :: rows(:), cols(:)
    x = [1.0_c_double, 2.0_c_double, 3.0_c_double, 4.0_c_double, 5.0_c_double]
    v = [1.0_c_double, -1.0_c_double, 0.5_c_double, 2.0_c_double, 1.0_c_double]
    square_calls = 0
    call detect_sparsity(cfg, squares_counted, x, 5, status)
    call check(status == FDVJP_OK, 'detect_sparsity: status')
    call check(square_calls == 12, 'detect_sparsity: 2(n + 1) evaluations')
    square_calls = 0
    call vjp(squares_counted, x, v, grad, status, cfg=cfg)
    call check(status == FDVJP_OK, 'learned vjp: status')
    call check_near(grad, 2 * x * v, 1e-8_c_double, 'learned vjp')
    call check(square_calls == 5, 'learned vjp: 1 + 2 + 2 evaluations')
    call last_report(rep, status)
    call check(rep%sparsity_relearned == 0, 'learned vjp: not re-learned')
    call cfg%learned_sparsity(rows, cols, status)
    call check(status == FDVJP_OK .and. size(rows) == 5, 'learned_sparsity: 5 entries')
    call check(all(rows == cols), 'learned_sparsity: the diagonal, 1-based')
    call cfg%set_learn_sparsity(.false., status)
    call check(status == FDVJP_OK, 'set_learn_sparsity')
  end subroutine test_learned_sparsity

end program test_fdvjp

! Buffer guards and size messages: a user procedure that writes past the array it was
! handed is reported (FDVJP_CALLBACK_FAILED, "the function wrote past y(m), m = 2 (it wrote
! y(4))") with the outputs untouched, instead of corrupting the heap; size mismatches found
! on the Fortran side give both sizes.
module guard_tests
  use fdvjp
  use overruns
  use checks
  implicit none
  private
  public :: run_guard_tests

contains

  subroutine run_guard_tests()
    call test_v_shorter_than_the_outputs()
    call test_tape_call_with_too_small_m()
    call test_adjoint_writing_past_grad()
    call test_batch_writing_past_its_rows()
    call test_size_messages_give_both_sizes()
  end subroutine run_guard_tests

  subroutine test_v_shorter_than_the_outputs()
    real(c_double) :: grad(1), jac(2, 1), out(2)
    character(len=:), allocatable :: message
    integer :: status
    grad = 42
    call vjp(four_outputs, [1.5_c_double], [1.0_c_double, 1.0_c_double], grad, status, errmsg=message)
    call check(status == FDVJP_CALLBACK_FAILED, 'overrun in vjp: FDVJP_CALLBACK_FAILED')
    call check(index(message, 'the function wrote past y(m), m = 2 (it wrote y(4))') > 0, &
               'overrun in vjp: message gives m and the last element written: '//message)
    call check(index(message, 'fdvjp_vjp') > 0, 'overrun in vjp: fdvjp''s message kept')
    call check(grad(1) == 42, 'overrun in vjp: grad untouched')
    jac = 7
    call jacobian(four_outputs, [1.5_c_double], jac, status, errmsg=message)
    call check(status == FDVJP_CALLBACK_FAILED .and. index(message, 'y(m), m = 2') > 0 .and. all(jac == 7), &
               'overrun in jacobian: reported, jac untouched')
    out = 7
    call jvp(four_outputs, [1.5_c_double], [1.0_c_double], out, status, errmsg=message)
    call check(status == FDVJP_CALLBACK_FAILED .and. index(message, 'y(m), m = 2') > 0 .and. all(out == 7), &
               'overrun in jvp: reported, out untouched')
    ! the same function with the right v works: grad = sum(v_i * i)
    call vjp(four_outputs, [1.5_c_double], [1.0_c_double, 1.0_c_double, 1.0_c_double, 1.0_c_double], grad, &
             status, errmsg=message)
    call check(status == FDVJP_OK, 'right size of v: status')
    call check_near(grad, [10.0_c_double], 1e-9_c_double, 'right size of v: grad = 1 + 2 + 3 + 4')
  end subroutine test_v_shorter_than_the_outputs

  subroutine test_tape_call_with_too_small_m()
    type(tape) :: t
    integer(fdvjp_var_kind) :: x, y
    character(len=:), allocatable :: message
    integer :: status
    x = 0
    y = 0
    call t%input([2.0_c_double], x, status)
    call t%call_function(four_outputs, [x], 3, y, status, errmsg=message)
    call check(status == FDVJP_CALLBACK_FAILED .and. y == 0, 'overrun in tape%call_function: reported')
    call check(index(message, 'wrote past y(m), m = 3 (it wrote y(4))') > 0, &
               'overrun in tape%call_function: message: '//message)
  end subroutine test_tape_call_with_too_small_m

  subroutine test_adjoint_writing_past_grad()
    type(tape) :: t
    integer(fdvjp_var_kind) :: x, y, loss
    real(c_double) :: g(2)
    character(len=:), allocatable :: message
    integer :: status
    x = 0
    call t%input([1.0_c_double, 2.0_c_double], x, status)
    call t%call_vjp(identity, long_adjoint, [x], 2, y, status)
    call t%reduce(FDVJP_REDUCE_SUM, y, loss, status)
    call check(status == FDVJP_OK, 'adjoint overrun: recording succeeds')
    call t%backward(loss, status, errmsg=message)
    call check(status == FDVJP_CALLBACK_FAILED, 'adjoint overrun in backward: FDVJP_CALLBACK_FAILED')
    call check(index(message, 'the adjoint wrote past grad(n), n = 2 (it wrote grad(3))') > 0, &
               'adjoint overrun in backward: message: '//message)
    g = 5
    call t%grad(x, g, status)
    call check(status /= FDVJP_OK .and. all(g == 5), 'adjoint overrun: no gradient')
  end subroutine test_adjoint_writing_past_grad

  subroutine test_batch_writing_past_its_rows()
    real(c_double) :: grad(1)
    character(len=:), allocatable :: message
    integer :: status
    grad = 42
    call vjp_batch(batch_three_rows, [1.0_c_double], [1.0_c_double, 1.0_c_double], grad, status, &
                   errmsg=message)
    call check(status == FDVJP_CALLBACK_FAILED .and. grad(1) == 42, 'batch overrun: reported, grad untouched')
    call check(index(message, 'wrote past values(m), m = 2 (it wrote values(3))') > 0, &
               'batch overrun: message: '//message)
  end subroutine test_batch_writing_past_its_rows

  subroutine test_size_messages_give_both_sizes()
    real(c_double) :: grad(3), jac(1, 3), err(4), out(1)
    character(len=:), allocatable :: message
    type(config) :: cfg
    integer :: status
    real(c_double), parameter :: x(4) = [1.0_c_double, 2.0_c_double, 3.0_c_double, 4.0_c_double]
    call vjp(identity, x, x, grad, status, errmsg=message)
    call check(status == FDVJP_LENGTH_MISMATCH .and. message == 'vjp: size(grad) = 3 /= size(x) = 4', &
               'vjp size message: '//message)
    call jacobian(identity, x, jac, status, errmsg=message)
    call check(message == 'jacobian: size(jac, 2) = 3 /= size(x) = 4', 'jacobian size message: '//message)
    call jvp(identity, x, x(1:3), out, status, errmsg=message)
    call check(message == 'jvp: size(u) = 3 /= size(x) = 4', 'jvp size message: '//message)
    call vjp_estimate(identity, x, x, err, err(1:2), status, errmsg=message)
    call check(message == 'vjp_estimate: size(err) = 2 /= size(x) = 4', 'vjp_estimate size message: '//message)
    call cfg%set_bounds(x, x(1:2), status, message)
    call check(status == FDVJP_LENGTH_MISMATCH .and. &
               message == 'config%set_bounds: size(lower) = 4 /= size(upper) = 2', 'set_bounds message: '//message)
  end subroutine test_size_messages_give_both_sizes

end module guard_tests

! config%get, get_bounds, get_sparsity read back exactly what each setter stored (through
! the C fdvjp_config_get_*), and library_version() is the header's version.
module config_get_tests
  use fdvjp
  use checks
  implicit none
  private
  public :: run_config_get_tests

  integer(c_size_t) :: reports = 0, last_done = 0, last_total = 0

contains

  ! Counts the reports; cancels once 3 evaluations are done.
  function count_progress(done, total) result(go_on)
    integer(c_size_t), intent(in) :: done, total
    logical :: go_on
    reports = reports + 1
    last_done = done
    last_total = total
    go_on = done < 3
  end function count_progress

  subroutine sum_of_squares(x, y, data, status)
    real(c_double), intent(in) :: x(:)
    real(c_double), intent(out) :: y(:)
    class(*), intent(inout), optional :: data
    integer, intent(inout) :: status
    if (present(data)) status = 99
    y(1) = sum(x**2)
  end subroutine sum_of_squares

  ! A central VJP of f: R^4 -> R makes 1 + 8 evaluations; the progress procedure sees them
  ! all (total 9), and cancelling leaves the gradient untouched.
  subroutine test_progress()
    type(config) :: cfg
    real(c_double) :: x(4), grad(4)
    integer :: status, on
    x = [1.0_c_double, 2.0_c_double, 3.0_c_double, 4.0_c_double]
    call cfg%set_progress(status, progress=count_progress)
    call check(status == FDVJP_OK, 'set_progress: status')
    call cfg%get("progress", on, status)
    call check(status == FDVJP_OK .and. on == 1, 'get progress: registered')
    grad = -1
    call vjp(sum_of_squares, x, [1.0_c_double], grad, status, cfg=cfg)
    call check(status == FDVJP_CANCELLED, 'progress: .false. cancels')
    call check(all(grad == -1), 'progress: a cancelled VJP leaves grad untouched')
    call check(reports > 0 .and. last_done >= 3 .and. last_total == 9, 'progress: done and total reported')
    call cfg%set_progress(status)
    call cfg%get("progress", on, status)
    call check(status == FDVJP_OK .and. on == 0, 'set_progress: removed')
    call vjp(sum_of_squares, x, [1.0_c_double], grad, status, cfg=cfg)
    call check(status == FDVJP_OK, 'progress removed: the VJP runs to the end')
    call check_near(grad, 2 * x, 1e-8_c_double, 'progress removed: gradient')
  end subroutine test_progress

  subroutine run_config_get_tests()
    type(config) :: cfg
    integer :: i, status, major, minor, patch
    real(c_double) :: r
    real(c_double), allocatable :: a(:), lower(:), upper(:)
    integer, allocatable :: rows(:), cols(:)
    character(len=:), allocatable :: text, message
    character(len=32) :: want

    call cfg%get("scheme", i, status)
    call check(status == FDVJP_OK .and. i == FDVJP_CENTRAL, 'get scheme: default central')
    call cfg%get("steps", a, status)
    call check(status == FDVJP_OK .and. size(a) == 0, 'get steps: none by default')
    call cfg%get("progress", i, status)
    call check(status == FDVJP_OK .and. i == 0, 'get progress: none')

    call cfg%set_scheme(FDVJP_CENTRAL4, status)
    call cfg%set_layout(FDVJP_COL_MAJOR, status)
    call cfg%set_relative_step(2.5e-4_c_double, status)
    call cfg%set_steps([1e-3_c_double, 2e-3_c_double], status)
    call cfg%set_typical([4.0_c_double, 0.5_c_double], status)
    call cfg%set_noise([1e-9_c_double], status)
    call cfg%set_bounds([-1.0_c_double, -huge(1.0_c_double)], [2.0_c_double, 3.0_c_double], status)
    call cfg%set_sparsity([2, 1, 1], [2, 1, 1], status)
    call cfg%set_adaptive(.true., status)
    call cfg%set_threads(3, status)
    call cfg%set_batch_size(9, status)
    call cfg%set_noise_mode(FDVJP_NOISE_OFF, status)

    call cfg%get("scheme", i, status)
    call check(status == FDVJP_OK .and. i == FDVJP_CENTRAL4, 'get scheme')
    call cfg%get("layout", i, status)
    call check(status == FDVJP_OK .and. i == FDVJP_COL_MAJOR, 'get layout')
    call cfg%get("relative_step", r, status)
    call check(status == FDVJP_OK .and. r == 2.5e-4_c_double, 'get relative_step')
    call cfg%get("steps", a, status)
    call check(status == FDVJP_OK .and. size(a) == 2, 'get steps: size')
    if (size(a) == 2) call check(all(a == [1e-3_c_double, 2e-3_c_double]), 'get steps: values')
    call cfg%get("typical", a, status)
    call check(status == FDVJP_OK .and. size(a) == 2, 'get typical: size')
    if (size(a) == 2) call check(all(a == [4.0_c_double, 0.5_c_double]), 'get typical: values')
    call cfg%get("noise", a, status)
    call check(status == FDVJP_OK .and. size(a) == 1, 'get noise: size')
    if (size(a) == 1) call check(a(1) == 1e-9_c_double, 'get noise: value')
    call cfg%get_bounds(lower, upper, status)
    call check(status == FDVJP_OK .and. size(lower) == 2 .and. size(upper) == 2, 'get_bounds: sizes')
    if (size(lower) == 2) call check(all(lower == [-1.0_c_double, -huge(1.0_c_double)]) .and. &
                                     all(upper == [2.0_c_double, 3.0_c_double]), 'get_bounds: values')
    ! distinct entries, 1-based, by column then row
    call cfg%get_sparsity(rows, cols, status)
    call check(status == FDVJP_OK .and. size(rows) == 2, 'get_sparsity: distinct entries')
    if (size(rows) == 2) call check(all(rows == [1, 2]) .and. all(cols == [1, 2]), 'get_sparsity: values')
    call cfg%get("adaptive", i, status)
    call check(status == FDVJP_OK .and. i == 1, 'get adaptive')
    call cfg%get("threads", i, status)
    call check(status == FDVJP_OK .and. i == 3, 'get threads')
    call cfg%get("batch_size", i, status)
    call check(status == FDVJP_OK .and. i == 9, 'get batch_size')
    call cfg%get("noise_mode", i, status)
    call check(status == FDVJP_OK .and. i == FDVJP_NOISE_OFF, 'get noise_mode')
    call cfg%get("learn_sparsity", i, status)
    call check(status == FDVJP_OK .and. i == 0, 'get learn_sparsity: off by default')
    call cfg%set_learn_sparsity(.true., status)
    call cfg%get("learn_sparsity", i, status)
    call check(status == FDVJP_OK .and. i == 1, 'get learn_sparsity')

    i = -7
    call cfg%get("colour", i, status, message)
    call check(status == FDVJP_INVALID_ARGUMENT .and. index(message, "colour") > 0, 'get: unknown option')

    text = library_version(major, minor, patch)
    call check(major == FDVJP_VERSION_MAJOR .and. minor == FDVJP_VERSION_MINOR .and. &
               patch == FDVJP_VERSION_PATCH, 'library_version: the header''s version')
    write (want, '(i0,".",i0,".",i0)') major, minor, patch
    call check(index(text, trim(want)) == 1, 'library_version: text')
    call test_progress()
  end subroutine run_config_get_tests

end module config_get_tests

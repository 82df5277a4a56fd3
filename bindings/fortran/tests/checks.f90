! A minimal test harness: counted checks that print what failed.
module checks
  use, intrinsic :: iso_c_binding, only: c_double
  implicit none
  private
  public :: check, check_near, summary
  integer :: passed = 0, failed = 0

contains

  subroutine check(ok, what)
    logical, intent(in) :: ok
    character(len=*), intent(in) :: what
    if (ok) then
      passed = passed + 1
    else
      failed = failed + 1
      print '(a, a)', 'FAIL ', what
    end if
  end subroutine check

  subroutine check_near(got, want, tol, what)
    real(c_double), intent(in) :: got(:), want(:)
    real(c_double), intent(in) :: tol
    character(len=*), intent(in) :: what
    if (size(got) == size(want)) then
      if (all(abs(got - want) <= tol)) then
        passed = passed + 1
        return
      end if
    end if
    failed = failed + 1
    print '(a, a)', 'FAIL ', what
    print '(a, *(es24.16))', '  got  ', got
    print '(a, *(es24.16))', '  want ', want
  end subroutine check_near

  ! Prints "N passed, N failed"; the exit status is 1 on any failure.
  subroutine summary()
    print '(i0, a, i0, a)', passed, ' passed, ', failed, ' failed'
    if (failed > 0) error stop 1
  end subroutine summary

end module checks

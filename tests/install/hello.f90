! The Fortran modules from an installed fdvjp: d/dx sum(x^2) = 2x within 1e-8.
module squares_function
  use fdvjp
  implicit none
contains
  subroutine squares(x, y, data, status)
    real(c_double), intent(in) :: x(:)
    real(c_double), intent(out) :: y(:)
    class(*), intent(inout), optional :: data
    integer, intent(inout) :: status
    if (present(data)) status = 1
    y(1) = sum(x**2)
  end subroutine squares
end module squares_function

program hello
  use fdvjp
  use squares_function
  implicit none
  real(c_double) :: x(3), grad(3)
  integer :: status
  x = [1.0_c_double, -2.0_c_double, 0.5_c_double]
  call vjp(squares, x, [1.0_c_double], grad, status)
  if (status /= FDVJP_OK .or. any(abs(grad - 2 * x) > 1e-8_c_double)) error stop 1
  print '(a)', 'ok'
end program hello

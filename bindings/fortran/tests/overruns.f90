! Faulty user procedures that write past the arrays they are given (more outputs than the
! caller said). Compiled WITHOUT -fcheck=bounds (see run.sh), as a user's code usually is,
! so the writes really land past the end and only fdvjp's buffer guards can see them.
module overruns
  use fdvjp
  implicit none

contains

  ! Four outputs, whatever size(y) is: y(i) = x(1) * i.
  subroutine four_outputs(x, y, data, status)
    real(c_double), intent(in) :: x(:)
    real(c_double), intent(out) :: y(:)
    class(*), intent(inout), optional :: data
    integer, intent(inout) :: status
    integer :: i
    if (present(data)) status = 1
    do i = 1, 4
      y(i) = x(1) * i
    end do
  end subroutine four_outputs

  ! The exact adjoint of y = x, but writing one entry too many.
  subroutine long_adjoint(x, y, v, grad, data, status)
    real(c_double), intent(in) :: x(:), y(:), v(:)
    real(c_double), intent(out) :: grad(:)
    class(*), intent(inout), optional :: data
    integer, intent(inout) :: status
    integer :: i
    if (present(data) .or. size(y) /= size(x)) status = 1
    do i = 1, size(x) + 1
      grad(i) = 1.0_c_double
    end do
    grad(1:size(x)) = v
  end subroutine long_adjoint

  subroutine identity(x, y, data, status)
    real(c_double), intent(in) :: x(:)
    real(c_double), intent(out) :: y(:)
    class(*), intent(inout), optional :: data
    integer, intent(inout) :: status
    if (present(data)) status = 1
    y = x
  end subroutine identity

  ! A batch function writing values(3, p) for every point p, where m = 2.
  subroutine batch_three_rows(points, values, data, status)
    real(c_double), intent(in) :: points(:, :)
    real(c_double), intent(out) :: values(:, :)
    class(*), intent(inout), optional :: data
    integer, intent(inout) :: status
    integer :: p, i
    if (present(data)) status = 1
    do p = 1, size(points, 2)
      do i = 1, 3
        values(i, p) = points(1, p)
      end do
    end do
  end subroutine batch_three_rows

end module overruns

! The user functions of the tests: ordinary Fortran procedures with their data.
module functions
  use fdvjp
  implicit none

  integer :: batch_calls = 0, largest_batch = 0, square_calls = 0

  ! The amplitude of noisy_sines' noise.
  real(c_double) :: noise_eps = 0.0_c_double

  ! The data of the least-squares example: the other coordinate of the points.
  type :: points
    real(c_double), allocatable :: other(:)
    logical :: x_is_input = .true.
  end type points

contains

  ! logsumexp(x), computed stably; the gradient is softmax(x).
  subroutine logsumexp(x, y, data, status)
    real(c_double), intent(in) :: x(:)
    real(c_double), intent(out) :: y(:)
    class(*), intent(inout), optional :: data
    integer, intent(inout) :: status
    if (present(data)) status = 99  ! this function takes no data
    y(1) = maxval(x) + log(sum(exp(x - maxval(x))))
  end subroutine logsumexp

  ! The least-squares slope through (x, y); the input is x or y, the data the other one.
  subroutine slope(input, out, data, status)
    real(c_double), intent(in) :: input(:)
    real(c_double), intent(out) :: out(:)
    class(*), intent(inout), optional :: data
    integer, intent(inout) :: status
    real(c_double) :: x(size(input)), y(size(input))
    out = 0
    if (.not. present(data)) then
      status = 1
      return
    end if
    select type (data)
    type is (points)
      if (size(data%other) /= size(input)) then
        status = 3
        return
      end if
      if (data%x_is_input) then
        x = input
        y = data%other
      else
        x = data%other
        y = input
      end if
    class default
      status = 2
      return
    end select
    out(1) = sum((x - sum(x) / size(x)) * (y - sum(y) / size(y))) / sum((x - sum(x) / size(x))**2)
  end subroutine slope

  ! 2 + sum 0.5 sin(x_j + 0.3 (j - 1)) plus deterministic noise of amplitude noise_eps,
  ! uniform in [-1, 1) (standard deviation noise_eps / sqrt(3)): the same x always gives the
  ! same value, as with a solver; points a plain step apart are unrelated.
  subroutine noisy_sines(x, y, data, status)
    real(c_double), intent(in) :: x(:)
    real(c_double), intent(out) :: y(:)
    class(*), intent(inout), optional :: data
    integer, intent(inout) :: status
    real(c_double) :: z, s
    integer :: j
    if (present(data)) status = 99
    z = 0.0_c_double
    y(1) = 2.0_c_double
    do j = 1, size(x)
      z = z + (real(j - 1, c_double) + 1.37_c_double) * x(j)
      y(1) = y(1) + 0.5_c_double * sin(x(j) + 0.3_c_double * real(j - 1, c_double))
    end do
    s = sin(1e4_c_double * z) * 43758.5453_c_double
    y(1) = y(1) + noise_eps * (2.0_c_double * (s - floor(s)) - 1.0_c_double)
  end subroutine noisy_sines

  ! f(x) = [x1 x2, sin x3, exp(x1) x2^2] with a known Jacobian.
  subroutine three(x, y, data, status)
    real(c_double), intent(in) :: x(:)
    real(c_double), intent(out) :: y(:)
    class(*), intent(inout), optional :: data
    integer, intent(inout) :: status
    if (present(data)) status = 99
    y = [x(1) * x(2), sin(x(3)), exp(x(1)) * x(2)**2]
  end subroutine three

  ! log(x): NaN for x < 0.
  subroutine logarithm(x, y, data, status)
    real(c_double), intent(in) :: x(:)
    real(c_double), intent(out) :: y(:)
    class(*), intent(inout), optional :: data
    integer, intent(inout) :: status
    if (present(data)) status = 99
    y = log(x)
  end subroutine logarithm

  ! Always refuses with status 7.
  subroutine refuses(x, y, data, status)
    real(c_double), intent(in) :: x(:)
    real(c_double), intent(out) :: y(:)
    class(*), intent(inout), optional :: data
    integer, intent(inout) :: status
    if (present(data)) status = 99
    y = x(1)
    status = 7
  end subroutine refuses

  ! The same f as `three` on complex values (for complex step).
  subroutine three_complex(z, w, data, status)
    complex(c_double_complex), intent(in) :: z(:)
    complex(c_double_complex), intent(out) :: w(:)
    class(*), intent(inout), optional :: data
    integer, intent(inout) :: status
    if (present(data)) status = 99
    w = [z(1) * z(2), sin(z(3)), exp(z(1)) * z(2)**2]
  end subroutine three_complex

  ! z^2, holomorphic: complex_vjp gives conj(2z) v.
  subroutine square_complex(z, w, data, status)
    complex(c_double_complex), intent(in) :: z(:)
    complex(c_double_complex), intent(out) :: w(:)
    class(*), intent(inout), optional :: data
    integer, intent(inout) :: status
    if (present(data)) status = 99
    w = z**2
  end subroutine square_complex

  ! The tape's opaque function: y = [a1 a2, sin a1, a2^2].
  subroutine black_box(a, y, data, status)
    real(c_double), intent(in) :: a(:)
    real(c_double), intent(out) :: y(:)
    class(*), intent(inout), optional :: data
    integer, intent(inout) :: status
    if (present(data)) status = 99
    y = [a(1) * a(2), sin(a(1)), a(2)**2]
  end subroutine black_box

  ! cube elementwise, and its exact adjoint.
  subroutine cube(x, y, data, status)
    real(c_double), intent(in) :: x(:)
    real(c_double), intent(out) :: y(:)
    class(*), intent(inout), optional :: data
    integer, intent(inout) :: status
    if (present(data)) status = 99
    y = x**3
  end subroutine cube

  subroutine cube_adjoint(x, y, v, grad, data, status)
    real(c_double), intent(in) :: x(:), y(:), v(:)
    real(c_double), intent(out) :: grad(:)
    class(*), intent(inout), optional :: data
    integer, intent(inout) :: status
    if (present(data) .or. size(y) /= size(x)) status = 99
    grad = v * 3 * x**2
  end subroutine cube_adjoint

  ! `three` at each column of points, counting the calls and the largest batch.
  subroutine three_batch(points, values, data, status)
    real(c_double), intent(in) :: points(:, :)
    real(c_double), intent(out) :: values(:, :)
    class(*), intent(inout), optional :: data
    integer, intent(inout) :: status
    integer :: p
    if (present(data)) status = 99
    batch_calls = batch_calls + 1
    largest_batch = max(largest_batch, size(points, 2))
    do p = 1, size(points, 2)
      values(:, p) = [points(1, p) * points(2, p), sin(points(3, p)), exp(points(1, p)) * points(2, p)**2]
    end do
  end subroutine three_batch

  ! x**2 elementwise, counting its calls.
  subroutine squares_counted(x, y, data, status)
    real(c_double), intent(in) :: x(:)
    real(c_double), intent(out) :: y(:)
    class(*), intent(inout), optional :: data
    integer, intent(inout) :: status
    if (present(data)) status = 99
    square_calls = square_calls + 1
    y = x**2
  end subroutine squares_counted

end module functions

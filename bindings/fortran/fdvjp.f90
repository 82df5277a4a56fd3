! fdvjp for Fortran: finite-difference VJPs, JVPs and Jacobians of ordinary Fortran
! procedures, and a reverse-mode tape, over the C library libfdvjp.
!
! Compile fdvjp_c.f90 (the generated bind(c) interfaces, module fdvjp_c) and this file
! (module fdvjp, which re-exports fdvjp_c), link with -lfdvjp:
!
!   use fdvjp
!   type(config) :: cfg
!   call cfg%set_scheme(FDVJP_CENTRAL4, status)
!   call vjp(my_function, x, v, grad, status, data=my_data, cfg=cfg)
!
! The user's function is an ordinary subroutine (see `vector_function`) that gets its data
! as an optional class(*) argument and sets `status` non-zero to abort. Every procedure
! reports through an `integer, intent(out) :: status` (FDVJP_OK = 0, else a FDVJP_*
! code) and an optional deferred-length `errmsg` with fdvjp's message; outputs are written
! only on success. Jacobians are Fortran (m, n) arrays: jac(i, j) = df_i/dx_j.
module fdvjp
  use, intrinsic :: iso_c_binding
  use fdvjp_c
  implicit none
  public
  private :: callback_context, context_box, real_trampoline, complex_trampoline, batch_trampoline, &
             adjoint_trampoline, bind_context, report, fail, ensure_config, config_handle, &
             ensure_tape, keep, to_fortran_string, new_var, from_jacobian_layout, size_mismatch, &
             guard_words, guard_value, written_past, note_overrun, tape_note_overrun, overrun_code, &
             progress_box, progress_trampoline

  abstract interface
    ! y = f(x); `data` is what the caller passed (absent when it passed none). Set status
    ! to a non-zero value to abort the computation (reported as FDVJP_CALLBACK_FAILED).
    subroutine vector_function(x, y, data, status)
      import :: c_double
      real(c_double), intent(in) :: x(:)
      real(c_double), intent(out) :: y(:)
      class(*), intent(inout), optional :: data
      integer, intent(inout) :: status
    end subroutine vector_function

    ! w = f(z) on complex values (complex step and complex functions).
    subroutine complex_function(z, w, data, status)
      import :: c_double_complex
      complex(c_double_complex), intent(in) :: z(:)
      complex(c_double_complex), intent(out) :: w(:)
      class(*), intent(inout), optional :: data
      integer, intent(inout) :: status
    end subroutine complex_function

    ! values(:, p) = f(points(:, p)) for the k points, the columns of points (n, k); values
    ! is (m, k). Hands many points over at once (vectorized code, a GPU, MPI ranks).
    subroutine batch_function(points, values, data, status)
      import :: c_double
      real(c_double), intent(in) :: points(:, :)
      real(c_double), intent(out) :: values(:, :)
      class(*), intent(inout), optional :: data
      integer, intent(inout) :: status
    end subroutine batch_function

    ! Told after each batch of evaluations how many are done and how many are planned;
    ! return .false. to cancel the computation (FDVJP_CANCELLED, outputs untouched).
    function progress_function(done, total) result(go_on)
      import :: c_size_t
      integer(c_size_t), intent(in) :: done, total
      logical :: go_on
    end function progress_function

    ! grad = v^T J(x) of y = f(x), for a tape call with a known adjoint.
    subroutine adjoint_function(x, y, v, grad, data, status)
      import :: c_double
      real(c_double), intent(in) :: x(:), y(:), v(:)
      real(c_double), intent(out) :: grad(:)
      class(*), intent(inout), optional :: data
      integer, intent(inout) :: status
    end subroutine adjoint_function
  end interface

  ! What a trampoline needs to call the user's procedure: passed to C as `user`.
  type :: callback_context
    procedure(vector_function), pointer, nopass :: f => null()
    procedure(complex_function), pointer, nopass :: cf => null()
    procedure(adjoint_function), pointer, nopass :: adjoint => null()
    procedure(batch_function), pointer, nopass :: bf => null()
    class(*), pointer :: data => null()
    ! Set by a trampoline when the user's procedure wrote past the end of a buffer it was
    ! handed (see written_past): which buffer, its size, and the last element written.
    character(len=6) :: overrun_name = ""
    integer(c_size_t) :: overrun_size = 0, overrun_last = 0
  end type callback_context

  ! What the last finite-difference computation on this thread did: the C struct
  ! fdvjp_report, field for field (see fdvjp.h for each field's meaning). From last_report.
  type, bind(c) :: computation_report
    integer(c_size_t) :: size = 0
    integer(c_int32_t) :: completed = 0
    integer(c_int32_t) :: noise_source = 0
    integer(c_size_t) :: evaluations = 0
    integer(c_size_t) :: directions = 0
    integer(c_size_t) :: refined_large = 0
    integer(c_size_t) :: refined_rounding = 0
    integer(c_size_t) :: refined_noise = 0
    integer(c_size_t) :: nonfinite_fallbacks = 0
    integer(c_size_t) :: bound_fallbacks = 0
    real(c_double) :: error_bound = 0
    real(c_double) :: noise_level = 0
    real(c_double) :: sparsity_check = 0
    integer(c_int32_t) :: sparsity_relearned = 0
    integer(c_size_t) :: unbounded_directions = 0
  end type computation_report

  ! What a trampoline returns to C when the user's procedure wrote past its buffer.
  integer(c_int32_t), parameter :: overrun_code = -9

  type :: context_box
    type(callback_context), pointer :: p => null()
  end type context_box

  ! A config's progress procedure, at a fixed address for C's `user` pointer.
  type :: progress_box
    procedure(progress_function), pointer, nopass :: f => null()
  end type progress_box

  ! Options of a computation; owns one fdvjp_config, created on the first setter and freed
  ! by the final procedure. Do not copy a config by assignment (both would own the handle).
  type :: config
    type(c_ptr) :: handle = c_null_ptr
    integer(c_int32_t) :: layout = FDVJP_ROW_MAJOR
    type(progress_box), pointer :: progress => null()
  contains
    procedure :: set_scheme => config_set_scheme
    procedure :: set_layout => config_set_layout
    procedure :: set_relative_step => config_set_relative_step
    procedure :: set_steps => config_set_steps
    procedure :: set_typical => config_set_typical
    procedure :: set_bounds => config_set_bounds
    procedure :: set_sparsity => config_set_sparsity
    procedure :: set_adaptive => config_set_adaptive
    procedure :: set_learn_sparsity => config_set_learn_sparsity
    procedure :: learned_sparsity => config_learned_sparsity
    procedure :: set_threads => config_set_threads
    procedure :: set_batch_size => config_set_batch_size
    procedure :: set_noise => config_set_noise
    procedure :: set_noise_mode => config_set_noise_mode
    procedure :: set_progress => config_set_progress
    ! get(option, value, status[, errmsg]): what the C config stores (fdvjp_config_get_*)
    procedure :: config_get_integer, config_get_real, config_get_reals
    generic :: get => config_get_integer, config_get_real, config_get_reals
    procedure :: get_bounds => config_get_bounds
    procedure :: get_sparsity => config_get_sparsity
    final :: config_final
  end type config

  ! A reverse-mode tape; owns one fdvjp_tape and the contexts of the procedures recorded
  ! on it (freed by the final procedure). `data` given to call_function / call_vjp must
  ! outlive the tape. Do not copy a tape by assignment.
  type :: tape
    type(c_ptr) :: handle = c_null_ptr
    type(context_box), allocatable :: kept(:)
    integer :: nkept = 0
  contains
    procedure :: input => tape_input
    procedure :: constant => tape_constant
    procedure :: input_shaped => tape_input_shaped
    procedure :: constant_shaped => tape_constant_shaped
    procedure :: reshape => tape_reshape
    procedure :: ndim => tape_ndim
    procedure :: shape => tape_shape
    procedure :: call_function => tape_call_function
    procedure :: call_vjp => tape_call_vjp
    procedure :: call_batch => tape_call_batch
    procedure :: unary => tape_unary
    procedure :: binary => tape_binary
    procedure :: reduce => tape_reduce
    procedure :: pow => tape_pow
    procedure :: dot => tape_dot
    procedure :: matmul => tape_matmul
    procedure :: slice => tape_slice
    procedure :: concat => tape_concat
    procedure :: length => tape_length
    procedure :: value => tape_value
    procedure :: backward => tape_backward
    procedure :: grad => tape_grad
    procedure :: set_input => tape_set_input
    procedure :: forward => tape_forward
    procedure :: clear => tape_clear
    final :: tape_final
  end type tape

contains

  ! ------------------------------------------------------------------ errors

  ! This thread's last-error message from fdvjp.
  function last_error() result(message)
    character(len=:), allocatable :: message
    character(kind=c_char), allocatable :: buf(:)
    integer(c_size_t) :: n
    integer :: i
    n = fdvjp_last_error(len=0_c_size_t)
    allocate (buf(n + 1))
    n = fdvjp_last_error(buf, n + 1)
    allocate (character(len=n) :: message)
    do i = 1, int(n)
      message(i:i) = buf(i)
    end do
  end function last_error

  ! The static name of a status code, e.g. "FDVJP_NONFINITE_AT_X".
  function status_name(status) result(name)
    integer, intent(in) :: status
    character(len=:), allocatable :: name
    name = to_fortran_string(fdvjp_status_str(int(status, c_int32_t)))
  end function status_name

  ! The loaded library's version "major.minor.patch"; each component also as an integer
  ! when asked for (compare with the header's FDVJP_VERSION_*).
  function library_version(major, minor, patch) result(text)
    integer, intent(out), optional :: major, minor, patch
    character(len=:), allocatable :: text
    integer(c_int32_t) :: parts(3)
    parts = 0
    text = to_fortran_string(fdvjp_version(parts(1), parts(2), parts(3)))
    if (present(major)) major = int(parts(1))
    if (present(minor)) minor = int(parts(2))
    if (present(patch)) patch = int(parts(3))
  end function library_version

  function to_fortran_string(p) result(text)
    type(c_ptr), intent(in) :: p
    character(len=:), allocatable :: text
    character(kind=c_char), pointer :: chars(:)
    integer :: n
    call c_f_pointer(p, chars, [256])
    n = 0
    do while (chars(n + 1) /= c_null_char)
      n = n + 1
    end do
    allocate (character(len=n) :: text)
    text = transfer(chars(1:n), text)
  end function to_fortran_string

  ! status = the C code; text = fdvjp's message when the call failed, else "".
  ! (The public procedures copy text to their optional errmsg themselves: gfortran 12
  ! loses the length of an optional deferred-length argument passed down a level.)
  subroutine report(code, status, text)
    integer(c_int32_t), intent(in) :: code
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out) :: text
    status = int(code)
    if (code /= FDVJP_OK) then
      text = last_error()
    else
      text = ""
    end if
  end subroutine report

  ! A failure found on the Fortran side (e.g. array sizes), before calling C.
  subroutine fail(code, message, status, text)
    integer, intent(in) :: code
    character(len=*), intent(in) :: message
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out) :: text
    status = code
    text = message
  end subroutine fail

  ! "<where>: size(a) = 3 /= size(b) = 4", both sizes given.
  function size_mismatch(where, a, na, b, nb) result(text)
    character(len=*), intent(in) :: where, a, b
    integer, intent(in) :: na, nb
    character(len=:), allocatable :: text
    character(len=24) :: sa, sb
    write (sa, '(i0)') na
    write (sb, '(i0)') nb
    text = where//": "//a//" = "//trim(sa)//" /= "//b//" = "//trim(sb)
  end function size_mismatch

  ! ------------------------------------------------------------------ buffer guards
  !
  ! The user's procedure gets its output array as a view of a larger private buffer whose
  ! tail (guard_words(m) elements) holds a NaN with a fixed payload. A procedure that writes
  ! y(m+1), ... (its output is longer than v, or out, says) changes the tail instead of the
  ! heap; the trampoline sees it, stops the computation and names the buffer, m and the last
  ! element written. Overruns up to 2m + 64 elements are caught this way.

  pure function guard_words(m) result(g)
    integer(c_size_t), intent(in) :: m
    integer(c_size_t) :: g
    g = m + 64
  end function guard_words

  function guard_value() result(g)
    real(c_double) :: g
    g = transfer(int(z'7FF8DEADBEEF0BAD', c_int64_t), 1.0_c_double)
  end function guard_value

  ! The index (> m) of the last tail element that no longer holds the guard, or 0.
  function written_past(tail, m) result(last)
    real(c_double), intent(in) :: tail(:)
    integer(c_size_t), intent(in) :: m
    integer(c_size_t) :: last, i
    integer(c_int64_t) :: want
    want = int(z'7FF8DEADBEEF0BAD', c_int64_t)
    last = 0
    do i = size(tail, kind=c_size_t), 1, -1
      if (transfer(tail(i), want) /= want) then
        last = m + i
        return
      end if
    end do
  end function written_past

  ! After a failed call: a procedure that wrote past its buffer is the cause; say so,
  ! keeping fdvjp's message (which names the evaluation) in parentheses.
  subroutine note_overrun(ctx, status, text)
    type(callback_context), intent(inout) :: ctx
    integer, intent(in) :: status
    character(len=:), allocatable, intent(inout) :: text
    character(len=24) :: sm, sl
    character(len=:), allocatable :: name
    if (ctx%overrun_size == 0 .or. status == FDVJP_OK) return
    write (sm, '(i0)') ctx%overrun_size
    write (sl, '(i0)') ctx%overrun_last
    name = trim(ctx%overrun_name)
    if (name == "grad") then  ! an adjoint's grad has n = size(x) entries
      text = "the adjoint wrote past grad(n), n = "//trim(sm)//" (it wrote grad("//trim(sl)//")) ("//text//")"
    else
      text = "the function wrote past "//name//"(m), m = "//trim(sm)//" (it wrote "//name//"("//trim(sl)// &
             ")); is m (the size of v, out or jac's rows) its number of outputs? ("//text//")"
    end if
    ctx%overrun_size = 0
  end subroutine note_overrun

  subroutine tape_note_overrun(self, status, text)
    class(tape), intent(inout) :: self
    integer, intent(in) :: status
    character(len=:), allocatable, intent(inout) :: text
    integer :: i
    do i = 1, self%nkept
      call note_overrun(self%kept(i)%p, status, text)
    end do
  end subroutine tape_note_overrun

  ! ------------------------------------------------------------------ trampolines

  function real_trampoline(user, x, n, y, m) bind(c) result(code)
    type(c_ptr), value :: user
    integer(c_size_t), value :: n, m
    real(c_double), intent(in) :: x(n)
    real(c_double), intent(inout) :: y(m)
    integer(c_int32_t) :: code
    type(callback_context), pointer :: ctx
    integer :: status
    real(c_double), allocatable :: buf(:)
    integer(c_size_t) :: last
    call c_f_pointer(user, ctx)
    allocate (buf(m + guard_words(m)))
    buf(1:m) = y
    buf(m + 1:) = guard_value()
    status = 0
    if (associated(ctx%data)) then
      call ctx%f(x, buf(1:m), ctx%data, status)
    else
      call ctx%f(x, buf(1:m), status=status)
    end if
    last = written_past(buf(m + 1:), m)
    if (last > 0) then
      ctx%overrun_name = "y"
      ctx%overrun_size = m
      ctx%overrun_last = last
      code = overrun_code
      return
    end if
    y = buf(1:m)
    code = int(status, c_int32_t)
  end function real_trampoline

  ! C passes interleaved re/im doubles: the memory of complex(c_double_complex) arrays.
  function complex_trampoline(user, z, n, w, m) bind(c) result(code)
    type(c_ptr), value :: user
    integer(c_size_t), value :: n, m
    complex(c_double_complex), intent(in) :: z(n)
    complex(c_double_complex), intent(inout) :: w(m)
    integer(c_int32_t) :: code
    type(callback_context), pointer :: ctx
    integer :: status
    complex(c_double_complex), allocatable :: buf(:)
    integer(c_size_t) :: last
    call c_f_pointer(user, ctx)
    allocate (buf(m + guard_words(m)))
    buf(1:m) = w
    buf(m + 1:) = cmplx(guard_value(), guard_value(), c_double_complex)
    status = 0
    if (associated(ctx%data)) then
      call ctx%cf(z, buf(1:m), ctx%data, status)
    else
      call ctx%cf(z, buf(1:m), status=status)
    end if
    last = written_past(transfer(buf(m + 1:), 1.0_c_double, 2 * guard_words(m)), 2 * m)
    if (last > 0) then
      ctx%overrun_name = "w"
      ctx%overrun_size = m
      ctx%overrun_last = (last + 1) / 2
      code = overrun_code
      return
    end if
    w = buf(1:m)
    code = int(status, c_int32_t)
  end function complex_trampoline

  ! C's k points of n values are the columns of an (n, k) array, their values of an (m, k).
  function batch_trampoline(user, xs, n, k, ys, m) bind(c) result(code)
    type(c_ptr), value :: user
    integer(c_size_t), value :: n, k, m
    real(c_double), intent(in) :: xs(n, k)
    real(c_double), intent(inout) :: ys(m, k)
    integer(c_int32_t) :: code
    type(callback_context), pointer :: ctx
    integer :: status
    real(c_double), allocatable :: buf(:, :)
    integer(c_size_t) :: last, p
    call c_f_pointer(user, ctx)
    ! each column padded: values(m+1, p) lands in column p's guard
    allocate (buf(m + guard_words(m), k))
    buf(1:m, :) = ys
    buf(m + 1:, :) = guard_value()
    status = 0
    if (associated(ctx%data)) then
      call ctx%bf(xs, buf(1:m, :), ctx%data, status)
    else
      call ctx%bf(xs, buf(1:m, :), status=status)
    end if
    do p = 1, k
      last = written_past(buf(m + 1:, p), m)
      if (last > 0) then
        ctx%overrun_name = "values"
        ctx%overrun_size = m
        ctx%overrun_last = last
        code = overrun_code
        return
      end if
    end do
    ys = buf(1:m, :)
    code = int(status, c_int32_t)
  end function batch_trampoline

  function adjoint_trampoline(user, x, n, y, m, v, grad) bind(c) result(code)
    type(c_ptr), value :: user
    integer(c_size_t), value :: n, m
    real(c_double), intent(in) :: x(n), y(m), v(m)
    real(c_double), intent(inout) :: grad(n)
    integer(c_int32_t) :: code
    type(callback_context), pointer :: ctx
    integer :: status
    real(c_double), allocatable :: buf(:)
    integer(c_size_t) :: last
    call c_f_pointer(user, ctx)
    allocate (buf(n + guard_words(n)))
    buf(1:n) = grad
    buf(n + 1:) = guard_value()
    status = 0
    if (associated(ctx%data)) then
      call ctx%adjoint(x, y, v, buf(1:n), ctx%data, status)
    else
      call ctx%adjoint(x, y, v, buf(1:n), status=status)
    end if
    last = written_past(buf(n + 1:), n)
    if (last > 0) then
      ctx%overrun_name = "grad"
      ctx%overrun_size = n
      ctx%overrun_last = last
      code = overrun_code
      return
    end if
    grad = buf(1:n)
    code = int(status, c_int32_t)
  end function adjoint_trampoline

  subroutine bind_context(ctx, data)
    type(callback_context), intent(inout) :: ctx
    class(*), intent(inout), target, optional :: data
    nullify (ctx%data)
    if (present(data)) ctx%data => data
  end subroutine bind_context

  ! ------------------------------------------------------------------ config

  subroutine ensure_config(self)
    class(config), intent(inout) :: self
    if (.not. c_associated(self%handle)) self%handle = fdvjp_config_new()
  end subroutine ensure_config

  ! The C handle of an optional config (NULL: the defaults).
  function config_handle(cfg) result(handle)
    type(config), intent(in), optional :: cfg
    type(c_ptr) :: handle
    handle = c_null_ptr
    if (present(cfg)) handle = cfg%handle
  end function config_handle

  subroutine config_set_scheme(self, scheme, status, errmsg)
    class(config), intent(inout) :: self
    integer, intent(in) :: scheme
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    call ensure_config(self)
    call report(fdvjp_config_set_scheme(self%handle, int(scheme, c_int32_t)), status, text)
    if (present(errmsg)) errmsg = text
  end subroutine config_set_scheme

  subroutine config_set_layout(self, layout, status, errmsg)
    class(config), intent(inout) :: self
    integer, intent(in) :: layout
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    call ensure_config(self)
    call report(fdvjp_config_set_layout(self%handle, int(layout, c_int32_t)), status, text)
    if (status == FDVJP_OK) self%layout = int(layout, c_int32_t)
    if (present(errmsg)) errmsg = text
  end subroutine config_set_layout

  subroutine config_set_relative_step(self, r, status, errmsg)
    class(config), intent(inout) :: self
    real(c_double), intent(in) :: r
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    call ensure_config(self)
    call report(fdvjp_config_set_relative_step(self%handle, r), status, text)
    if (present(errmsg)) errmsg = text
  end subroutine config_set_relative_step

  subroutine config_set_steps(self, h, status, errmsg)
    class(config), intent(inout) :: self
    real(c_double), intent(in) :: h(:)
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    call ensure_config(self)
    call report(fdvjp_config_set_steps(self%handle, h, size(h, kind=c_size_t)), status, text)
    if (present(errmsg)) errmsg = text
  end subroutine config_set_steps

  subroutine config_set_typical(self, typ, status, errmsg)
    class(config), intent(inout) :: self
    real(c_double), intent(in) :: typ(:)
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    call ensure_config(self)
    call report(fdvjp_config_set_typical(self%handle, typ, size(typ, kind=c_size_t)), status, text)
    if (present(errmsg)) errmsg = text
  end subroutine config_set_typical

  subroutine config_set_bounds(self, lower, upper, status, errmsg)
    class(config), intent(inout) :: self
    real(c_double), intent(in) :: lower(:), upper(:)
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    if (size(lower) /= size(upper)) then
      call fail(FDVJP_LENGTH_MISMATCH, size_mismatch("config%set_bounds", "size(lower)", size(lower), &
                                                      "size(upper)", size(upper)), status, text)
      if (present(errmsg)) errmsg = text
      return
    end if
    call ensure_config(self)
    call report(fdvjp_config_set_bounds(self%handle, lower, upper, size(lower, kind=c_size_t)), &
                status, text)
    if (present(errmsg)) errmsg = text
  end subroutine config_set_bounds

  ! The Jacobian's nonzeros (rows(k), cols(k)), 1-based as Fortran indices (fdvjp's C API
  ! counts from 0: converted here).
  subroutine config_set_sparsity(self, rows, cols, status, errmsg)
    class(config), intent(inout) :: self
    integer, intent(in) :: rows(:), cols(:)
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    if (size(rows) /= size(cols)) then
      call fail(FDVJP_LENGTH_MISMATCH, size_mismatch("config%set_sparsity", "size(rows)", size(rows), &
                                                      "size(cols)", size(cols)), status, text)
    else if (any(rows < 1) .or. any(cols < 1)) then
      call fail(FDVJP_INVALID_ARGUMENT, "config%set_sparsity: indices start at 1", status, text)
    else
      call ensure_config(self)
      call report(fdvjp_config_set_sparsity(self%handle, int(rows - 1, c_size_t), int(cols - 1, c_size_t), &
                                            size(rows, kind=c_size_t)), status, text)
    end if
    if (present(errmsg)) errmsg = text
  end subroutine config_set_sparsity

  ! An integer option as the C config stores it: "scheme", "layout", "adaptive" and
  ! "learn_sparsity" (0 or 1), "noise_mode", "threads" or "batch_size" (0: the default),
  ! "progress" (1 when a progress callback is registered, else 0).
  subroutine config_get_integer(self, option, value, status, errmsg)
    class(config), intent(inout) :: self
    character(len=*), intent(in) :: option
    integer, intent(out) :: value
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    integer(c_int32_t) :: i
    integer(c_size_t) :: z
    type(c_funptr) :: f
    type(c_ptr) :: user
    i = 0
    z = 0
    f = c_null_funptr
    user = c_null_ptr
    call ensure_config(self)
    select case (option)
    case ("scheme")
      call report(fdvjp_config_get_scheme(self%handle, i), status, text)
    case ("layout")
      call report(fdvjp_config_get_layout(self%handle, i), status, text)
    case ("adaptive")
      call report(fdvjp_config_get_adaptive(self%handle, i), status, text)
    case ("noise_mode")
      call report(fdvjp_config_get_noise_mode(self%handle, i), status, text)
    case ("learn_sparsity")
      call report(fdvjp_config_get_learn_sparsity(self%handle, i), status, text)
    case ("threads")
      call report(fdvjp_config_get_threads(self%handle, z), status, text)
      i = int(z, c_int32_t)
    case ("batch_size")
      call report(fdvjp_config_get_batch_size(self%handle, z), status, text)
      i = int(min(z, int(huge(i), c_size_t)), c_int32_t)
    case ("progress")
      call report(fdvjp_config_get_progress(self%handle, f, user), status, text)
      i = merge(1_c_int32_t, 0_c_int32_t, c_associated(f))
    case default
      call fail(FDVJP_INVALID_ARGUMENT, "config%get: no integer option "//option, status, text)
    end select
    value = int(i)
    if (present(errmsg)) errmsg = text
  end subroutine config_get_integer

  ! A real option as the C config stores it: "relative_step" (0: the scheme's default).
  subroutine config_get_real(self, option, value, status, errmsg)
    class(config), intent(inout) :: self
    character(len=*), intent(in) :: option
    real(c_double), intent(out) :: value
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    value = 0
    call ensure_config(self)
    if (option == "relative_step") then
      call report(fdvjp_config_get_relative_step(self%handle, value), status, text)
    else
      call fail(FDVJP_INVALID_ARGUMENT, "config%get: no real option "//option, status, text)
    end if
    if (present(errmsg)) errmsg = text
  end subroutine config_get_real

  ! An array option as the C config stores it: "steps", "typical" or "noise" (size 0 when
  ! unset).
  subroutine config_get_reals(self, option, values, status, errmsg)
    class(config), intent(inout) :: self
    character(len=*), intent(in) :: option
    real(c_double), allocatable, intent(out) :: values(:)
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    integer(c_size_t) :: n
    integer :: pass
    n = 0
    allocate (values(0))
    call ensure_config(self)
    do pass = 1, 2  ! the length, then the values
      select case (option)
      case ("steps")
        call report(fdvjp_config_get_steps(self%handle, values, size(values, kind=c_size_t), n), status, text)
      case ("typical")
        call report(fdvjp_config_get_typical(self%handle, values, size(values, kind=c_size_t), n), status, text)
      case ("noise")
        call report(fdvjp_config_get_noise(self%handle, values, size(values, kind=c_size_t), n), status, text)
      case default
        call fail(FDVJP_INVALID_ARGUMENT, "config%get: no array option "//option, status, text)
      end select
      if (status /= FDVJP_OK .or. n == 0 .or. pass == 2) exit
      deallocate (values)
      allocate (values(n))
    end do
    if (present(errmsg)) errmsg = text
  end subroutine config_get_reals

  ! The bounds as the C config stores them (size 0 when there are none).
  subroutine config_get_bounds(self, lower, upper, status, errmsg)
    class(config), intent(inout) :: self
    real(c_double), allocatable, intent(out) :: lower(:), upper(:)
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    integer(c_size_t) :: n
    n = 0
    call ensure_config(self)
    call report(fdvjp_config_get_bounds(self%handle, count=n, capacity=0_c_size_t), status, text)
    allocate (lower(n), upper(n))
    if (status == FDVJP_OK .and. n > 0) &
      call report(fdvjp_config_get_bounds(self%handle, lower, upper, n, n), status, text)
    if (present(errmsg)) errmsg = text
  end subroutine config_get_bounds

  ! The sparsity pattern as the C config stores it, 1-based: its distinct entries ordered
  ! by column, then row (size 0 when the Jacobian is taken as dense).
  subroutine config_get_sparsity(self, rows, cols, status, errmsg)
    class(config), intent(inout) :: self
    integer, allocatable, intent(out) :: rows(:), cols(:)
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    integer(c_size_t) :: n
    integer(c_size_t), allocatable :: r(:), c(:)
    n = 0
    call ensure_config(self)
    call report(fdvjp_config_get_sparsity(self%handle, count=n, capacity=0_c_size_t), status, text)
    allocate (r(n), c(n))
    if (status == FDVJP_OK .and. n > 0) &
      call report(fdvjp_config_get_sparsity(self%handle, r, c, n, n), status, text)
    rows = int(r) + 1
    cols = int(c) + 1
    if (present(errmsg)) errmsg = text
  end subroutine config_get_sparsity

  subroutine config_set_adaptive(self, on, status, errmsg)
    class(config), intent(inout) :: self
    logical, intent(in) :: on
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    call ensure_config(self)
    call report(fdvjp_config_set_adaptive(self%handle, merge(1_c_int32_t, 0_c_int32_t, on)), &
                status, text)
    if (present(errmsg)) errmsg = text
  end subroutine config_set_adaptive

  ! More than one thread declares the user's procedure safe to call concurrently.
  ! on: learn the Jacobian's pattern at the first vjp/jacobian (each tape node: at its first
  ! pull-back) and use it, verified on every call; off forgets a learned pattern.
  subroutine config_set_learn_sparsity(self, on, status, errmsg)
    class(config), intent(inout) :: self
    logical, intent(in) :: on
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    call ensure_config(self)
    call report(fdvjp_config_set_learn_sparsity(self%handle, merge(1_c_int32_t, 0_c_int32_t, on)), &
                status, text)
    if (present(errmsg)) errmsg = text
  end subroutine config_set_learn_sparsity

  ! The learned pattern's entries as 1-based (row, column) indices (size 0 when none).
  subroutine config_learned_sparsity(self, rows, cols, status, errmsg)
    class(config), intent(inout) :: self
    integer, allocatable, intent(out) :: rows(:), cols(:)
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    integer(c_size_t) :: nnz
    integer(c_size_t), allocatable :: r(:), c(:)
    nnz = 0
    call ensure_config(self)
    allocate(rows(0), cols(0))
    call report(fdvjp_config_learned_sparsity(self%handle, count=nnz, capacity=0_c_size_t), status, text)
    if (status == FDVJP_OK .and. nnz > 0) then
      allocate(r(nnz), c(nnz))
      call report(fdvjp_config_learned_sparsity(self%handle, r, c, nnz, nnz), status, text)
      if (status == FDVJP_OK) then
        rows = int(r) + 1
        cols = int(c) + 1
      end if
    end if
    if (present(errmsg)) errmsg = text
  end subroutine config_learned_sparsity

  subroutine config_set_threads(self, threads, status, errmsg)
    class(config), intent(inout) :: self
    integer, intent(in) :: threads
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    call ensure_config(self)
    call report(fdvjp_config_set_threads(self%handle, int(threads, c_size_t)), status, text)
    if (present(errmsg)) errmsg = text
  end subroutine config_set_threads

  ! f's absolute noise level: one value for every output, or one per output (checked
  ! against m by each computation); an empty array declares none.
  subroutine config_set_noise(self, levels, status, errmsg)
    class(config), intent(inout) :: self
    real(c_double), intent(in) :: levels(:)
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    call ensure_config(self)
    call report(fdvjp_config_set_noise(self%handle, levels, size(levels, kind=c_size_t)), status, text)
    if (present(errmsg)) errmsg = text
  end subroutine config_set_noise

  ! When f's noise is estimated: FDVJP_NOISE_AUTO (default), FDVJP_NOISE_ESTIMATE or FDVJP_NOISE_OFF.
  subroutine config_set_noise_mode(self, mode, status, errmsg)
    class(config), intent(inout) :: self
    integer, intent(in) :: mode
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    call ensure_config(self)
    call report(fdvjp_config_set_noise_mode(self%handle, int(mode, c_int32_t)), status, text)
    if (present(errmsg)) errmsg = text
  end subroutine config_set_noise_mode

  ! This thread's report of its last computation (completed = 0 for a failed one).
  subroutine last_report(rep, status, errmsg)
    type(computation_report), intent(inout), target :: rep
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    type(computation_report), target :: filled
    call report(fdvjp_last_report(c_loc(filled), int(c_sizeof(filled), c_size_t)), status, text)
    if (status == FDVJP_OK) rep = filled
    if (present(errmsg)) errmsg = text
  end subroutine last_report

  ! The noise level of each output of f in the last computation on this thread (declared
  ! or estimated, 0 where none); size 0 before any computation.
  subroutine last_report_noise(levels)
    real(c_double), allocatable, intent(out) :: levels(:)
    integer(c_size_t) :: m
    m = fdvjp_last_report_noise(len=0_c_size_t)
    allocate (levels(m))
    if (m > 0) m = fdvjp_last_report_noise(levels, m)
  end subroutine last_report_noise

  subroutine config_set_batch_size(self, points, status, errmsg)
    class(config), intent(inout) :: self
    integer, intent(in) :: points
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    call ensure_config(self)
    call report(fdvjp_config_set_batch_size(self%handle, int(points, c_size_t)), status, text)
    if (present(errmsg)) errmsg = text
  end subroutine config_set_batch_size

  subroutine config_final(self)
    type(config), intent(inout) :: self
    call fdvjp_config_free(self%handle)
    self%handle = c_null_ptr
    if (associated(self%progress)) deallocate (self%progress)
  end subroutine config_final

  ! Registers a progress procedure (see `progress_function`); without `progress`, removes
  ! it. The config keeps the procedure until it is replaced or the config is finalized.
  subroutine config_set_progress(self, status, progress, errmsg)
    class(config), intent(inout) :: self
    integer, intent(out) :: status
    procedure(progress_function), optional :: progress
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    type(progress_box), pointer :: box
    call ensure_config(self)
    if (present(progress)) then
      allocate (box)
      box%f => progress
      call report(fdvjp_config_set_progress(self%handle, c_funloc(progress_trampoline), c_loc(box)), &
                  status, text)
      if (status == FDVJP_OK) then
        if (associated(self%progress)) deallocate (self%progress)
        self%progress => box
      else
        deallocate (box)
      end if
    else
      call report(fdvjp_config_set_progress(self%handle, c_null_funptr, c_null_ptr), status, text)
      if (status == FDVJP_OK .and. associated(self%progress)) deallocate (self%progress)
    end if
    if (present(errmsg)) errmsg = text
  end subroutine config_set_progress

  ! C's fdvjp_progress_fn: calls the config's progress procedure; non-zero cancels.
  function progress_trampoline(user, done, total) bind(c) result(code)
    type(c_ptr), value :: user
    integer(c_size_t), value :: done, total
    integer(c_int32_t) :: code
    type(progress_box), pointer :: box
    call c_f_pointer(user, box)
    code = merge(0_c_int32_t, 1_c_int32_t, box%f(done, total))
  end function progress_trampoline

  ! ------------------------------------------------------------------ derivatives

  ! grad = v^T J(x), grad of size(x).
  subroutine vjp(f, x, v, grad, status, data, cfg, errmsg)
    procedure(vector_function) :: f
    real(c_double), intent(in) :: x(:), v(:)
    real(c_double), intent(inout) :: grad(:)
    integer, intent(out) :: status
    class(*), intent(inout), target, optional :: data
    type(config), intent(in), optional :: cfg
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    type(callback_context), target :: ctx
    if (size(grad) /= size(x)) then
      call fail(FDVJP_LENGTH_MISMATCH, size_mismatch("vjp", "size(grad)", size(grad), "size(x)", size(x)), &
                status, text)
      if (present(errmsg)) errmsg = text
      return
    end if
    ctx%f => f
    call bind_context(ctx, data)
    call report(fdvjp_vjp(config_handle(cfg), c_funloc(real_trampoline), c_loc(ctx), x, &
                          size(x, kind=c_size_t), size(v, kind=c_size_t), v, grad), status, text)
    call note_overrun(ctx, status, text)
    if (present(errmsg)) errmsg = text
  end subroutine vjp

  ! Learns the sparsity pattern of f's m x size(x) Jacobian at x into cfg (2(n + 1)
  ! evaluations); later vjp/jacobian calls with cfg use it, verified on every call (2 more
  ! evaluations), and a call whose check fails is computed densely and learns the pattern
  ! again (computation_report%sparsity_relearned). On error cfg is unchanged.
  subroutine detect_sparsity(cfg, f, x, m, status, data, errmsg)
    type(config), intent(inout) :: cfg
    procedure(vector_function) :: f
    real(c_double), intent(in) :: x(:)
    integer, intent(in) :: m
    integer, intent(out) :: status
    class(*), intent(inout), target, optional :: data
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    type(callback_context), target :: ctx
    call ensure_config(cfg)
    ctx%f => f
    call bind_context(ctx, data)
    call report(fdvjp_config_detect_sparsity(cfg%handle, c_funloc(real_trampoline), c_loc(ctx), x, &
                                             size(x, kind=c_size_t), int(m, c_size_t)), status, text)
    call note_overrun(ctx, status, text)
    if (present(errmsg)) errmsg = text
  end subroutine detect_sparsity

  ! out = J(x) u, f having size(out) outputs.
  subroutine jvp(f, x, u, out, status, data, cfg, errmsg)
    procedure(vector_function) :: f
    real(c_double), intent(in) :: x(:), u(:)
    real(c_double), intent(inout) :: out(:)
    integer, intent(out) :: status
    class(*), intent(inout), target, optional :: data
    type(config), intent(in), optional :: cfg
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    type(callback_context), target :: ctx
    if (size(u) /= size(x)) then
      call fail(FDVJP_LENGTH_MISMATCH, size_mismatch("jvp", "size(u)", size(u), "size(x)", size(x)), &
                status, text)
      if (present(errmsg)) errmsg = text
      return
    end if
    ctx%f => f
    call bind_context(ctx, data)
    call report(fdvjp_jvp(config_handle(cfg), c_funloc(real_trampoline), c_loc(ctx), x, &
                          size(x, kind=c_size_t), size(out, kind=c_size_t), u, out), status, text)
    call note_overrun(ctx, status, text)
    if (present(errmsg)) errmsg = text
  end subroutine jvp

  ! jac(i, j) = df_i/dx_j, jac of shape (m, n) with n = size(x).
  subroutine jacobian(f, x, jac, status, data, cfg, errmsg)
    procedure(vector_function) :: f
    real(c_double), intent(in) :: x(:)
    real(c_double), intent(inout) :: jac(:, :)
    integer, intent(out) :: status
    class(*), intent(inout), target, optional :: data
    type(config), intent(in), optional :: cfg
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    type(callback_context), target :: ctx
    real(c_double), allocatable :: flat(:)
    if (size(jac, 2) /= size(x)) then
      call fail(FDVJP_LENGTH_MISMATCH, size_mismatch("jacobian", "size(jac, 2)", size(jac, 2), "size(x)", size(x)), &
                status, text)
      if (present(errmsg)) errmsg = text
      return
    end if
    ctx%f => f
    call bind_context(ctx, data)
    allocate (flat(size(jac)))
    call report(fdvjp_jacobian(config_handle(cfg), c_funloc(real_trampoline), c_loc(ctx), x, &
                               size(x, kind=c_size_t), size(jac, 1, kind=c_size_t), flat), status, text)
    call note_overrun(ctx, status, text)
    if (status == FDVJP_OK) call from_jacobian_layout(flat, jac, cfg)
    if (present(errmsg)) errmsg = text
  end subroutine jacobian

  ! The C Jacobian (in cfg's layout) as a Fortran (m, n) array.
  subroutine from_jacobian_layout(flat, jac, cfg)
    real(c_double), intent(in) :: flat(:)
    real(c_double), intent(inout) :: jac(:, :)
    type(config), intent(in), optional :: cfg
    integer(c_int32_t) :: layout
    layout = FDVJP_ROW_MAJOR
    if (present(cfg)) layout = cfg%layout
    if (layout == FDVJP_COL_MAJOR) then
      jac = reshape(flat, shape(jac))
    else
      jac = transpose(reshape(flat, [size(jac, 2), size(jac, 1)]))
    end if
  end subroutine from_jacobian_layout

  ! grad = v^T J(x) with a batch function (the config's batch size bounds k).
  subroutine vjp_batch(f, x, v, grad, status, data, cfg, errmsg)
    procedure(batch_function) :: f
    real(c_double), intent(in) :: x(:), v(:)
    real(c_double), intent(inout) :: grad(:)
    integer, intent(out) :: status
    class(*), intent(inout), target, optional :: data
    type(config), intent(in), optional :: cfg
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    type(callback_context), target :: ctx
    if (size(grad) /= size(x)) then
      call fail(FDVJP_LENGTH_MISMATCH, size_mismatch("vjp_batch", "size(grad)", size(grad), "size(x)", size(x)), &
                status, text)
      if (present(errmsg)) errmsg = text
      return
    end if
    ctx%bf => f
    call bind_context(ctx, data)
    call report(fdvjp_vjp_batch(config_handle(cfg), c_funloc(batch_trampoline), c_loc(ctx), x, &
                                size(x, kind=c_size_t), size(v, kind=c_size_t), v, grad), status, text)
    call note_overrun(ctx, status, text)
    if (present(errmsg)) errmsg = text
  end subroutine vjp_batch

  ! out = J(x) u with a batch function; out has m entries.
  subroutine jvp_batch(f, x, u, out, status, data, cfg, errmsg)
    procedure(batch_function) :: f
    real(c_double), intent(in) :: x(:), u(:)
    real(c_double), intent(inout) :: out(:)
    integer, intent(out) :: status
    class(*), intent(inout), target, optional :: data
    type(config), intent(in), optional :: cfg
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    type(callback_context), target :: ctx
    if (size(u) /= size(x)) then
      call fail(FDVJP_LENGTH_MISMATCH, size_mismatch("jvp_batch", "size(u)", size(u), "size(x)", size(x)), &
                status, text)
    else
      ctx%bf => f
      call bind_context(ctx, data)
      call report(fdvjp_jvp_batch(config_handle(cfg), c_funloc(batch_trampoline), c_loc(ctx), x, &
                                  size(x, kind=c_size_t), size(out, kind=c_size_t), u, out), status, text)
      call note_overrun(ctx, status, text)
    end if
    if (present(errmsg)) errmsg = text
  end subroutine jvp_batch

  ! jac(i, j) = df_i/dx_j with a batch function, jac of shape (m, n).
  subroutine jacobian_batch(f, x, jac, status, data, cfg, errmsg)
    procedure(batch_function) :: f
    real(c_double), intent(in) :: x(:)
    real(c_double), intent(inout) :: jac(:, :)
    integer, intent(out) :: status
    class(*), intent(inout), target, optional :: data
    type(config), intent(in), optional :: cfg
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    type(callback_context), target :: ctx
    real(c_double), allocatable :: flat(:)
    if (size(jac, 2) /= size(x)) then
      call fail(FDVJP_LENGTH_MISMATCH, size_mismatch("jacobian_batch", "size(jac, 2)", size(jac, 2), "size(x)", size(x)), &
                status, text)
      if (present(errmsg)) errmsg = text
      return
    end if
    ctx%bf => f
    call bind_context(ctx, data)
    allocate (flat(size(jac)))
    call report(fdvjp_jacobian_batch(config_handle(cfg), c_funloc(batch_trampoline), c_loc(ctx), x, &
                                     size(x, kind=c_size_t), size(jac, 1, kind=c_size_t), flat), status, text)
    call note_overrun(ctx, status, text)
    if (status == FDVJP_OK) call from_jacobian_layout(flat, jac, cfg)
    if (present(errmsg)) errmsg = text
  end subroutine jacobian_batch

  ! grad = v^T J(x) by Richardson extrapolation, err its estimated absolute error.
  subroutine vjp_estimate(f, x, v, grad, err, status, data, cfg, errmsg)
    procedure(vector_function) :: f
    real(c_double), intent(in) :: x(:), v(:)
    real(c_double), intent(inout) :: grad(:), err(:)
    integer, intent(out) :: status
    class(*), intent(inout), target, optional :: data
    type(config), intent(in), optional :: cfg
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    type(callback_context), target :: ctx
    if (size(grad) /= size(x) .or. size(err) /= size(x)) then
      if (size(grad) /= size(x)) then
        call fail(FDVJP_LENGTH_MISMATCH, size_mismatch("vjp_estimate", "size(grad)", size(grad), "size(x)", &
                                                       size(x)), status, text)
      else
        call fail(FDVJP_LENGTH_MISMATCH, size_mismatch("vjp_estimate", "size(err)", size(err), "size(x)", &
                                                       size(x)), status, text)
      end if
      if (present(errmsg)) errmsg = text
      return
    end if
    ctx%f => f
    call bind_context(ctx, data)
    call report(fdvjp_vjp_estimate(config_handle(cfg), c_funloc(real_trampoline), c_loc(ctx), x, &
                                   size(x, kind=c_size_t), size(v, kind=c_size_t), v, grad, err), &
                status, text)
    call note_overrun(ctx, status, text)
    if (present(errmsg)) errmsg = text
  end subroutine vjp_estimate

  ! out = J(x) u by Richardson extrapolation (1 + 14 evaluations), with an estimate of each
  ! entry's absolute error in err; out and err have m entries.
  subroutine jvp_estimate(f, x, u, out, err, status, data, cfg, errmsg)
    procedure(vector_function) :: f
    real(c_double), intent(in) :: x(:), u(:)
    real(c_double), intent(inout) :: out(:), err(:)
    integer, intent(out) :: status
    class(*), intent(inout), target, optional :: data
    type(config), intent(in), optional :: cfg
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    type(callback_context), target :: ctx
    if (size(u) /= size(x)) then
      call fail(FDVJP_LENGTH_MISMATCH, size_mismatch("jvp_estimate", "size(u)", size(u), "size(x)", size(x)), &
                status, text)
    else if (size(err) /= size(out)) then
      call fail(FDVJP_LENGTH_MISMATCH, size_mismatch("jvp_estimate", "size(err)", size(err), "size(out)", &
                                                     size(out)), status, text)
    else
      ctx%f => f
      call bind_context(ctx, data)
      call report(fdvjp_jvp_estimate(config_handle(cfg), c_funloc(real_trampoline), c_loc(ctx), x, &
                                     size(x, kind=c_size_t), size(out, kind=c_size_t), u, out, err), status, text)
      call note_overrun(ctx, status, text)
    end if
    if (present(errmsg)) errmsg = text
  end subroutine jvp_estimate

  ! out = J(x) u of a real-analytic f written with complex arithmetic, by complex step (one
  ! complex evaluation).
  subroutine jvp_complex_step(f, x, u, out, status, data, cfg, errmsg)
    procedure(complex_function) :: f
    real(c_double), intent(in) :: x(:), u(:)
    real(c_double), intent(inout) :: out(:)
    integer, intent(out) :: status
    class(*), intent(inout), target, optional :: data
    type(config), intent(in), optional :: cfg
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    type(callback_context), target :: ctx
    if (size(u) /= size(x)) then
      call fail(FDVJP_LENGTH_MISMATCH, size_mismatch("jvp_complex_step", "size(u)", size(u), "size(x)", size(x)), &
                status, text)
    else
      ctx%cf => f
      call bind_context(ctx, data)
      call report(fdvjp_jvp_complex_step(config_handle(cfg), c_funloc(complex_trampoline), c_loc(ctx), x, &
                                         size(x, kind=c_size_t), size(out, kind=c_size_t), u, out), status, text)
      call note_overrun(ctx, status, text)
    end if
    if (present(errmsg)) errmsg = text
  end subroutine jvp_complex_step

  ! jac(i, j) = df_i/dx_j by Richardson extrapolation, err(i, j) its estimated absolute
  ! error; both of shape (m, n).
  subroutine jacobian_estimate(f, x, jac, err, status, data, cfg, errmsg)
    procedure(vector_function) :: f
    real(c_double), intent(in) :: x(:)
    real(c_double), intent(inout) :: jac(:, :), err(:, :)
    integer, intent(out) :: status
    class(*), intent(inout), target, optional :: data
    type(config), intent(in), optional :: cfg
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    type(callback_context), target :: ctx
    real(c_double), allocatable :: flat(:), flat_err(:)
    if (size(jac, 2) /= size(x)) then
      call fail(FDVJP_LENGTH_MISMATCH, size_mismatch("jacobian_estimate", "size(jac, 2)", size(jac, 2), "size(x)", &
                                                     size(x)), status, text)
    else if (any(shape(err) /= shape(jac))) then
      call fail(FDVJP_LENGTH_MISMATCH, size_mismatch("jacobian_estimate", "size(err)", size(err), "size(jac)", &
                                                     size(jac)), status, text)
    else
      ctx%f => f
      call bind_context(ctx, data)
      allocate (flat(size(jac)), flat_err(size(jac)))
      call report(fdvjp_jacobian_estimate(config_handle(cfg), c_funloc(real_trampoline), c_loc(ctx), x, &
                                          size(x, kind=c_size_t), size(jac, 1, kind=c_size_t), flat, flat_err), &
                  status, text)
      call note_overrun(ctx, status, text)
      if (status == FDVJP_OK) then
        call from_jacobian_layout(flat, jac, cfg)
        call from_jacobian_layout(flat_err, err, cfg)
      end if
    end if
    if (present(errmsg)) errmsg = text
  end subroutine jacobian_estimate

  ! jac(i, j) = df_i/dx_j of a real-analytic f written with complex arithmetic, by complex
  ! step; jac of shape (m, n).
  subroutine jacobian_complex_step(f, x, jac, status, data, cfg, errmsg)
    procedure(complex_function) :: f
    real(c_double), intent(in) :: x(:)
    real(c_double), intent(inout) :: jac(:, :)
    integer, intent(out) :: status
    class(*), intent(inout), target, optional :: data
    type(config), intent(in), optional :: cfg
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    type(callback_context), target :: ctx
    real(c_double), allocatable :: flat(:)
    if (size(jac, 2) /= size(x)) then
      call fail(FDVJP_LENGTH_MISMATCH, size_mismatch("jacobian_complex_step", "size(jac, 2)", size(jac, 2), &
                                                     "size(x)", size(x)), status, text)
    else
      ctx%cf => f
      call bind_context(ctx, data)
      allocate (flat(size(jac)))
      call report(fdvjp_jacobian_complex_step(config_handle(cfg), c_funloc(complex_trampoline), c_loc(ctx), x, &
                                              size(x, kind=c_size_t), size(jac, 1, kind=c_size_t), flat), &
                  status, text)
      call note_overrun(ctx, status, text)
      if (status == FDVJP_OK) call from_jacobian_layout(flat, jac, cfg)
    end if
    if (present(errmsg)) errmsg = text
  end subroutine jacobian_complex_step

  ! grad = v^T J(x) of a real-analytic f written with complex arithmetic, by complex step.
  subroutine vjp_complex_step(f, x, v, grad, status, data, cfg, errmsg)
    procedure(complex_function) :: f
    real(c_double), intent(in) :: x(:), v(:)
    real(c_double), intent(inout) :: grad(:)
    integer, intent(out) :: status
    class(*), intent(inout), target, optional :: data
    type(config), intent(in), optional :: cfg
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    type(callback_context), target :: ctx
    if (size(grad) /= size(x)) then
      call fail(FDVJP_LENGTH_MISMATCH, size_mismatch("vjp_complex_step", "size(grad)", size(grad), "size(x)", size(x)), &
                status, text)
      if (present(errmsg)) errmsg = text
      return
    end if
    ctx%cf => f
    call bind_context(ctx, data)
    call report(fdvjp_vjp_complex_step(config_handle(cfg), c_funloc(complex_trampoline), c_loc(ctx), &
                                       x, size(x, kind=c_size_t), size(v, kind=c_size_t), v, grad), &
                status, text)
    call note_overrun(ctx, status, text)
    if (present(errmsg)) errmsg = text
  end subroutine vjp_complex_step

  ! The cotangent v of a complex f pulled back to z (ChainRules convention, see fdvjp.h).
  subroutine complex_vjp(f, z, v, grad, status, data, cfg, errmsg)
    procedure(complex_function) :: f
    complex(c_double_complex), intent(in) :: z(:), v(:)
    complex(c_double_complex), intent(inout) :: grad(:)
    integer, intent(out) :: status
    class(*), intent(inout), target, optional :: data
    type(config), intent(in), optional :: cfg
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    type(callback_context), target :: ctx
    real(c_double) :: zs(2 * size(z)), vs(2 * size(v)), gs(2 * size(z))
    if (size(grad) /= size(z)) then
      call fail(FDVJP_LENGTH_MISMATCH, size_mismatch("complex_vjp", "size(grad)", size(grad), "size(z)", size(z)), &
                status, text)
      if (present(errmsg)) errmsg = text
      return
    end if
    ctx%cf => f
    call bind_context(ctx, data)
    ! interleaved re/im doubles, the storage of complex(c_double_complex)
    zs = transfer(z, 1.0_c_double, 2 * size(z))
    vs = transfer(v, 1.0_c_double, 2 * size(v))
    call report(fdvjp_complex_vjp(config_handle(cfg), c_funloc(complex_trampoline), c_loc(ctx), zs, &
                                  size(z, kind=c_size_t), size(v, kind=c_size_t), vs, gs), status, text)
    call note_overrun(ctx, status, text)
    if (status == FDVJP_OK) grad = transfer(gs, grad, size(z))
    if (present(errmsg)) errmsg = text
  end subroutine complex_vjp

  ! out = A u + B conj(u), the pushforward of u by a complex f (A = df/dz, B = df/dconj(z);
  ! A u for holomorphic f); out has m entries.
  subroutine complex_jvp(f, z, u, out, status, data, cfg, errmsg)
    procedure(complex_function) :: f
    complex(c_double_complex), intent(in) :: z(:), u(:)
    complex(c_double_complex), intent(inout) :: out(:)
    integer, intent(out) :: status
    class(*), intent(inout), target, optional :: data
    type(config), intent(in), optional :: cfg
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    type(callback_context), target :: ctx
    real(c_double) :: zs(2 * size(z)), us(2 * size(u)), os(2 * size(out))
    if (size(u) /= size(z)) then
      call fail(FDVJP_LENGTH_MISMATCH, size_mismatch("complex_jvp", "size(u)", size(u), "size(z)", size(z)), &
                status, text)
    else
      ctx%cf => f
      call bind_context(ctx, data)
      zs = transfer(z, 1.0_c_double, 2 * size(z))
      us = transfer(u, 1.0_c_double, 2 * size(u))
      call report(fdvjp_complex_jvp(config_handle(cfg), c_funloc(complex_trampoline), c_loc(ctx), zs, &
                                    size(z, kind=c_size_t), size(out, kind=c_size_t), us, os), status, text)
      call note_overrun(ctx, status, text)
      if (status == FDVJP_OK) out = transfer(os, out, size(out))
    end if
    if (present(errmsg)) errmsg = text
  end subroutine complex_jvp

  ! The real (2m, 2n) Jacobian of a complex f on interleaved parts: rows 2i-1, 2i are
  ! Re f_i, Im f_i; columns 2j-1, 2j are Re z_j, Im z_j (see fdvjp_complex_jacobian).
  subroutine complex_jacobian(f, z, jac, status, data, cfg, errmsg)
    procedure(complex_function) :: f
    complex(c_double_complex), intent(in) :: z(:)
    real(c_double), intent(inout) :: jac(:, :)
    integer, intent(out) :: status
    class(*), intent(inout), target, optional :: data
    type(config), intent(in), optional :: cfg
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    type(callback_context), target :: ctx
    real(c_double) :: zs(2 * size(z))
    real(c_double), allocatable :: flat(:)
    if (size(jac, 2) /= 2 * size(z) .or. mod(size(jac, 1), 2) /= 0) then
      call fail(FDVJP_LENGTH_MISMATCH, size_mismatch("complex_jacobian", "size(jac, 2)", size(jac, 2), &
                                                     "2 size(z)", 2 * size(z)), status, text)
    else
      ctx%cf => f
      call bind_context(ctx, data)
      zs = transfer(z, 1.0_c_double, 2 * size(z))
      allocate (flat(size(jac)))
      call report(fdvjp_complex_jacobian(config_handle(cfg), c_funloc(complex_trampoline), c_loc(ctx), zs, &
                                         size(z, kind=c_size_t), size(jac, 1, kind=c_size_t) / 2, flat), &
                  status, text)
      call note_overrun(ctx, status, text)
      if (status == FDVJP_OK) call from_jacobian_layout(flat, jac, cfg)
    end if
    if (present(errmsg)) errmsg = text
  end subroutine complex_jacobian

  ! ------------------------------------------------------------------ tape

  subroutine ensure_tape(self)
    class(tape), intent(inout) :: self
    if (.not. c_associated(self%handle)) self%handle = fdvjp_tape_new()
  end subroutine ensure_tape

  ! A new context kept (at a fixed address) until the tape is finalized or cleared.
  function keep(self) result(ctx)
    class(tape), intent(inout) :: self
    type(callback_context), pointer :: ctx
    type(context_box), allocatable :: grown(:)
    if (.not. allocated(self%kept)) allocate (self%kept(4))
    if (self%nkept == size(self%kept)) then
      allocate (grown(2 * size(self%kept)))
      grown(1:self%nkept) = self%kept(1:self%nkept)
      call move_alloc(grown, self%kept)
    end if
    allocate (ctx)
    self%nkept = self%nkept + 1
    self%kept(self%nkept)%p => ctx
  end function keep

  ! Runs a recording call's status through report; out is set only on success.
  subroutine new_var(code, created, out, status, text)
    integer(c_int32_t), intent(in) :: code
    integer(fdvjp_var_kind), intent(in) :: created
    integer(fdvjp_var_kind), intent(inout) :: out
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out) :: text
    call report(code, status, text)
    if (status == FDVJP_OK) out = created
  end subroutine new_var

  ! A differentiable vector input.
  subroutine tape_input(self, x, out, status, errmsg)
    class(tape), intent(inout) :: self
    real(c_double), intent(in) :: x(:)
    integer(fdvjp_var_kind), intent(inout) :: out
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    integer(fdvjp_var_kind) :: created
    call ensure_tape(self)
    created = 0
    call new_var(fdvjp_tape_input(self%handle, x, size(x, kind=c_size_t), created), created, out, status, text)
    if (present(errmsg)) errmsg = text
  end subroutine tape_input

  ! A differentiable input of shape `shape` in C (row-major) order with the row-major data
  ! x (size(x) = product(shape); shape [integer ::] is a scalar). A Fortran array a(m, n)
  ! is, in memory, the row-major data of shape [n, m]: pass reshape(a, [size(a)]), [n, m].
  subroutine tape_input_shaped(self, x, shape, out, status, errmsg)
    class(tape), intent(inout) :: self
    real(c_double), intent(in) :: x(:)
    integer, intent(in) :: shape(:)
    integer(fdvjp_var_kind), intent(inout) :: out
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    integer(fdvjp_var_kind) :: created
    call ensure_tape(self)
    created = 0
    call new_var(fdvjp_tape_input_shaped(self%handle, x, int(shape, c_size_t), size(shape, kind=c_size_t), created), &
                 created, out, status, text)
    if (present(errmsg)) errmsg = text
  end subroutine tape_input_shaped

  ! A constant of shape `shape` (C order) with the row-major data x, as input_shaped.
  subroutine tape_constant_shaped(self, x, shape, out, status, errmsg)
    class(tape), intent(inout) :: self
    real(c_double), intent(in) :: x(:)
    integer, intent(in) :: shape(:)
    integer(fdvjp_var_kind), intent(inout) :: out
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    integer(fdvjp_var_kind) :: created
    call ensure_tape(self)
    created = 0
    call new_var(fdvjp_tape_constant_shaped(self%handle, x, int(shape, c_size_t), size(shape, kind=c_size_t), &
                                            created), created, out, status, text)
    if (present(errmsg)) errmsg = text
  end subroutine tape_constant_shaped

  ! out = a under the shape `shape` (C order, the same number of elements).
  subroutine tape_reshape(self, a, shape, out, status, errmsg)
    class(tape), intent(inout) :: self
    integer(fdvjp_var_kind), intent(in) :: a
    integer, intent(in) :: shape(:)
    integer(fdvjp_var_kind), intent(inout) :: out
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    integer(fdvjp_var_kind) :: created
    call ensure_tape(self)
    created = 0
    call new_var(fdvjp_tape_reshape(self%handle, a, int(shape, c_size_t), size(shape, kind=c_size_t), created), &
                 created, out, status, text)
    if (present(errmsg)) errmsg = text
  end subroutine tape_reshape

  ! A variable's number of dimensions (0 for a scalar).
  subroutine tape_ndim(self, v, ndim, status, errmsg)
    class(tape), intent(inout) :: self
    integer(fdvjp_var_kind), intent(in) :: v
    integer, intent(inout) :: ndim
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    integer(c_size_t) :: d
    call ensure_tape(self)
    d = 0
    call report(fdvjp_tape_ndim(self%handle, v, d), status, text)
    if (status == FDVJP_OK) ndim = int(d)
    if (present(errmsg)) errmsg = text
  end subroutine tape_ndim

  ! A variable's shape in C (row-major) order.
  subroutine tape_shape(self, v, shape, status, errmsg)
    class(tape), intent(inout) :: self
    integer(fdvjp_var_kind), intent(in) :: v
    integer, allocatable, intent(out) :: shape(:)
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    integer(c_size_t) :: d
    integer(c_size_t), allocatable :: dims(:)
    call ensure_tape(self)
    d = 0
    call report(fdvjp_tape_ndim(self%handle, v, d), status, text)
    allocate (dims(d))
    if (status == FDVJP_OK) call report(fdvjp_tape_shape(self%handle, v, dims, d), status, text)
    shape = int(dims)
    if (present(errmsg)) errmsg = text
  end subroutine tape_shape

  ! A constant vector (not differentiated).
  subroutine tape_constant(self, x, out, status, errmsg)
    class(tape), intent(inout) :: self
    real(c_double), intent(in) :: x(:)
    integer(fdvjp_var_kind), intent(inout) :: out
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    integer(fdvjp_var_kind) :: created
    call ensure_tape(self)
    created = 0
    call new_var(fdvjp_tape_constant(self%handle, x, size(x, kind=c_size_t), created), created, out, &
                 status, text)
    if (present(errmsg)) errmsg = text
  end subroutine tape_constant

  ! out = f(concatenated args) with m outputs, differentiated by finite differences.
  subroutine tape_call_function(self, f, args, m, out, status, data, cfg, errmsg)
    class(tape), intent(inout) :: self
    procedure(vector_function) :: f
    integer(fdvjp_var_kind), intent(in) :: args(:)
    integer, intent(in) :: m
    integer(fdvjp_var_kind), intent(inout) :: out
    integer, intent(out) :: status
    class(*), intent(inout), target, optional :: data
    type(config), intent(in), optional :: cfg
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    type(callback_context), pointer :: ctx
    integer(fdvjp_var_kind) :: created
    call ensure_tape(self)
    ctx => keep(self)
    ctx%f => f
    call bind_context(ctx, data)
    created = 0
    call new_var(fdvjp_tape_call(self%handle, config_handle(cfg), c_funloc(real_trampoline), c_loc(ctx), &
                                 args, size(args, kind=c_size_t), int(m, c_size_t), created), &
                 created, out, status, text)
    call note_overrun(ctx, status, text)
    if (present(errmsg)) errmsg = text
  end subroutine tape_call_function

  ! out = f(concatenated args) with a batch function: its forward is one call with one
  ! point, its Jacobian hands the perturbed points over up to cfg's batch size at a time.
  subroutine tape_call_batch(self, f, args, m, out, status, data, cfg, errmsg)
    class(tape), intent(inout) :: self
    procedure(batch_function) :: f
    integer(fdvjp_var_kind), intent(in) :: args(:)
    integer, intent(in) :: m
    integer(fdvjp_var_kind), intent(inout) :: out
    integer, intent(out) :: status
    class(*), intent(inout), target, optional :: data
    type(config), intent(in), optional :: cfg
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    type(callback_context), pointer :: ctx
    integer(fdvjp_var_kind) :: created
    call ensure_tape(self)
    ctx => keep(self)
    ctx%bf => f
    call bind_context(ctx, data)
    created = 0
    call new_var(fdvjp_tape_call_batch(self%handle, config_handle(cfg), c_funloc(batch_trampoline), c_loc(ctx), &
                                       args, size(args, kind=c_size_t), int(m, c_size_t), created), &
                 created, out, status, text)
    call note_overrun(ctx, status, text)
    if (present(errmsg)) errmsg = text
  end subroutine tape_call_batch

  ! out = f(concatenated args) with its adjoint (no finite differences).
  subroutine tape_call_vjp(self, f, adjoint, args, m, out, status, data, errmsg)
    class(tape), intent(inout) :: self
    procedure(vector_function) :: f
    procedure(adjoint_function) :: adjoint
    integer(fdvjp_var_kind), intent(in) :: args(:)
    integer, intent(in) :: m
    integer(fdvjp_var_kind), intent(inout) :: out
    integer, intent(out) :: status
    class(*), intent(inout), target, optional :: data
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    type(callback_context), pointer :: ctx
    integer(fdvjp_var_kind) :: created
    call ensure_tape(self)
    ctx => keep(self)
    ctx%f => f
    ctx%adjoint => adjoint
    call bind_context(ctx, data)
    created = 0
    call new_var(fdvjp_tape_call_vjp(self%handle, c_funloc(real_trampoline), c_funloc(adjoint_trampoline), &
                                     c_loc(ctx), args, size(args, kind=c_size_t), int(m, c_size_t), created), &
                 created, out, status, text)
    call note_overrun(ctx, status, text)
    if (present(errmsg)) errmsg = text
  end subroutine tape_call_vjp

  ! out = op(a) elementwise, op one of FDVJP_OP_NEG ... FDVJP_OP_SQUARE.
  subroutine tape_unary(self, op, a, out, status, errmsg)
    class(tape), intent(inout) :: self
    integer, intent(in) :: op
    integer(fdvjp_var_kind), intent(in) :: a
    integer(fdvjp_var_kind), intent(inout) :: out
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    integer(fdvjp_var_kind) :: created
    call ensure_tape(self)
    created = 0
    call new_var(fdvjp_tape_unary(self%handle, int(op, c_int32_t), a, created), created, out, status, text)
    if (present(errmsg)) errmsg = text
  end subroutine tape_unary

  ! out = a op b elementwise, op one of FDVJP_OP_ADD ... FDVJP_OP_POW.
  subroutine tape_binary(self, op, a, b, out, status, errmsg)
    class(tape), intent(inout) :: self
    integer, intent(in) :: op
    integer(fdvjp_var_kind), intent(in) :: a, b
    integer(fdvjp_var_kind), intent(inout) :: out
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    integer(fdvjp_var_kind) :: created
    call ensure_tape(self)
    created = 0
    call new_var(fdvjp_tape_binary(self%handle, int(op, c_int32_t), a, b, created), created, out, &
                 status, text)
    if (present(errmsg)) errmsg = text
  end subroutine tape_binary

  ! out = the reduction of a to a scalar, op one of FDVJP_REDUCE_SUM, _MEAN, _NORM2.
  subroutine tape_reduce(self, op, a, out, status, errmsg)
    class(tape), intent(inout) :: self
    integer, intent(in) :: op
    integer(fdvjp_var_kind), intent(in) :: a
    integer(fdvjp_var_kind), intent(inout) :: out
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    integer(fdvjp_var_kind) :: created
    call ensure_tape(self)
    created = 0
    call new_var(fdvjp_tape_reduce(self%handle, int(op, c_int32_t), a, created), created, out, status, text)
    if (present(errmsg)) errmsg = text
  end subroutine tape_reduce

  ! out = a**p elementwise.
  subroutine tape_pow(self, a, p, out, status, errmsg)
    class(tape), intent(inout) :: self
    integer(fdvjp_var_kind), intent(in) :: a
    real(c_double), intent(in) :: p
    integer(fdvjp_var_kind), intent(inout) :: out
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    integer(fdvjp_var_kind) :: created
    call ensure_tape(self)
    created = 0
    call new_var(fdvjp_tape_pow_scalar(self%handle, a, p, created), created, out, status, text)
    if (present(errmsg)) errmsg = text
  end subroutine tape_pow

  ! out = sum(a * b), a scalar.
  subroutine tape_dot(self, a, b, out, status, errmsg)
    class(tape), intent(inout) :: self
    integer(fdvjp_var_kind), intent(in) :: a, b
    integer(fdvjp_var_kind), intent(inout) :: out
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    integer(fdvjp_var_kind) :: created
    call ensure_tape(self)
    created = 0
    call new_var(fdvjp_tape_dot(self%handle, a, b, created), created, out, status, text)
    if (present(errmsg)) errmsg = text
  end subroutine tape_dot

  ! out = a b for a 2-D a of shape [m, k] (row-major on the tape) and b of [k] or [k, n].
  subroutine tape_matmul(self, a, b, out, status, errmsg)
    class(tape), intent(inout) :: self
    integer(fdvjp_var_kind), intent(in) :: a, b
    integer(fdvjp_var_kind), intent(inout) :: out
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    integer(fdvjp_var_kind) :: created
    call ensure_tape(self)
    created = 0
    call new_var(fdvjp_tape_matmul(self%handle, a, b, created), created, out, status, text)
    if (present(errmsg)) errmsg = text
  end subroutine tape_matmul

  ! out = elements first .. first + count - 1 (1-based) of the flattened a.
  subroutine tape_slice(self, a, first, count, out, status, errmsg)
    class(tape), intent(inout) :: self
    integer(fdvjp_var_kind), intent(in) :: a
    integer, intent(in) :: first, count
    integer(fdvjp_var_kind), intent(inout) :: out
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    integer(fdvjp_var_kind) :: created
    if (first < 1 .or. count < 0) then
      call fail(FDVJP_INVALID_ARGUMENT, "tape%slice: first must be >= 1 and count >= 0", status, text)
    else
      call ensure_tape(self)
      created = 0
      call new_var(fdvjp_tape_slice(self%handle, a, int(first - 1, c_size_t), int(count, c_size_t), created), &
                   created, out, status, text)
    end if
    if (present(errmsg)) errmsg = text
  end subroutine tape_slice

  ! out = the concatenation of the flattened vars.
  subroutine tape_concat(self, vars, out, status, errmsg)
    class(tape), intent(inout) :: self
    integer(fdvjp_var_kind), intent(in) :: vars(:)
    integer(fdvjp_var_kind), intent(inout) :: out
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    integer(fdvjp_var_kind) :: created
    call ensure_tape(self)
    created = 0
    call new_var(fdvjp_tape_concat(self%handle, vars, size(vars, kind=c_size_t), created), created, out, &
                 status, text)
    if (present(errmsg)) errmsg = text
  end subroutine tape_concat

  ! n = a variable's number of elements.
  subroutine tape_length(self, v, n, status, errmsg)
    class(tape), intent(inout) :: self
    integer(fdvjp_var_kind), intent(in) :: v
    integer, intent(inout) :: n
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    integer(c_size_t) :: length
    call ensure_tape(self)
    length = 0
    call report(fdvjp_tape_len(self%handle, v, length), status, text)
    if (status == FDVJP_OK) n = int(length)
    if (present(errmsg)) errmsg = text
  end subroutine tape_length

  ! A variable's value (flattened, row-major) into out (size = its number of elements).
  subroutine tape_value(self, v, out, status, errmsg)
    class(tape), intent(inout) :: self
    integer(fdvjp_var_kind), intent(in) :: v
    real(c_double), intent(inout) :: out(:)
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    call ensure_tape(self)
    call report(fdvjp_tape_value(self%handle, v, out, size(out, kind=c_size_t)), status, text)
    if (present(errmsg)) errmsg = text
  end subroutine tape_value

  ! Gradients of <seed, out> for every input; without seed, out must be a scalar.
  subroutine tape_backward(self, out, status, seed, errmsg)
    class(tape), intent(inout) :: self
    integer(fdvjp_var_kind), intent(in) :: out
    integer, intent(out) :: status
    real(c_double), intent(in), optional :: seed(:)
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    call ensure_tape(self)
    if (present(seed)) then
      call report(fdvjp_tape_backward(self%handle, out, seed, size(seed, kind=c_size_t)), status, text)
      call tape_note_overrun(self, status, text)
    else
      call report(fdvjp_tape_backward(self%handle, out, len=0_c_size_t), status, text)
      call tape_note_overrun(self, status, text)
    end if
    if (present(errmsg)) errmsg = text
  end subroutine tape_backward

  ! The last backward's gradient with respect to an input.
  subroutine tape_grad(self, input, out, status, errmsg)
    class(tape), intent(inout) :: self
    integer(fdvjp_var_kind), intent(in) :: input
    real(c_double), intent(inout) :: out(:)
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    call ensure_tape(self)
    call report(fdvjp_tape_grad(self%handle, input, out, size(out, kind=c_size_t)), status, text)
    if (present(errmsg)) errmsg = text
  end subroutine tape_grad

  ! New values for an input, for a replay with forward.
  subroutine tape_set_input(self, input, x, status, errmsg)
    class(tape), intent(inout) :: self
    integer(fdvjp_var_kind), intent(in) :: input
    real(c_double), intent(in) :: x(:)
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    call ensure_tape(self)
    call report(fdvjp_tape_set_input(self%handle, input, x, size(x, kind=c_size_t)), status, text)
    if (present(errmsg)) errmsg = text
  end subroutine tape_set_input

  ! Replays every node at the current inputs.
  subroutine tape_forward(self, status, errmsg)
    class(tape), intent(inout) :: self
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    call ensure_tape(self)
    call report(fdvjp_tape_forward(self%handle), status, text)
    call tape_note_overrun(self, status, text)
    if (present(errmsg)) errmsg = text
  end subroutine tape_forward

  ! Empties the tape; every variable issued so far becomes unknown.
  subroutine tape_clear(self, status, errmsg)
    class(tape), intent(inout) :: self
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out), optional :: errmsg
    character(len=:), allocatable :: text
    integer :: i
    call ensure_tape(self)
    call report(fdvjp_tape_clear(self%handle), status, text)
    if (present(errmsg)) errmsg = text
    if (status /= FDVJP_OK) return
    do i = 1, self%nkept
      deallocate (self%kept(i)%p)
    end do
    self%nkept = 0
  end subroutine tape_clear

  subroutine tape_final(self)
    type(tape), intent(inout) :: self
    integer :: i
    call fdvjp_tape_free(self%handle)  ! before the contexts it points to
    self%handle = c_null_ptr
    do i = 1, self%nkept
      deallocate (self%kept(i)%p)
    end do
    self%nkept = 0
  end subroutine tape_final

end module fdvjp

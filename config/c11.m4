# c11.m4: make sure the userspace C compiler accepts C11.
#
# VFIOGROUP_PROG_CC_C11
# ---------------------
# Call after AC_PROG_CC.  Autoconf 2.70+ already puts the compiler in C11
# mode when it can; this macro checks that a C11 program compiles as the
# compiler is now set up and, if not, tries -std=gnu11 then -std=c11 and
# appends the first that works to CC.  Fails when none does.

AC_DEFUN([_VFIOGROUP_C11_PROGRAM], [AC_LANG_PROGRAM([[
#include <stdalign.h>
#include <stdnoreturn.h>
#if !defined(__STDC_VERSION__) || __STDC_VERSION__ < 201112L
# error not C11
#endif
_Static_assert(sizeof(int) >= 2, "int too small");
struct vfg_c11 { int kind; union { int i; long l; }; };
static noreturn void vfg_stop(void) { for (;;) ; }
]], [[
struct vfg_c11 s = { .kind = 1, .i = 2 };
alignas(16) char buf[16];
(void)buf;
if (s.kind == 42) vfg_stop();
return _Generic(s.i, int: 0, default: 1) + (int)(alignof(long) == 0);
]])])

AC_DEFUN([VFIOGROUP_PROG_CC_C11], [
	AC_REQUIRE([AC_PROG_CC])
	AC_CACHE_CHECK([for $CC option to accept C11 (gnu11 or c11)],
		[vfiogroup_cv_prog_cc_c11], [
		vfiogroup_cv_prog_cc_c11=unsupported
		vfiogroup_save_CC=$CC
		for vfiogroup_opt in '' -std=gnu11 -std=c11; do
			CC="$vfiogroup_save_CC${vfiogroup_opt:+ $vfiogroup_opt}"
			AC_COMPILE_IFELSE([_VFIOGROUP_C11_PROGRAM], [
				AS_IF([test -z "$vfiogroup_opt"],
					[vfiogroup_cv_prog_cc_c11="none needed"],
					[vfiogroup_cv_prog_cc_c11=$vfiogroup_opt])
				break])
		done
		CC=$vfiogroup_save_CC
	])
	AS_CASE([$vfiogroup_cv_prog_cc_c11],
		[unsupported], [AC_MSG_ERROR([$CC does not accept C11, which vfiogroup needs (tried -std=gnu11 and -std=c11)])],
		["none needed"], [],
		[CC="$CC $vfiogroup_cv_prog_cc_c11"])
])

# kernel.m4: find the target kernel, probe its API, write kmod/vfiogroup_config.h.
#
# The layout follows the OpenZFS idea: every kernel API probe lives in its own
# config/kernel-*.m4 and defines two macros,
#
#   VFIOGROUP_AC_KERNEL_SRC_<NAME>   registers a tiny module source with
#                                    VFIOGROUP_LINUX_TEST_SRC;
#   VFIOGROUP_AC_KERNEL_<NAME>       reads the result with
#                                    VFIOGROUP_LINUX_TEST_RESULT[_DEFINE].
#
# All registered probes are compiled in ONE Kbuild run (each in its own
# subdirectory, make -k -jN), then the results are read back from which
# objects were built.  Results go into kmod/vfiogroup_config.h only (written
# by config.status, never into the userspace config.h).  docs/building.md
# explains how to add a probe.

# VFIOGROUP_AC_KERNEL
# -------------------
# Entry point, called once from configure.ac.
AC_DEFUN([VFIOGROUP_AC_KERNEL], [
	AC_ARG_ENABLE([kmod],
		[AS_HELP_STRING([--disable-kmod],
			[do not build the vfiogroup.ko kernel module (userspace only)])],
		[], [enable_kmod=yes])
	AS_CASE([$enable_kmod],
		[yes|no], [],
		[AC_MSG_ERROR([bad value '$enable_kmod' for --enable-kmod])])

	AC_ARG_VAR([KERNEL_CC],
		[C compiler for the kernel module and the probes (default: the
		 compiler the kernel was built with; gcc when that one is not
		 installed)])
	AC_ARG_VAR([KERNEL_MAKEFLAGS],
		[extra arguments for every Kbuild make, probes and module
		 (e.g. LLVM=1)])

	LINUX=
	LINUX_OBJ=
	KVER=
	kmoddir=
	AS_IF([test "x$enable_kmod" = xyes], [
		VFIOGROUP_AC_KERNEL_SRC
		VFIOGROUP_AC_KERNEL_CC
		VFIOGROUP_AC_KERNEL_KMODDIR
		VFIOGROUP_AC_KERNEL_PROBES
	])

	AM_CONDITIONAL([CONFIG_KMOD], [test "x$enable_kmod" = xyes])
	AC_SUBST([LINUX])
	AC_SUBST([LINUX_OBJ])
	AC_SUBST([KVER])
	AC_SUBST([kmoddir])

	_VFIOGROUP_KMOD_CONFIG_HEADER
])

# VFIOGROUP_AC_KERNEL_SRC
# -----------------------
# Sets LINUX (kernel source or headers), LINUX_OBJ (where Kbuild runs:
# make -C $LINUX_OBJ) and KVER (the release modules are built for).
AC_DEFUN([VFIOGROUP_AC_KERNEL_SRC], [
	AC_ARG_WITH([linux],
		[AS_HELP_STRING([--with-linux=DIR],
			[kernel source or headers directory
			 @<:@default: /lib/modules/`uname -r`/build, else the
			 newest /usr/src/linux-headers-*@:>@])],
		[kernelsrc=$withval], [kernelsrc=])
	AC_ARG_WITH([linux-obj],
		[AS_HELP_STRING([--with-linux-obj=DIR],
			[kernel build output directory, where Kbuild runs
			 @<:@default: the --with-linux directory@:>@])],
		[kernelbuild=$withval], [kernelbuild=])

	AS_CASE([$kernelsrc],
		[yes], [AC_MSG_ERROR([--with-linux needs a directory: --with-linux=DIR])],
		[no], [AC_MSG_ERROR([--without-linux: use --disable-kmod to build without the kernel module])])
	AS_CASE([$kernelbuild],
		[yes], [AC_MSG_ERROR([--with-linux-obj needs a directory: --with-linux-obj=DIR])],
		[no], [AC_MSG_ERROR([--without-linux-obj: use --disable-kmod to build without the kernel module])])

	AC_MSG_CHECKING([kernel source directory])
	AS_IF([test -n "$kernelsrc"], [
		AS_IF([test -d "$kernelsrc"], [], [
			AC_MSG_RESULT([not found])
			AC_MSG_ERROR([--with-linux=$kernelsrc: no such directory.
Point --with-linux at a kernel source or headers tree (the directory with
the kernel's Makefile), or use --disable-kmod to build userspace only.])
		])
		kernelsrc=`cd "$kernelsrc" && pwd`
		AS_IF([test -z "$kernelbuild"], [kernelbuild=$kernelsrc])
	], [test -n "$kernelbuild"], [
		dnl Only the build directory given: the source is found below,
		dnl as for the default build directory.
		:
	], [
		vfiogroup_uname_r=`uname -r 2>/dev/null`
		AS_IF([test -n "$vfiogroup_uname_r" && test -d "/lib/modules/$vfiogroup_uname_r/build"], [
			kernelbuild=/lib/modules/$vfiogroup_uname_r/build
		], [
			dnl Debian/Ubuntu: linux-headers-VER-ARCH is the build
			dnl directory, linux-headers-VER-common the source.
			for vfiogroup_d in `ls -d /usr/src/linux-headers-* 2>/dev/null | sort -V -r`; do
				AS_CASE([$vfiogroup_d], [*-common|*-common-rt], [continue])
				AS_IF([test -f "$vfiogroup_d/Makefile"], [
					kernelbuild=$vfiogroup_d
					vfiogroup_not_running=yes
					break
				])
			done
		])
		AS_IF([test -z "$kernelbuild"], [
			AC_MSG_RESULT([not found])
			AC_MSG_ERROR([no kernel headers found: neither
/lib/modules/$vfiogroup_uname_r/build nor a /usr/src/linux-headers-*
directory with a Makefile exists.  Install the headers for the target kernel
(Debian: linux-headers-amd64), or pass --with-linux=DIR, or use
--disable-kmod to build userspace only.])
		])
	])

	AS_IF([test -d "$kernelbuild"], [], [
		AC_MSG_RESULT([?])
		AC_MSG_ERROR([--with-linux-obj=$kernelbuild: no such directory])
	])
	kernelbuild=`cd "$kernelbuild" && pwd`

	dnl The source tree (informational: Kbuild finds it by itself):
	dnl /lib/modules/KVER/source, an O= build's "source" link, the tree
	dnl a Debian -ARCH headers Makefile includes, else the build dir.
	AS_IF([test -z "$kernelsrc"], [
		kernelsrc=$kernelbuild
		vfiogroup_modsrc=
		AS_CASE([$kernelbuild], [/lib/modules/*/build],
			[vfiogroup_modsrc=`dirname "$kernelbuild"`/source])
		AS_IF([test -n "$vfiogroup_modsrc" && test -d "$vfiogroup_modsrc"], [
			kernelsrc=`cd "$vfiogroup_modsrc" && pwd`
		], [test -d "$kernelbuild/source"], [
			kernelsrc=`cd "$kernelbuild/source" && pwd`
		], [
			vfiogroup_inc=`sed -n '1,5s/^include[[ 	]]*\(.*\)\/Makefile[[ 	]]*$/\1/p' "$kernelbuild/Makefile" 2>/dev/null | head -n 1`
			AS_IF([test -n "$vfiogroup_inc" && test -f "$vfiogroup_inc/Makefile"], [
				kernelsrc=$vfiogroup_inc
			])
		])
	])
	AC_MSG_RESULT([$kernelsrc])

	AC_MSG_CHECKING([kernel build directory])
	AC_MSG_RESULT([$kernelbuild])

	AS_IF([test -f "$kernelbuild/Makefile"], [], [
		AC_MSG_ERROR([$kernelbuild has no Makefile: it is not a kernel build or
headers directory.  Use --with-linux-obj=DIR for the build output directory.])
	])
	AS_IF([test -f "$kernelbuild/.config"], [], [
		AC_MSG_ERROR([$kernelbuild/.config is missing: the kernel tree is not
configured (run 'make olddefconfig modules_prepare' in it, or point
--with-linux-obj at the build output directory)])
	])

	dnl The release modules are built for: UTS_RELEASE is what goes into
	dnl the module's vermagic and names /lib/modules/KVER.  Debian's header
	dnl packages keep the upstream version (6.1.192) in
	dnl include/config/kernel.release but the ABI name (6.1.0-56-amd64) in
	dnl UTS_RELEASE, so UTS_RELEASE wins when both exist.
	AC_MSG_CHECKING([kernel release])
	vfiogroup_utsrelease=
	vfiogroup_kernel_release=
	AS_IF([test -f "$kernelbuild/include/generated/utsrelease.h"], [
		vfiogroup_utsrelease=`sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' "$kernelbuild/include/generated/utsrelease.h"`
	])
	AS_IF([test -f "$kernelbuild/include/config/kernel.release"], [
		vfiogroup_kernel_release=`cat "$kernelbuild/include/config/kernel.release"`
	])
	KVER=${vfiogroup_utsrelease:-$vfiogroup_kernel_release}
	AS_IF([test -z "$KVER"], [
		AC_MSG_RESULT([unknown])
		AC_MSG_ERROR([cannot tell the kernel release: neither
$kernelbuild/include/generated/utsrelease.h nor
$kernelbuild/include/config/kernel.release exists (run 'make modules_prepare'
in the kernel tree)])
	])
	AC_MSG_RESULT([$KVER])
	dnl The running kernel's headers are missing and another kernel's were
	dnl taken: say so, or the module lands in a /lib/modules nobody boots.
	AS_IF([test "x$vfiogroup_not_running" = xyes && test "x$KVER" != "x$vfiogroup_uname_r"], [
		AC_MSG_WARN([the running kernel is $vfiogroup_uname_r, but its headers
(/lib/modules/$vfiogroup_uname_r/build) are not installed: vfiogroup.ko is
built for $KVER (from $kernelbuild) and "make install" puts it under
/lib/modules/$KVER, where the running kernel will not load it.  Install
linux-headers-$vfiogroup_uname_r, or pass --with-linux=DIR to choose on purpose.])
	])
	AS_IF([test -n "$vfiogroup_utsrelease" && test -n "$vfiogroup_kernel_release" &&
	       test "x$vfiogroup_utsrelease" != "x$vfiogroup_kernel_release"], [
		AC_MSG_NOTICE([include/config/kernel.release says $vfiogroup_kernel_release, UTS_RELEASE (vermagic) says $vfiogroup_utsrelease: using $vfiogroup_utsrelease])
	])

	AS_IF([test -f "$kernelbuild/Module.symvers"], [], [
		AC_MSG_WARN([$kernelbuild/Module.symvers is missing: modpost cannot check the symbols vfiogroup.ko uses])
	])

	LINUX=$kernelsrc
	LINUX_OBJ=$kernelbuild
])

# VFIOGROUP_AC_KERNEL_CC
# ----------------------
# Kbuild uses the compiler named in the kernel's own makefiles (Debian's
# headers say gcc-10 for 5.10, gcc-12 for 6.1).  When that compiler is not
# installed and KERNEL_CC is unset, fall back to plain gcc: it is passed as
# CC=... to every Kbuild make.
AC_DEFUN([VFIOGROUP_AC_KERNEL_CC], [
	AC_MSG_CHECKING([for the kernel's C compiler])
	AS_IF([test -n "$KERNEL_CC"], [
		AC_MSG_RESULT([$KERNEL_CC (KERNEL_CC)])
	], [
		vfiogroup_kcc_text=`sed -n 's/^CONFIG_CC_VERSION_TEXT="\(.*\)"$/\1/p' "$LINUX_OBJ/.config"`
		vfiogroup_kcc=`echo "$vfiogroup_kcc_text" | sed 's/ .*//'`
		AS_CASE([$vfiogroup_kcc],
		[*gcc*], [
			AS_IF([command -v "$vfiogroup_kcc" >/dev/null 2>&1], [
				AC_MSG_RESULT([$vfiogroup_kcc])
			], [command -v gcc >/dev/null 2>&1], [
				KERNEL_CC=gcc
				vfiogroup_gcc_text=`gcc --version 2>/dev/null | sed -n 1p`
				AC_MSG_RESULT([$vfiogroup_kcc is not installed, using gcc])
				AC_MSG_WARN([$LINUX_OBJ was built with "$vfiogroup_kcc_text"; building with "$vfiogroup_gcc_text" instead (set KERNEL_CC to choose)])
			], [
				AC_MSG_RESULT([$vfiogroup_kcc is not installed])
				AC_MSG_ERROR([the kernel was built with $vfiogroup_kcc, which is not installed, and gcc is not found either: install it or set KERNEL_CC])
			])
		],
		[AC_MSG_RESULT([the kernel's default${vfiogroup_kcc_text:+ ($vfiogroup_kcc_text)}])])
	])
])

# VFIOGROUP_AC_KERNEL_KMODDIR
# ---------------------------
# Where "make install" puts vfiogroup.ko (always below $(DESTDIR)).
AC_DEFUN([VFIOGROUP_AC_KERNEL_KMODDIR], [
	AC_ARG_WITH([kmoddir],
		[AS_HELP_STRING([--with-kmoddir=DIR],
			[install vfiogroup.ko into DIR
			 @<:@default: /lib/modules/KVER/updates@:>@])],
		[kmoddir=$withval], [kmoddir=])
	AS_CASE([$kmoddir],
		[""|yes], [kmoddir="/lib/modules/$KVER/updates"],
		[no], [AC_MSG_ERROR([--without-kmoddir: use --disable-kmod to skip the module])])
	AC_MSG_CHECKING([where to install vfiogroup.ko])
	AC_MSG_RESULT([$kmoddir])
	AC_PATH_PROG([DEPMOD], [depmod], [], [$PATH$PATH_SEPARATOR/sbin$PATH_SEPARATOR/usr/sbin])
])

# VFIOGROUP_AC_KERNEL_PROBES
# --------------------------
# The list of probes.  To add one: write config/kernel-foo.m4 with
# VFIOGROUP_AC_KERNEL_SRC_FOO and VFIOGROUP_AC_KERNEL_FOO, then add one line
# to each of the two lists below.
AC_DEFUN([VFIOGROUP_AC_KERNEL_PROBES], [
	VFIOGROUP_LINUX_TEST_INIT

	VFIOGROUP_AC_KERNEL_SRC_IOMMU_GROUP_NOTIFIER
	VFIOGROUP_AC_KERNEL_SRC_DRIVER_MANAGED_DMA
	VFIOGROUP_AC_KERNEL_SRC_CONST_BUS_API
	VFIOGROUP_AC_KERNEL_SRC_GENL_SPLIT_OPS
	VFIOGROUP_AC_KERNEL_SRC_VFIO_DEVICE_CLASS
	VFIOGROUP_AC_KERNEL_SRC_IOMMU_DMA_OWNER

	VFIOGROUP_LINUX_TEST_COMPILE_ALL

	VFIOGROUP_AC_KERNEL_IOMMU_GROUP_NOTIFIER
	VFIOGROUP_AC_KERNEL_DRIVER_MANAGED_DMA
	VFIOGROUP_AC_KERNEL_CONST_BUS_API
	VFIOGROUP_AC_KERNEL_GENL_SPLIT_OPS
	VFIOGROUP_AC_KERNEL_VFIO_DEVICE_CLASS
	VFIOGROUP_AC_KERNEL_IOMMU_DMA_OWNER

	VFIOGROUP_LINUX_TEST_FINISH
])

# ---------------------------------------------------------------------------
# Probe machinery
# ---------------------------------------------------------------------------

# VFIOGROUP_LINUX_TEST_INIT
# -------------------------
# Start a fresh probe tree.  It is named conftest.* so configure's exit trap
# removes it; the sources of failed probes and the Kbuild output are copied
# into config.log.
AC_DEFUN([VFIOGROUP_LINUX_TEST_INIT], [
	vfiogroup_ktest_dir=`pwd`/conftest.kmod.dir
	rm -rf "$vfiogroup_ktest_dir"
	AS_MKDIR_P(["$vfiogroup_ktest_dir"])
	vfiogroup_ktest_list=
	vfiogroup_ktest_count=0
	dnl The sanity probe: an empty module must build, or nothing can.
	VFIOGROUP_LINUX_TEST_SRC([vfiogroup_sanity], [[]], [[]])
])

# VFIOGROUP_LINUX_TEST_SRC(NAME, GLOBALS, BODY, [CCFLAGS])
# --------------------------------------------------------
# Register probe NAME (a C identifier, unique): a module whose file scope
# holds GLOBALS (includes, declarations) and whose init function holds BODY
# (declarations first: the kernel builds with -Wdeclaration-after-statement).
# Probes are built with CCFLAGS plus the -Werror= flags below, so a
# mismatched prototype or an implicit declaration counts as "no", while a
# stray warning from the kernel's own headers (older kernel, newer gcc) does
# not turn a probe into a false "no".  Quote code with [[ ]].
AC_DEFUN([VFIOGROUP_LINUX_TEST_SRC], [
	AS_MKDIR_P(["$vfiogroup_ktest_dir/$1"])
	cat > "$vfiogroup_ktest_dir/$1/$1.c" <<'_VFIOGROUP_EOF'
/* vfiogroup configure probe: $1 */
#include <linux/module.h>
#include <linux/init.h>
$2

static int __init $1_init(void)
{
$3
	return 0;
}
module_init($1_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfiogroup configure probe $1");
_VFIOGROUP_EOF
	cat > "$vfiogroup_ktest_dir/$1/Kbuild" <<'_VFIOGROUP_EOF'
obj-m := $1.o
ccflags-y := -Werror=incompatible-pointer-types -Werror=implicit-function-declaration -Werror=int-conversion -Werror=return-type $4
_VFIOGROUP_EOF
	vfiogroup_ktest_list="$vfiogroup_ktest_list $1/"
	vfiogroup_ktest_count=`expr $vfiogroup_ktest_count + 1`
])

# VFIOGROUP_LINUX_TEST_COMPILE_ALL
# --------------------------------
# Build every registered probe in one "make -k -jN modules" run.
AC_DEFUN([VFIOGROUP_LINUX_TEST_COMPILE_ALL], [
	echo "obj-m := $vfiogroup_ktest_list" > "$vfiogroup_ktest_dir/Kbuild"
	vfiogroup_ktest_jobs=`getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1`
	AC_MSG_CHECKING([whether a module builds against $KVER ($vfiogroup_ktest_count probes in one Kbuild run)])
	dnl No MAKEFLAGS from a calling make (config.status --recheck, distcheck):
	dnl its command-line variables must not reach Kbuild.
	vfiogroup_ktest_cmd="${MAKE-make} -k -j$vfiogroup_ktest_jobs -C $LINUX_OBJ M=$vfiogroup_ktest_dir${KERNEL_CC:+ CC=$KERNEL_CC} $KERNEL_MAKEFLAGS modules"
	echo "$as_me:$LINENO: $vfiogroup_ktest_cmd" >&AS_MESSAGE_LOG_FD
	(
		unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
		${MAKE-make} -k -j$vfiogroup_ktest_jobs -C "$LINUX_OBJ" \
			M="$vfiogroup_ktest_dir" \
			${KERNEL_CC:+CC="$KERNEL_CC"} $KERNEL_MAKEFLAGS modules
	) > "$vfiogroup_ktest_dir/build.log" 2>&1
	cat "$vfiogroup_ktest_dir/build.log" >&AS_MESSAGE_LOG_FD
	VFIOGROUP_LINUX_TEST_RESULT([vfiogroup_sanity], [
		AC_MSG_RESULT([yes])
	], [
		AC_MSG_RESULT([no])
		{
			grep -v '^make\(@<:@@<:@0-9@:>@*@:>@\)*: ' "$vfiogroup_ktest_dir/build.log" | grep -v '^ *CC \|^ *LD ' | head -n 20
			grep 'vfiogroup_sanity' "$vfiogroup_ktest_dir/build.log" | head -n 3
		} >&2
		AC_MSG_ERROR([cannot build even an empty module against $LINUX_OBJ
(command: $vfiogroup_ktest_cmd; full output in config.log).
Check the kernel headers, KERNEL_CC and KERNEL_MAKEFLAGS, or use --disable-kmod.])
	])
])

# VFIOGROUP_LINUX_TEST_RESULT(NAME, [IF-BUILT], [IF-NOT-BUILT])
# -------------------------------------------------------------
AC_DEFUN([VFIOGROUP_LINUX_TEST_RESULT], [
	AS_IF([test -f "$vfiogroup_ktest_dir/$1/$1.o"], [$2], [
		{
			echo "$as_me: failed kernel probe $1 was:"
			sed 's/^/| /' "$vfiogroup_ktest_dir/$1/$1.c"
		} >&AS_MESSAGE_LOG_FD
		$3
	])
])

# VFIOGROUP_LINUX_TEST_RESULT_DEFINE(NAME, SYMBOL, DESCRIPTION)
# -------------------------------------------------------------
# Print yes/no for the pending AC_MSG_CHECKING, and "#define SYMBOL 1" in
# kmod/vfiogroup_config.h when probe NAME built ("/* #undef SYMBOL */" if not).
AC_DEFUN([VFIOGROUP_LINUX_TEST_RESULT_DEFINE], [
	VFIOGROUP_KMOD_TEMPLATE([$2], [$3])
	VFIOGROUP_LINUX_TEST_RESULT([$1], [
		AC_MSG_RESULT([yes])
		VFIOGROUP_KMOD_DEFINE([$2])
	], [
		AC_MSG_RESULT([no])
	])
])

# VFIOGROUP_LINUX_TEST_FINISH
# ---------------------------
AC_DEFUN([VFIOGROUP_LINUX_TEST_FINISH], [
	rm -rf "$vfiogroup_ktest_dir"
])

# ---------------------------------------------------------------------------
# kmod/vfiogroup_config.h
# ---------------------------------------------------------------------------

# VFIOGROUP_KMOD_TEMPLATE(SYMBOL, DESCRIPTION)
# --------------------------------------------
# Declare SYMBOL as a line of kmod/vfiogroup_config.h (undefined unless
# VFIOGROUP_KMOD_DEFINE sets it).  DESCRIPTION becomes its comment.
AC_DEFUN([VFIOGROUP_KMOD_TEMPLATE], [
	m4_ifdef([_VFIOGROUP_KMOD_DESC_$1], [],
		[m4_append([_VFIOGROUP_KMOD_SYMS], [$1], [ ])])
	m4_define([_VFIOGROUP_KMOD_DESC_$1], [$2])
	vfiogroup_kmod_$1=${vfiogroup_kmod_$1-0}
])

# VFIOGROUP_KMOD_DEFINE(SYMBOL)
# -----------------------------
AC_DEFUN([VFIOGROUP_KMOD_DEFINE], [vfiogroup_kmod_$1=1])

# _VFIOGROUP_KMOD_CONFIG_HEADER
# -----------------------------
# config.status writes kmod/vfiogroup_config.h from the recorded results and
# leaves it untouched (no module rebuild) when nothing changed.
AC_DEFUN([_VFIOGROUP_KMOD_CONFIG_HEADER], [
	AC_CONFIG_COMMANDS([kmod/vfiogroup_config.h], [
	if test "x$vfiogroup_enable_kmod" = xyes; then
		vfiogroup_hdr=kmod/vfiogroup_config.h
		{
			cat <<'_VFIOGROUP_EOF'
/* kmod/vfiogroup_config.h.  Generated by configure from the kernel probes
 * in config/kernel-*.m4; do not edit.  Userspace uses config.h, not this. */
#ifndef VFIOGROUP_CONFIG_H
#define VFIOGROUP_CONFIG_H
_VFIOGROUP_EOF
			echo "/* Probed against: $vfiogroup_kver ($vfiogroup_linux_obj) */"
			echo ""
			echo "/* The package version: MODULE_VERSION() and VFIOGROUP_A_INFO_VERSION. */"
			echo "@%:@define VFIOGROUP_VERSION \"$vfiogroup_version\""
m4_foreach_w([_vfg_sym], m4_defn([_VFIOGROUP_KMOD_SYMS]), [
			cat <<'_VFIOGROUP_EOF'

/* m4_defn([_VFIOGROUP_KMOD_DESC_]_vfg_sym) */
_VFIOGROUP_EOF
			if test "x$vfiogroup_kmod_[]_vfg_sym" = x1; then
				echo "@%:@define _vfg_sym 1"
			else
				echo "/* @%:@undef _vfg_sym */"
			fi
])
			cat <<'_VFIOGROUP_EOF'

#endif /* VFIOGROUP_CONFIG_H */
_VFIOGROUP_EOF
		} > "$vfiogroup_hdr.tmp"
		if cmp -s "$vfiogroup_hdr.tmp" "$vfiogroup_hdr"; then
			AC_MSG_NOTICE([$vfiogroup_hdr is unchanged])
			rm -f "$vfiogroup_hdr.tmp"
		else
			mv -f "$vfiogroup_hdr.tmp" "$vfiogroup_hdr"
		fi
	fi
	], [
	vfiogroup_enable_kmod='$enable_kmod'
	vfiogroup_version='$PACKAGE_VERSION'
	vfiogroup_kver='$KVER'
	vfiogroup_linux_obj='$LINUX_OBJ'
m4_foreach_w([_vfg_sym], m4_defn([_VFIOGROUP_KMOD_SYMS]), [
	vfiogroup_kmod_[]_vfg_sym='$vfiogroup_kmod_[]_vfg_sym'
])
	])
])

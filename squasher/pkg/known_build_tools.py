"""The known build tools: one list of package-name patterns for apt, apk and dnf, kept here and
nowhere else, and the runtime packages whose names only look like build tools."""

from __future__ import annotations

from fnmatch import fnmatchcase

# (pattern, what it is). fnmatch patterns over package names, the ":arch" suffix removed.
# One list for apt, apk and dnf names; kept here and nowhere else.
BUILD_TOOLS: tuple[tuple[str, str], ...] = (
    # compiler meta-packages
    ("build-essential", "Debian compiler meta-package"),
    ("build-base", "Alpine compiler meta-package"),
    ("alpine-sdk", "Alpine SDK meta-package"),
    ("@development-tools", "dnf development group"),
    ("@development tools", "dnf development group"),
    # compilers and their drivers
    ("gcc", "C compiler"),
    ("gcc-[0-9]*", "C compiler"),
    ("g++", "C++ compiler"),
    ("g++-[0-9]*", "C++ compiler"),
    ("gcc-c++", "C++ compiler"),
    ("c++", "C++ compiler"),
    ("cpp", "C preprocessor"),
    ("cpp-[0-9]*", "C preprocessor"),
    ("clang", "C compiler"),
    ("clang-[0-9]*", "C compiler"),
    ("llvm", "compiler toolchain"),
    ("llvm-[0-9]*", "compiler toolchain"),
    ("lld", "linker"),
    ("lld-[0-9]*", "linker"),
    ("binutils", "assembler and linker"),
    ("binutils-*", "assembler and linker"),
    ("gfortran", "Fortran compiler"),
    ("gfortran-[0-9]*", "Fortran compiler"),
    ("rustc", "Rust compiler"),
    ("cargo", "Rust build tool"),
    ("golang", "Go compiler"),
    ("golang-[0-9]*", "Go compiler"),
    ("golang-go", "Go compiler"),
    ("nasm", "assembler"),
    ("yasm", "assembler"),
    ("cython", "Cython compiler"),
    ("cython3", "Cython compiler"),
    # build systems
    ("make", "build tool"),
    ("cmake", "build tool"),
    ("cmake-data", "build tool"),
    ("ninja-build", "build tool"),
    ("samurai", "build tool"),
    ("meson", "build tool"),
    ("scons", "build tool"),
    ("autoconf", "autotools"),
    ("automake", "autotools"),
    ("autotools-dev", "autotools"),
    ("autopoint", "autotools"),
    ("libtool", "autotools"),
    ("libtool-bin", "autotools"),
    ("m4", "macro processor for autotools"),
    ("pkg-config", "build flags tool"),
    ("pkgconf", "build flags tool"),
    ("pkgconf-pkg-config", "build flags tool"),
    ("pkgconfig", "build flags tool"),
    # parser generators and code tools
    ("bison", "parser generator"),
    ("byacc", "parser generator"),
    ("flex", "scanner generator"),
    ("re2c", "scanner generator"),
    ("gperf", "hash generator"),
    ("swig", "wrapper generator"),
    # packaging tools
    ("dpkg-dev", "Debian packaging tools"),
    ("debhelper", "Debian packaging tools"),
    ("fakeroot", "packaging tool"),
    ("abuild", "Alpine packaging tools"),
    ("rpm-build", "rpm packaging tools"),
    ("redhat-rpm-config", "rpm packaging tools"),
    # pip, git and the download tools are runtime tools (squasher.pkg.runtime): purged only when
    # nothing the image runs names them
    # headers and development files
    ("*-dev", "development files (*-dev)"),
    ("*-dev-*", "development files (*-dev-*)"),
    ("*-devel", "development files (*-devel)"),
    ("*-headers", "kernel or library headers"),
    ("linux-headers-*", "kernel headers"),
)

# runtime packages whose names look like build tools
NOT_BUILD_TOOLS: tuple[str, ...] = (
    "gcc-*-base",  # libgcc-s1's base package
    "cpp-*-base",
    "binutils-common",  # needed by libbinutils users at run time
    "libgcc*",
    "libstdc++*",
    "make-guile",  # a make variant some scripts run
)


def build_tool(package: str) -> str | None:
    """What the build-tool list says ``package`` is ("C compiler"), or None when not listed."""
    name = package.split(":", 1)[0].lower()
    if any(fnmatchcase(name, p) for p in NOT_BUILD_TOOLS):
        return None
    for pattern, what in BUILD_TOOLS:
        if fnmatchcase(name, pattern):
            return what if pattern == name else f"{what}, matches {pattern}"
    return None

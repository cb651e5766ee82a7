# SPDX-License-Identifier: GPL-2.0-only
# Finds scx_gamer's dependencies: from the system (Arch/CachyOS have them all), plus, only when
# asked for, the prefix into which scripts/bootstrap builds libbpf >= 1.5, sdbus-c++ 2.x, toml11
# 4.x and bpftool on Debian 12. Asking means -DSCX_GAMER_PREFIX=DIR or the environment variable
# SCX_GAMER_PREFIX (scripts/lib/common.sh's export_prefix_env sets it for the project's scripts).
# The prefix is never found by looking in ~/.cache: a package build sees the system only.
set(SCX_GAMER_PREFIX "$ENV{SCX_GAMER_PREFIX}" CACHE PATH
    "Prefix holding libraries built by scripts/bootstrap (empty: the system's only)")
# A tree first configured without the prefix would otherwise keep the empty value forever, and
# find the libraries through PKG_CONFIG_PATH but not bpftool for the VM tests' PATH.
if(NOT SCX_GAMER_PREFIX AND NOT "$ENV{SCX_GAMER_PREFIX}" STREQUAL "")
    set(SCX_GAMER_PREFIX "$ENV{SCX_GAMER_PREFIX}" CACHE PATH
        "Prefix holding libraries built by scripts/bootstrap (empty: the system's only)" FORCE)
endif()
if(SCX_GAMER_PREFIX)
    if(NOT IS_DIRECTORY "${SCX_GAMER_PREFIX}")
        message(FATAL_ERROR "SCX_GAMER_PREFIX=${SCX_GAMER_PREFIX} is not a directory: run "
                            "scripts/bootstrap first, or leave SCX_GAMER_PREFIX empty")
    endif()
    message(STATUS "Libraries from SCX_GAMER_PREFIX=${SCX_GAMER_PREFIX} first")
    list(PREPEND CMAKE_PREFIX_PATH ${SCX_GAMER_PREFIX})
    set(ENV{PKG_CONFIG_PATH} "${SCX_GAMER_PREFIX}/lib/pkgconfig:$ENV{PKG_CONFIG_PATH}")
endif()
# One string (set() with several arguments would make a list, printed with ';' between parts).
string(CONCAT _scx_prefix_hint
    "On Debian 12, scripts/bootstrap builds it into ~/.cache/scx_gamer/prefix; "
    "use that with `source scripts/lib/common.sh && export_prefix_env` before configuring "
    "(or -DSCX_GAMER_PREFIX=DIR)")

find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBBPF IMPORTED_TARGET libbpf>=1.5)
if(NOT LIBBPF_FOUND)
    message(FATAL_ERROR "libbpf >= 1.5 not found. ${_scx_prefix_hint}")
endif()
pkg_check_modules(LIBELF REQUIRED IMPORTED_TARGET libelf)
pkg_check_modules(ZLIB REQUIRED IMPORTED_TARGET zlib)
pkg_check_modules(LIBSYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
# A static sdbus-c++ links its users against PkgConfig::Systemd without defining that target.
pkg_check_modules(Systemd REQUIRED IMPORTED_TARGET GLOBAL libsystemd)
find_package(sdbus-c++ 2.0 QUIET)
find_package(toml11 4.0 QUIET)
if(NOT sdbus-c++_FOUND OR NOT toml11_FOUND)
    message(FATAL_ERROR "sdbus-c++ 2.x and toml11 4.x are needed (found: sdbus-c++ "
                        "'${sdbus-c++_VERSION}', toml11 '${toml11_VERSION}'). ${_scx_prefix_hint}")
endif()
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 2.1 REQUIRED)
find_package(Threads REQUIRED)

# libbpf is linked statically (the Debian 12 build is static-only) so the daemon is one binary.
add_library(scx_libbpf INTERFACE)
target_include_directories(scx_libbpf INTERFACE ${LIBBPF_INCLUDE_DIRS})
find_library(LIBBPF_STATIC NAMES libbpf.a HINTS ${LIBBPF_LIBRARY_DIRS} NO_DEFAULT_PATH)
if(LIBBPF_STATIC)
    target_link_libraries(scx_libbpf INTERFACE ${LIBBPF_STATIC} PkgConfig::LIBELF PkgConfig::ZLIB)
else()
    target_link_libraries(scx_libbpf INTERFACE PkgConfig::LIBBPF)
endif()

find_program(BPF_CLANG NAMES clang-19 clang REQUIRED)
set(_scx_hints)
if(SCX_GAMER_PREFIX)
    set(_scx_hints HINTS ${SCX_GAMER_PREFIX}/sbin ${SCX_GAMER_PREFIX}/bin)
endif()
find_program(BPFTOOL NAMES bpftool ${_scx_hints} REQUIRED)
find_program(SDBUS_XML2CPP NAMES sdbus-c++-xml2cpp ${_scx_hints} REQUIRED)

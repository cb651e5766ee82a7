# SPDX-License-Identifier: GPL-2.0-only
# Where `cmake --install` puts scx_gamer's files. The usual directories come from GNUInstallDirs;
# the system integration directories (systemd units, D-Bus policy and activation files, polkit
# actions) are asked from pkg-config (systemd.pc, dbus-1.pc, polkit-gobject-1.pc) with the prefix
# redefined to ours. A directory pkg-config does not know, or one outside CMAKE_INSTALL_PREFIX
# (Debian 12's systemd.pc says /lib/systemd/system), falls back to its usual place under the
# prefix, so an install never writes outside it. Each result is a cache variable a packager may
# set, relative to the prefix like CMAKE_INSTALL_BINDIR (an absolute value is used as given).
#
# The units name CMAKE_INSTALL_FULL_BINDIR: configure with the prefix you install to (packages and
# the default preset use /usr; INSTALL.sh refuses a build configured for anything else).
include(GNUInstallDirs)
find_package(PkgConfig REQUIRED)

# scx_gamer_install_dir(VAR DOC FALLBACK MODULE PC_VARIABLE [SUFFIX]): sets the cache variable VAR
# to pkg-config's MODULE PC_VARIABLE (plus SUFFIX) made relative to the prefix, or to FALLBACK.
function(scx_gamer_install_dir var doc fallback module pc_variable)
    set(suffix "${ARGN}")
    if(DEFINED CACHE{${var}})
        return()
    endif()
    set(value ${fallback})
    set(source "fallback")
    execute_process(
        COMMAND ${PKG_CONFIG_EXECUTABLE} --variable=${pc_variable}
                --define-variable=prefix=${CMAKE_INSTALL_PREFIX} ${module}
        OUTPUT_VARIABLE found OUTPUT_STRIP_TRAILING_WHITESPACE
        RESULT_VARIABLE status ERROR_QUIET)
    if(status EQUAL 0 AND found MATCHES "^/")
        set(found "${found}${suffix}")
        cmake_path(IS_PREFIX CMAKE_INSTALL_PREFIX "${found}" NORMALIZE under_prefix)
        if(under_prefix AND NOT CMAKE_INSTALL_PREFIX STREQUAL found)
            file(RELATIVE_PATH value ${CMAKE_INSTALL_PREFIX} ${found})
            set(source "${module}.pc")
        else()
            set(source "fallback: ${module}.pc says ${found}, outside ${CMAKE_INSTALL_PREFIX}")
        endif()
    endif()
    set(${var} ${value} CACHE PATH "${doc}")
    message(STATUS "${var}: ${value} (${source})")
endfunction()

scx_gamer_install_dir(SCX_GAMER_SYSTEMD_SYSTEM_UNIT_DIR "systemd system units"
                      lib/systemd/system systemd systemd_system_unit_dir)
scx_gamer_install_dir(SCX_GAMER_SYSTEMD_USER_UNIT_DIR "systemd user units"
                      lib/systemd/user systemd systemd_user_unit_dir)
scx_gamer_install_dir(SCX_GAMER_DBUS_SYSTEM_POLICY_DIR "D-Bus system bus policies"
                      ${CMAKE_INSTALL_DATADIR}/dbus-1/system.d dbus-1 datadir /dbus-1/system.d)
scx_gamer_install_dir(SCX_GAMER_DBUS_SYSTEM_SERVICES_DIR "D-Bus system bus activation files"
                      ${CMAKE_INSTALL_DATADIR}/dbus-1/system-services dbus-1
                      system_bus_services_dir)
scx_gamer_install_dir(SCX_GAMER_DBUS_INTERFACES_DIR "D-Bus interface descriptions"
                      ${CMAKE_INSTALL_DATADIR}/dbus-1/interfaces dbus-1 interfaces_dir)
scx_gamer_install_dir(SCX_GAMER_POLKIT_ACTIONS_DIR "polkit actions"
                      ${CMAKE_INSTALL_DATADIR}/polkit-1/actions polkit-gobject-1 policydir)
# Where bash-completion, zsh and fish look for completions that packages ship.
scx_gamer_install_dir(SCX_GAMER_BASH_COMPLETION_DIR "bash completions"
                      ${CMAKE_INSTALL_DATADIR}/bash-completion/completions bash-completion
                      completionsdir)
set(SCX_GAMER_ZSH_COMPLETION_DIR ${CMAKE_INSTALL_DATADIR}/zsh/site-functions
    CACHE PATH "zsh completions")
set(SCX_GAMER_FISH_COMPLETION_DIR ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d
    CACHE PATH "fish completions")

# scx_gamer_configure_unit(SOURCE OUTPUT_VAR): SOURCE (systemd/NAME.in or dbus/NAME.in) configured
# into the build tree with the real paths (@CMAKE_INSTALL_FULL_BINDIR@); OUTPUT_VAR names it.
function(scx_gamer_configure_unit source output_var)
    get_filename_component(name ${source} NAME_WLE)
    get_filename_component(dir ${source} DIRECTORY)
    get_filename_component(dir ${dir} NAME)
    set(output ${PROJECT_BINARY_DIR}/${dir}/${name})
    configure_file(${PROJECT_SOURCE_DIR}/${source} ${output} @ONLY)
    set(${output_var} ${output} PARENT_SCOPE)
endfunction()

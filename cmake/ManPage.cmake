# SPDX-License-Identifier: GPL-2.0-only
# add_man_page(NAME SECTION): builds docs/man/NAME.SECTION.scd with scdoc into build/man and
# installs it to share/man/manSECTION. The man pages are the one place the commands' options are
# described in prose; a test checks them against the flag table and --help.
include(GNUInstallDirs)

find_program(SCDOC scdoc)
set(SCX_GAMER_SCDOC_RUNNER ${CMAKE_CURRENT_LIST_DIR}/RunScdoc.cmake)

function(add_man_page NAME SECTION)
    set(source ${PROJECT_SOURCE_DIR}/docs/man/${NAME}.${SECTION}.scd)
    set(page ${CMAKE_BINARY_DIR}/man/${NAME}.${SECTION})
    if(NOT SCDOC)
        message(WARNING "scdoc not found: the ${NAME}(${SECTION}) man page is not built")
        return()
    endif()
    add_custom_command(
        OUTPUT ${page}
        COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
        COMMAND ${CMAKE_COMMAND} -D SCDOC=${SCDOC} -D INPUT=${source} -D OUTPUT=${page}
                -P ${SCX_GAMER_SCDOC_RUNNER}
        DEPENDS ${source} ${SCX_GAMER_SCDOC_RUNNER}
        COMMENT "Building the ${NAME}(${SECTION}) man page"
        VERBATIM)
    add_custom_target(${NAME}_man ALL DEPENDS ${page})
    install(FILES ${page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${SECTION})
endfunction()

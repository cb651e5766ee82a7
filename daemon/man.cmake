# The scx_gamer(8) man page: scdoc source in docs/man, roff output in build/man, installed to
# share/man/man8. Built like scxgamerctl(1) (cli/CMakeLists.txt), with the same scdoc runner,
# cli/scdoc.cmake. Included from daemon/CMakeLists.txt: include(man.cmake).
include(GNUInstallDirs)

find_program(SCDOC scdoc)
if(SCDOC)
    set(scx_gamer_man_source ${PROJECT_SOURCE_DIR}/docs/man/scx_gamer.8.scd)
    set(scx_gamer_man_page ${CMAKE_BINARY_DIR}/man/scx_gamer.8)
    set(scdoc_runner ${PROJECT_SOURCE_DIR}/cli/scdoc.cmake)
    add_custom_command(
        OUTPUT ${scx_gamer_man_page}
        COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
        COMMAND ${CMAKE_COMMAND} -D SCDOC=${SCDOC} -D INPUT=${scx_gamer_man_source}
                -D OUTPUT=${scx_gamer_man_page} -P ${scdoc_runner}
        DEPENDS ${scx_gamer_man_source} ${scdoc_runner}
        COMMENT "Building the scx_gamer(8) man page"
        VERBATIM)
    add_custom_target(scx_gamer_man ALL DEPENDS ${scx_gamer_man_page})
    install(FILES ${scx_gamer_man_page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
else()
    message(WARNING "scdoc not found: the scx_gamer(8) man page is not built")
endif()

# SPDX-License-Identifier: GPL-2.0-only
# Each room of the code (docs/architecture.md) is a CMake target whose include root admits only
# itself: a directory in the build tree, build/rooms/<target>/, holding one symbolic link named
# for the room's folder. A source includes "games/classifier.h" only if its target links
# scxg_games (directly or through a target below it), so an include against the layering does
# not compile. scripts/include-graph checks the same layering on the sources.

# scxg_room(<target> <folder> [DIR <dir>] [FILES <file>...])
#   DIR: the folder the link points to (default: the current source directory). FILES: instead of
#   the whole folder, only these files of it, each linked one by one (for a folder that holds
#   more than the room, like bpf/).
function(scxg_room target folder)
    cmake_parse_arguments(ARG "" "DIR" "FILES" ${ARGN})
    if(NOT ARG_DIR)
        set(ARG_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    endif()
    set(root ${CMAKE_BINARY_DIR}/rooms/${target})
    file(MAKE_DIRECTORY ${root})
    # file(REMOVE) removes a link, never what it points to.
    if(ARG_FILES)
        file(MAKE_DIRECTORY ${root}/${folder})
        foreach(f IN LISTS ARG_FILES)
            file(REMOVE ${root}/${folder}/${f})
            file(CREATE_LINK ${ARG_DIR}/${f} ${root}/${folder}/${f} SYMBOLIC)
        endforeach()
    else()
        file(REMOVE ${root}/${folder})
        file(CREATE_LINK ${ARG_DIR} ${root}/${folder} SYMBOLIC)
    endif()
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "INTERFACE_LIBRARY")
        target_include_directories(${target} INTERFACE ${root})
    else()
        target_include_directories(${target} PUBLIC ${root})
    endif()
endfunction()

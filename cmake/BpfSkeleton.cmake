# SPDX-License-Identifier: GPL-2.0-only
# bpf_skeleton(NAME SOURCE [DEPENDS headers...])
# Compiles SOURCE with clang for the BPF target (CO-RE, against the committed vmlinux.h) and turns
# the object into a bpftool skeleton, <NAME>.skel.h, exposed through the INTERFACE target
# bpf_<NAME>. The object is embedded in the skeleton, so the daemon stays one binary.
set(BPF_INCLUDE_DIRS ${CMAKE_SOURCE_DIR}/bpf ${CMAKE_SOURCE_DIR}/bpf/vmlinux)
execute_process(COMMAND uname -m OUTPUT_VARIABLE _bpf_arch OUTPUT_STRIP_TRAILING_WHITESPACE)
if(_bpf_arch STREQUAL "x86_64")
    set(BPF_TARGET_ARCH x86)
elseif(_bpf_arch STREQUAL "aarch64")
    set(BPF_TARGET_ARCH arm64)
else()
    set(BPF_TARGET_ARCH ${_bpf_arch})
endif()

function(bpf_skeleton NAME SOURCE)
    cmake_parse_arguments(ARG "" "" "DEPENDS" ${ARGN})
    set(out_dir ${CMAKE_BINARY_DIR}/bpf)
    set(obj ${out_dir}/${NAME}.bpf.o)
    set(skel ${out_dir}/${NAME}.skel.h)
    set(defs)
    if(SCX_GAMER_TEST_HOOKS)
        list(APPEND defs -DSCX_GAMER_TEST_HOOKS=1)
    endif()
    set(incs)
    foreach(dir ${BPF_INCLUDE_DIRS} ${LIBBPF_INCLUDE_DIRS} /usr/include/${_bpf_arch}-linux-gnu)
        list(APPEND incs -I${dir})
    endforeach()
    # -mcpu=v3: clang 19 cannot lower sched_ext's 32-bit atomics for older BPF ISA versions.
    add_custom_command(
        OUTPUT ${obj}
        COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
        COMMAND ${BPF_CLANG} -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_${BPF_TARGET_ARCH}
                -Wall -Wno-missing-declarations -Wno-compare-distinct-pointer-types
                ${defs} ${incs} -c ${CMAKE_CURRENT_SOURCE_DIR}/${SOURCE} -o ${obj}
        DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${SOURCE} ${ARG_DEPENDS}
        COMMENT "BPF ${SOURCE}"
        VERBATIM)
    add_custom_command(
        OUTPUT ${skel}
        COMMAND ${BPFTOOL} gen skeleton ${obj} name ${NAME}_bpf > ${skel}
        DEPENDS ${obj}
        COMMENT "BPF skeleton ${NAME}.skel.h"
        VERBATIM)
    add_custom_target(bpf_${NAME}_gen DEPENDS ${skel})
    add_library(bpf_${NAME} INTERFACE)
    add_dependencies(bpf_${NAME} bpf_${NAME}_gen)
    # Only the skeleton: the daemon sees bpf/intf.h through scxg_bpf_layout, nothing else of bpf/.
    target_include_directories(bpf_${NAME} INTERFACE ${out_dir})
    target_link_libraries(bpf_${NAME} INTERFACE scx_libbpf)
endfunction()

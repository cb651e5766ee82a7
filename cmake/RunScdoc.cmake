# SPDX-License-Identifier: GPL-2.0-only
# Runs scdoc, which reads stdin and writes stdout: cmake -D SCDOC=... -D INPUT=... -D OUTPUT=...
# -P RunScdoc.cmake. A script because a custom command cannot redirect portably.
execute_process(COMMAND ${SCDOC} INPUT_FILE ${INPUT} OUTPUT_FILE ${OUTPUT}.tmp
                RESULT_VARIABLE result ERROR_VARIABLE error)
if(NOT result EQUAL 0)
    file(REMOVE ${OUTPUT}.tmp)
    message(FATAL_ERROR "scdoc failed on ${INPUT}: ${error}")
endif()
file(RENAME ${OUTPUT}.tmp ${OUTPUT})

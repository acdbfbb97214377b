# CMake's compile-failure test (cmake -P): builds TARGET in BUILD_DIR and
# passes when the outcome is what SOURCE's "// expect:" line says: "builds",
# or a failed build whose only error is the quoted static_assert message
# (any error after it would bury the member the message names).
# Usage: cmake -DSOURCE=... -DBUILD_DIR=... -DTARGET=... -DCONFIG=... -P expect.cmake
file(STRINGS "${SOURCE}" expect REGEX "^// expect: " LIMIT_COUNT 1)
string(REGEX REPLACE "^// expect: " "" expect "${expect}")
if(expect STREQUAL "")
  message(FATAL_ERROR "${SOURCE}: no \"// expect:\" line")
endif()
execute_process(
  COMMAND "${CMAKE_COMMAND}" --build "${BUILD_DIR}" --target "${TARGET}" --config "${CONFIG}"
  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(expect STREQUAL "builds")
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "FAIL: ${SOURCE} did not build")
  endif()
  return()
endif()
if(status EQUAL 0)
  message(FATAL_ERROR "FAIL: ${SOURCE} built; expected: ${expect}")
endif()
string(FIND "${out}" "${expect}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "FAIL: not found: ${expect}")
endif()
string(REGEX MATCHALL " error: " errors "${out}")
list(LENGTH errors count)
if(NOT count EQUAL 1)
  message(FATAL_ERROR "FAIL: ${count} errors; expected the static_assert alone")
endif()

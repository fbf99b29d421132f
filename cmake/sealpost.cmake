# sealpost_library(NAME SOURCES ... DEPS ... PRIVATE_DEPS ...)
# One static library per src/ folder; public headers are included as "folder/header.h".
function(sealpost_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(sealpost_${name} STATIC ${ARG_SOURCES})
  target_include_directories(sealpost_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(sealpost_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# sealpost_test(NAME SOURCES ... DEPS ... [TIMEOUT seconds]): a GoogleTest binary whose cases
# CTest discovers. TIMEOUT bounds each case (else the ctest run's own limit applies).
function(sealpost_test name)
  if(NOT SEALPOST_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} sealpost_testing GTest::gmock GTest::gtest_main)
  # No case skips itself (there is no GTEST_SKIP in the tree), but GoogleTest prints
  # "[  SKIPPED ]" for every case of a suite whose SetUpTestSuite failed, and the pattern
  # gtest_discover_tests sets would count that as skipped: only an empty output may match here,
  # so a failed fixture fails its cases.
  set(properties LABELS unit SKIP_REGULAR_EXPRESSION "^$")
  if(ARG_TIMEOUT)
    list(APPEND properties TIMEOUT ${ARG_TIMEOUT})
  endif()
  gtest_discover_tests(${name} TEST_PREFIX "${name}." DISCOVERY_TIMEOUT 60 PROPERTIES ${properties})
endfunction()

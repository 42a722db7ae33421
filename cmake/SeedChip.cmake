# Build helpers shared by every target: warnings, sanitizers, test registration.

set(SC_WARNINGS
    -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
    -Wvla -Wformat=2 -Wdouble-promotion)

# Bit-exactness: the functional model's float arithmetic must be the same on every
# host and compiler, so no fused multiply-add contraction (clang contracts by
# default). Hosts must use SSE2-style float arithmetic (x86-64, AArch64), not x87.
add_compile_options(-ffp-contract=off)

if(SC_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined -fno-sanitize-recover=all)
endif()

# Fuzz builds instrument every library for coverage (and ASan/UBSan), or
# libFuzzer sees only the harness and mutates blind; the fuzz targets add the
# fuzzer runtime when they link.
if(SC_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

# sc_target_defaults(<target>): warnings, include paths and C11 for a project target.
function(sc_target_defaults target)
  target_compile_options(${target} PRIVATE ${SC_WARNINGS})
  if(SC_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  target_include_directories(${target} PUBLIC
    ${PROJECT_SOURCE_DIR}/include ${PROJECT_BINARY_DIR}/include)
endfunction()

# sc_add_layer(<layer> SOURCES ... DEPS ...): the static library sc_<layer>.
function(sc_add_layer layer)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(sc_${layer} STATIC ${ARG_SOURCES})
  sc_target_defaults(sc_${layer})
  target_include_directories(sc_${layer} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  if(ARG_DEPS)
    target_link_libraries(sc_${layer} PUBLIC ${ARG_DEPS})
  endif()
endfunction()

# sc_add_unit_test(<name> SOURCES ... DEPS ... [LABELS ...] [TIMEOUT s]):
# one cmocka executable under tests/unit, registered with CTest.
function(sc_add_unit_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  sc_target_defaults(${name})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} PkgConfig::CMOCKA m)
  add_test(NAME ${name} COMMAND ${name})
  set(labels unit ${ARG_LABELS})
  set_tests_properties(${name} PROPERTIES LABELS "${labels}"
    ENVIRONMENT "SEEDCHIP_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  if(ARG_TIMEOUT)
    set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT})
  endif()
endfunction()

# sc_add_fuzz_target(<name> SOURCES ... DEPS ...): a libFuzzer target (SC_FUZZ=ON),
# and always a replay executable that runs the same entry point over the seed corpus
# in tests/fuzz/corpus/<name>, so every build exercises the harness.
function(sc_add_fuzz_target name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  if(SC_FUZZ)
    add_executable(${name} ${ARG_SOURCES})
    sc_target_defaults(${name})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(${name} PRIVATE ${ARG_DEPS} m)
  endif()
  add_executable(${name}_replay ${ARG_SOURCES} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.c)
  sc_target_defaults(${name}_replay)
  target_link_libraries(${name}_replay PRIVATE ${ARG_DEPS} m)
  add_test(NAME ${name}_replay
           COMMAND ${name}_replay ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
  set_tests_properties(${name}_replay PROPERTIES LABELS "fuzz")
endfunction()

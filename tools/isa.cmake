# The docs/ISA.md generator and its freshness test (included from tools/).
include_guard(GLOBAL)

add_executable(gen_isa_doc ${PROJECT_SOURCE_DIR}/tools/gen_isa_doc.c)
sc_target_defaults(gen_isa_doc)
target_link_libraries(gen_isa_doc PRIVATE sc_isa sc_num sc_util)

# `cmake --build <dir> --target isa_doc` rewrites docs/ISA.md from isa.def.
add_custom_target(isa_doc
  COMMAND gen_isa_doc ${PROJECT_SOURCE_DIR}/docs/ISA.md
  COMMENT "Regenerating docs/ISA.md from include/seedchip/isa.def")

# Fails when the committed docs/ISA.md differs from what the table generates.
add_test(NAME isa_doc_fresh
         COMMAND gen_isa_doc --check ${PROJECT_SOURCE_DIR}/docs/ISA.md
                 ${CMAKE_BINARY_DIR}/ISA.md)
set_tests_properties(isa_doc_fresh PROPERTIES LABELS "isa")

# zf_library(NAME SRCS ... DEPS ...): a layer library with the project's warning flags.
# zf_binary(NAME SRCS ... DEPS ...): an executable in build/bin.
set(ZF_WARNINGS -Wall -Wextra -Wno-unused-parameter)
if(ZF_WERROR)
  list(APPEND ZF_WARNINGS -Werror)
endif()

function(zf_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SRCS})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_compile_options(${name} PRIVATE ${ZF_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

function(zf_binary name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_compile_options(${name} PRIVATE ${ZF_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
endfunction()

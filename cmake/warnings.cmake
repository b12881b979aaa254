# Warning flags shared by every bpfrt target: warning-free under g++ 12 and clang 14.
add_library(bpfrt_warnings INTERFACE)
target_compile_options(bpfrt_warnings INTERFACE
  -Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused -Woverloaded-virtual
  -Wformat=2 -Wimplicit-fallthrough)
if(BPFRT_WERROR)
  target_compile_options(bpfrt_warnings INTERFACE -Werror)
endif()

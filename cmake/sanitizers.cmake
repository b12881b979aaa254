# ASan + UBSan for the whole tree when BPFRT_SANITIZE is on (CI runs the unit tests this way).
if(BPFRT_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# libFuzzer coverage instrumentation for every library linked into the fuzz targets.
if(BPFRT_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# ThreadSanitizer, for the concurrency tests of the shared-memory maps (.ci/run builds build-tsan).
option(BPFRT_TSAN "Build with ThreadSanitizer" OFF)
if(BPFRT_TSAN)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()

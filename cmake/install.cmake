# Installation: libbpfrt as one shared and one static library made of the stage libraries' objects,
# the public headers, a pkg-config file and a CMake package (find_package(bpfrt) -> bpfrt::bpfrt,
# bpfrt::bpfrt_static). A new stage library is added to BPFRT_LIBRARY_STAGES.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(BPFRT_LIBRARY_STAGES bpfrt_isa bpfrt_verifier bpfrt_vm bpfrt_maps bpfrt_helpers bpfrt_conformance bpfrt_object bpfrt_runtime bpfrt_kernel)
set(bpfrt_objects)
foreach(stage ${BPFRT_LIBRARY_STAGES})
  list(APPEND bpfrt_objects $<TARGET_OBJECTS:${stage}>)
endforeach()

add_library(bpfrt_shared SHARED ${bpfrt_objects})
set_target_properties(bpfrt_shared PROPERTIES OUTPUT_NAME bpfrt VERSION ${PROJECT_VERSION}
                      SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
target_link_libraries(bpfrt_shared PRIVATE fmt::fmt PkgConfig::LIBBPF PkgConfig::LIBELF Threads::Threads)
add_library(bpfrt_static STATIC ${bpfrt_objects})
set_target_properties(bpfrt_static PROPERTIES OUTPUT_NAME bpfrt)

install(TARGETS bpfrt_shared bpfrt_static
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/bpfrt DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp")

# The .pc file finds the prefix relative to itself, so an install with --prefix (or DESTDIR) works.
file(RELATIVE_PATH BPFRT_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(${PROJECT_SOURCE_DIR}/cmake/bpfrt.pc.in ${CMAKE_BINARY_DIR}/bpfrt.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/bpfrt.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

set(BPFRT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/bpfrt)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/bpfrtConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/bpfrtConfig.cmake
                              INSTALL_DESTINATION ${BPFRT_CMAKE_DIR}
                              PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_LIBDIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/bpfrtConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/bpfrtConfig.cmake ${CMAKE_BINARY_DIR}/bpfrtConfigVersion.cmake
        DESTINATION ${BPFRT_CMAKE_DIR})

# Install rules: headers, the library, the `nabla` program, and the two ways to find them again —
# a CMake package (find_package(nabla CONFIG), target nabla::nabla) and a pkg-config file (nabla.pc).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(NABLA_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/nabla)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/nabla DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS nabla EXPORT nablaTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
if(TARGET nabla_cli)
  install(TARGETS nabla_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

install(EXPORT nablaTargets NAMESPACE nabla:: DESTINATION ${NABLA_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/nablaConfig.cmake.in
  ${PROJECT_BINARY_DIR}/nablaConfig.cmake INSTALL_DESTINATION ${NABLA_CMAKE_DIR})
# 0.x: a minor version may change the API, so only the same minor version is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/nablaConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/nablaConfig.cmake ${PROJECT_BINARY_DIR}/nablaConfigVersion.cmake
  DESTINATION ${NABLA_CMAKE_DIR})

# pkg-config: a static library's own dependencies must be on the consumer's link line, so they go
# to Libs; a shared library brings them itself, so Libs.private suffices.
set(NABLA_PC_DEPENDENCIES "-lz -pthread -l${CMAKE_DL_LIBS}")
if(NABLA_HAVE_CUDA)
  string(APPEND NABLA_PC_DEPENDENCIES " -L${CUDAToolkit_LIBRARY_DIR} -lcudart_static -lrt")
endif()
if(BUILD_SHARED_LIBS)
  set(NABLA_PC_LIBS "")
  set(NABLA_PC_LIBS_PRIVATE ${NABLA_PC_DEPENDENCIES})
else()
  set(NABLA_PC_LIBS ${NABLA_PC_DEPENDENCIES})
  set(NABLA_PC_LIBS_PRIVATE "")
endif()
# The prefix is found relative to the .pc file, so `cmake --install --prefix` anywhere works.
file(RELATIVE_PATH NABLA_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" NABLA_PC_TO_PREFIX ${NABLA_PC_TO_PREFIX})
configure_file(${CMAKE_CURRENT_LIST_DIR}/nabla.pc.in ${PROJECT_BINARY_DIR}/nabla.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/nabla.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

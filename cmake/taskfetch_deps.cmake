# Finds taskfetch's dependencies, all from Debian packages. Shared by the
# build and the installed taskfetchConfig.cmake, so consumers get the same.
# Inside find_package(taskfetch) a missing dependency makes taskfetch "not
# found" (with the reason); in a build of taskfetch itself it is an error.
include(CMakeFindDependencyMacro)
include(GNUInstallDirs)

macro(taskfetch_find_dependency)
  if(CMAKE_FIND_PACKAGE_NAME)
    find_dependency(${ARGN})
  else()
    find_package(${ARGN} REQUIRED)
  endif()
endmacro()

set(THREADS_PREFER_PTHREAD_FLAG ON)
taskfetch_find_dependency(Threads)
taskfetch_find_dependency(nlohmann_json 3.10)
taskfetch_find_dependency(pugixml)
# HTTPS trust store and SHA-256 (journal) use OpenSSL directly.
taskfetch_find_dependency(OpenSSL)
# Debian's cpp-httplib ships pkg-config metadata only (it is a compiled library).
if(NOT TARGET taskfetch_deps::httplib)
  taskfetch_find_dependency(PkgConfig)
  pkg_check_modules(TASKFETCH_HTTPLIB QUIET IMPORTED_TARGET cpp-httplib>=0.11)
  if(NOT TASKFETCH_HTTPLIB_FOUND)
    set(_taskfetch_why "cpp-httplib >= 0.11 not found through pkg-config (Debian: libcpp-httplib-dev)")
    if(CMAKE_FIND_PACKAGE_NAME)
      set(${CMAKE_FIND_PACKAGE_NAME}_NOT_FOUND_MESSAGE "${_taskfetch_why}")
      set(${CMAKE_FIND_PACKAGE_NAME}_FOUND FALSE)
      return()
    endif()
    message(FATAL_ERROR "${_taskfetch_why}")
  endif()
  add_library(taskfetch_deps::httplib INTERFACE IMPORTED)
  target_link_libraries(taskfetch_deps::httplib INTERFACE PkgConfig::TASKFETCH_HTTPLIB)
endif()

# Finds taskfetch's dependencies, all from Debian packages. Shared by the
# build and the installed taskfetchConfig.cmake, so consumers get the same.
include(CMakeFindDependencyMacro)
include(GNUInstallDirs)
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_dependency(Threads)
find_dependency(nlohmann_json 3.10)
find_dependency(pugixml)
# HTTPS trust store and SHA-256 (journal) use OpenSSL directly.
find_dependency(OpenSSL)
# Debian's cpp-httplib ships pkg-config metadata only (it is a compiled library).
if(NOT TARGET taskfetch_deps::httplib)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(TASKFETCH_HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib>=0.11)
  add_library(taskfetch_deps::httplib INTERFACE IMPORTED)
  target_link_libraries(taskfetch_deps::httplib INTERFACE PkgConfig::TASKFETCH_HTTPLIB)
endif()

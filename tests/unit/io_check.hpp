// Shared by the unit tests of local files: what a local failure must look like.
#pragma once

#include <taskfetch/error.hpp>

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <system_error>

/// Kind io, a message naming @p path and the system's words for @p err.
inline void check_io(const taskfetch::error &e, const std::filesystem::path &path, int err) {
  CHECK(e.kind() == taskfetch::error_kind::io);
  CHECK_MESSAGE(e.message().find(path.string()) != std::string::npos, e.message());
  CHECK_MESSAGE(e.message().find(std::generic_category().message(err)) != std::string::npos,
                e.message());
}

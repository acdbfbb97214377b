// Local files of the CLI: inputs and id lists read whole, output folders
// made, results written to stdout, task ids turned into safe file names.
#pragma once

#include "args.hpp"

#include <taskfetch/error.hpp>
#include <taskfetch/file_result.hpp>
#include <taskfetch/result.hpp>

#include <string>
#include <vector>

namespace taskfetch::cli {

/// A local failure that ends a command where no error value can be returned
/// (an input that cannot be read, an output folder that cannot be made):
/// main reports it and exits with its kind's code.
struct command_failure {
  error failure;
};

/// The whole file at @p path; a command_failure of kind io naming it otherwise.
std::string read_file(const std::string &path);

/// Creates the --out-dir folder @p dir (and its parents) if needed, and
/// fails (io) unless a file can be written in it.
void make_out_dir(const std::string &dir);

/// The ids of a batch: one per line; blank lines and # comments skipped.
std::vector<std::string> read_ids(const std::string &path);

/// Writes a decoded result to stdout (binary-safe).
result<void> write_stdout(const std::string &bytes);

/// A task id made safe as a file name: [A-Za-z0-9_-] and inner dots kept,
/// everything else %XX, so distinct ids never collide and none escapes DIR.
std::string safe_file_stem(const std::string &id);

/// How -o files are committed. Like curl -o, the default leaves flushing to
/// the system (the result can be fetched again for 24 hours); the rename
/// still means a reader never sees a partial file. --sync fsyncs first.
durability file_durability(const args &a);

} // namespace taskfetch::cli

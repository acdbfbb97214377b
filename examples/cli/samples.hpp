// The demo's sample inputs (examples/data), embedded in the binary at build
// time by tools/embed.cpp, so an installed taskfetch needs no source tree.
#pragma once

#include <optional>
#include <string_view>

namespace taskfetch::cli {

/// The bytes of the embedded sample @p name ("table.png", "form.png",
/// "form.omr", "book.djvu"), or nullopt for a name not embedded.
std::optional<std::string_view> embedded_sample(std::string_view name);

} // namespace taskfetch::cli

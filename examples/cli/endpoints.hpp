// The ENDPOINT argument: the endpoint type it names, its submit input from
// the command line, and the extension of its result files.
#pragma once

#include "args.hpp"
#include "files.hpp"

#include <taskfetch/endpoints.hpp>
#include <taskfetch/inputs.hpp>
#include <taskfetch/omr.hpp>

#include <string>
#include <type_traits>

namespace taskfetch::cli {

/// Calls f(Endpoint{}) for the endpoint named on the command line.
template <class F> int with_endpoint(const std::string &name, F &&f) {
  if (name == endpoints::recognize_table::name) return f(endpoints::recognize_table{});
  if (name == endpoints::recognize_template::name) return f(endpoints::recognize_template{});
  if (name == endpoints::djvu2pdf::name) return f(endpoints::djvu2pdf{});
  throw usage_error{"unknown ENDPOINT '" + name +
                    "' (recognize-table | recognize-template | djvu2pdf)"};
}

/// --format: csv (the default), json or xml.
inline omr_format format_of(const args &a) {
  auto f = a.value("--format").value_or("csv");
  if (f == "csv") return omr_format::csv;
  if (f == "json") return omr_format::json;
  if (f == "xml") return omr_format::xml;
  throw usage_error{"--format must be csv, json or xml"};
}

/// --omr-file and --format describe an OMR submission: refused (exit 2) for
/// any other endpoint rather than ignored, as the help lists them for it.
template <class E> void refuse_omr_options(const args &a) {
  if constexpr (!std::is_same_v<typename endpoint_traits<E>::input, omr_input>) {
    for (const char *o : {"--omr-file", "--format"})
      if (a.value(o))
        throw usage_error{std::string(o) + " applies to recognize-template only, not " +
                          std::string(E::name)};
  }
}

/// The endpoint's submit input but its image: for OMR the --omr-file pattern
/// (read here, so a batch reads it once) and --format.
template <class E> typename endpoint_traits<E>::input input_settings(const args &a) {
  refuse_omr_options<E>(a);
  typename endpoint_traits<E>::input in;
  if constexpr (std::is_same_v<decltype(in), omr_input>) {
    auto pattern = a.value("--omr-file");
    if (!pattern) throw usage_error{"recognize-template needs --omr-file PATTERN"};
    in.omr_file = read_file(*pattern);
    in.format = format_of(a);
  } else if constexpr (std::is_same_v<E, endpoints::recognize_table>) {
    in.settings = ocr_settings{};
  }
  return in;
}

/// @p in (from input_settings) with the image read from INPUT @p path.
template <class E>
typename endpoint_traits<E>::input with_image(typename endpoint_traits<E>::input in,
                                              const std::string &path) {
  if constexpr (std::is_same_v<decltype(in), omr_input>)
    in.images.push_back(read_file(path));
  else
    in.bytes = read_file(path);
  return in;
}

/// The endpoint's submit input from INPUT (and --omr-file/--format for OMR).
template <class E>
typename endpoint_traits<E>::input make_input(const args &a, const std::string &path) {
  return with_image<E>(input_settings<E>(a), path);
}

/// The file extension for E's result: chosen by us, never by the server.
template <class E> std::string extension_of(const args &a) {
  refuse_omr_options<E>(a);
  if constexpr (std::is_same_v<E, endpoints::recognize_template>) {
    if (auto f = a.value("--format")) {
      (void)format_of(a);
      return *f;
    }
  }
  return std::string(endpoint_traits<E>::extension());
}

} // namespace taskfetch::cli

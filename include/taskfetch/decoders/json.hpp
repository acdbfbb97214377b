/// @file
/// @brief json<T> and as<T>: results turned into the user's own types.
///
/// json<T> reads a JSON result with `j.get<T>()`, so the user's from_json
/// (nlohmann's adl_serializer) decides; as<T> asks the result_decoder<T>
/// customization point.
#pragma once

#include <taskfetch/decoders/memory.hpp>

#include <nlohmann/json.hpp>

#include <exception>
#include <string>
#include <string_view>
#include <type_traits>

namespace taskfetch {

/// @brief Customization point (like fmt's formatter<T>): specialize it with
/// `static result<T> decode(std::string_view bytes, std::string_view type)`
/// to make decoders::as<T> read your type. The primary template reads JSON
/// through nlohmann's `get<T>()`, i.e. your from_json.
template <class T, class = void> struct result_decoder {
  /// @brief Parses @p bytes as JSON and converts with j.get<T>().
  static result<T> decode(std::string_view bytes, std::string_view /*type*/) {
    auto j = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
    if (j.is_discarded()) return error(error_kind::decode, "the result is not valid JSON");
    try {
      return j.template get<T>();
    } catch (const std::exception &e) {
      // nlohmann reports type mismatches by exception; users' from_json may too.
      return error(error_kind::decode, std::string("the JSON result does not fit: ") + e.what());
    }
  }
};

namespace detail {
template <class T> struct json_traits {
  using value_type = T;
  static constexpr std::string_view magic = "";
  static bool prefers(std::string_view type) { return result_type_is(type, "Json"); }
  static result<T> convert(std::string &&b, std::string_view type) {
    return taskfetch::result_decoder<T, void>::decode(b, type);
  }
};
template <class T> struct as_traits {
  using value_type = T;
  static constexpr std::string_view magic = "";
  static bool prefers(std::string_view) { return false; }
  static result<T> convert(std::string &&b, std::string_view type) {
    return taskfetch::result_decoder<T>::decode(b, type);
  }
};
} // namespace detail

namespace decoders {

/// @brief A JSON result converted with `j.get<T>()` (T = nlohmann::json
/// gives the document itself). Picks the Json result when there are several.
template <class T = nlohmann::json> using json = in_memory<detail::json_traits<T>>;

/// @brief The first result (or the one of the given type) converted by
/// taskfetch::result_decoder<T>.
template <class T> using as = in_memory<detail::as_traits<T>>;

} // namespace decoders
} // namespace taskfetch

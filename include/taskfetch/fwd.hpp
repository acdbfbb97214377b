/// @file
/// @brief Declarations only: name clients, results and options in your own
/// headers without cpp-httplib, nlohmann::json or the library's code.
///
/// Include the full headers (`<taskfetch/taskfetch.hpp>`) in the one file
/// that makes the calls (docs/build_time.md, "Paying it once").
#pragma once

namespace taskfetch {

template <class T> class result;
class error;
class options;
struct call_options;
struct table;
struct omr_element;
struct file_result;

class httplib_transport;
// The default policies (standard_retry, system_clock) come with the
// definition in basic_client.hpp: a default may be given only once.
template <class Transport, class Retry, class Clock> class basic_client;
#ifdef TASKFETCH_COMPILED_LIB
// The compiled mode's client (compiled/client.hpp) lives in its own inline
// namespace; taskfetch::client names it all the same.
inline namespace compiled {
class client;
} // namespace compiled
#else
class client;
#endif

namespace endpoints {
struct recognize_table;
struct recognize_template;
struct djvu2pdf;
} // namespace endpoints

} // namespace taskfetch

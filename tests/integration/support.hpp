// Shared pieces of the integration tests: an emulator on loopback, a client
// with fast retry settings, temporary folders.
#pragma once

#include "../common/files.hpp"

#include <taskfetch/client.hpp>
#include <taskfetch/decoders.hpp>
#include <taskfetch/emulator/emulator.hpp>
#include <taskfetch/endpoints.hpp>

#include "test_certs.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace it {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace taskfetch;
using emulation::emulator;

using fast_client = basic_client<httplib_transport>;

/// Backoff and polling in milliseconds, so the suite runs in seconds.
inline standard_retry fast_retry() {
  retry_settings s;
  s.initial_backoff = 5ms;
  s.max_backoff = 50ms;
  s.min_poll = 10ms;
  s.max_poll = 50ms;
  s.seed = 7;
  return standard_retry(s);
}

using test_files::slurp;
using test_files::temp_dir;

/// An emulator with instant tasks unless told otherwise.
inline emulation::options fast_emulator() {
  emulation::options o;
  o.pending_for = 0ms;
  o.processing_for = 0ms;
  o.keep_alive_timeout = 2s;
  return o;
}

/// An emulator serving HTTPS with @p certs' server certificate (their CA
/// trusts it), tasks instant.
inline emulation::options tls_emulator(const test_certs::files &certs) {
  emulation::options o = fast_emulator();
  o.cert_file = certs.server_cert.string();
  o.key_file = certs.server_key.string();
  return o;
}

/// An emulator whose tasks are Pending for @p pending, then Processing for
/// @p processing: tasks that take real time.
inline emulation::options timed_emulator(std::chrono::milliseconds pending,
                                         std::chrono::milliseconds processing) {
  emulation::options o = fast_emulator();
  o.pending_for = pending;
  o.processing_for = processing;
  return o;
}
/// The table the emulator's default processor makes of @p image.
inline std::string expected_table(const std::string &image) {
  emulation::submission s;
  s.endpoint = "recognize-table";
  s.image = image;
  return *emulation::default_processor(s).results.at(0).data;
}
inline options client_options(const emulator &emu) {
  return options{}
      .base_url(emu.base_url())
      .credentials(emu.config().client_id, emu.config().client_secret)
      .deadline(20s);
}

/// A client over httplib with options @p o, retrying as @p retry says.
template <class Retry = standard_retry>
basic_client<httplib_transport, Retry> make_client(options o, Retry retry = fast_retry()) {
  return basic_client<httplib_transport, Retry>(o, httplib_transport(transport_settings_for(o)),
                                                std::move(retry));
}

/// A PDF result of @p n bytes.
inline std::string pdf_of(std::size_t n) {
  std::string s = "%PDF-1.4\n";
  s.resize(std::max(n, s.size()), 'x');
  return s;
}

inline emulation::task_spec pdf_task(std::size_t n = 4096) {
  emulation::task_spec t;
  t.outcome = emulation::processed::completed("Pdf", pdf_of(n));
  return t;
}
} // namespace it

/// @file
/// @brief All shipped decoders: bytes, pdf, table, omr, json<T>, as<T>,
/// to_file and callback.
#pragma once

#include <taskfetch/decoders/bytes.hpp>
#include <taskfetch/decoders/callback.hpp>
#include <taskfetch/decoders/json.hpp>
#include <taskfetch/decoders/omr.hpp>
#include <taskfetch/decoders/pdf.hpp>
#include <taskfetch/decoders/table.hpp>
#include <taskfetch/decoders/to_file.hpp>

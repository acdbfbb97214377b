/// @file
/// @brief Includes every shipped decoder: bytes, pdf, table, omr, json, as, to_file, callback.
#pragma once

#include <taskfetch/decoders/bytes.hpp>
#include <taskfetch/decoders/callback.hpp>
#include <taskfetch/decoders/json.hpp>
#include <taskfetch/decoders/omr.hpp>
#include <taskfetch/decoders/pdf.hpp>
#include <taskfetch/decoders/table.hpp>
#include <taskfetch/decoders/to_file.hpp>

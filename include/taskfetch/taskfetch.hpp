/// @file
/// @brief The umbrella header: the client, endpoints, decoders and policies;
/// with TASKFETCH_COMPILED_LIB defined, the compiled client's declarations.
#pragma once

#include <taskfetch/version.hpp>

#ifdef TASKFETCH_COMPILED_LIB
// Compiled mode: the client's declarations, results and inputs only; the
// endpoints are named (fwd.hpp), their code is in the library. Include a
// decoder's or endpoint's own header where you need more.
#include <taskfetch/compiled/client.hpp>
#else
#include <taskfetch/basic_client.hpp>
#include <taskfetch/client.hpp>
#include <taskfetch/decoders.hpp>
#include <taskfetch/endpoints.hpp>
#include <taskfetch/retry.hpp>
#endif

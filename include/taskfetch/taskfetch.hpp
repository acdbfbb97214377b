/// @file
/// @brief The umbrella header: the client, endpoints, decoders and policies.
#pragma once

#include <taskfetch/version.hpp>

#include <taskfetch/basic_client.hpp>
#include <taskfetch/client.hpp>
#include <taskfetch/decoders.hpp>
#include <taskfetch/endpoints.hpp>
#include <taskfetch/retry.hpp>

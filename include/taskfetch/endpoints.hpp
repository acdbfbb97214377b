/// @file
/// @brief The three endpoints the library ships.
#pragma once

#include <taskfetch/endpoints/djvu2pdf.hpp>
#include <taskfetch/endpoints/recognize_table.hpp>
#include <taskfetch/endpoints/recognize_template.hpp>

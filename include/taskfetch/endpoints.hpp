/// @file
/// @brief Includes every shipped endpoint: djvu2pdf, recognize_table, recognize_template.
#pragma once

#include <taskfetch/endpoints/djvu2pdf.hpp>
#include <taskfetch/endpoints/recognize_table.hpp>
#include <taskfetch/endpoints/recognize_template.hpp>

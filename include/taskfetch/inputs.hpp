/// @file
/// @brief What the submit calls send: an image with OCR settings, or an OMR form.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace taskfetch {

/// @brief OCR settings for RecognizeTable (and other OCR operations).
struct ocr_settings {
  std::string language = "English";       ///< recognition language
  bool make_skew_correct = true;          ///< straighten the image first
  bool make_spell_check = false;          ///< spell-check recognised words
  bool make_binarization = false;         ///< binarise before recognition
  bool make_upsampling = false;           ///< upsample small images
  int rotate = 0;                         ///< rotation in degrees
  std::string dsr_mode = "Regions";       ///< document structure recognition
  std::string dsr_confidence = "Default"; ///< DSR confidence
  std::string result_type_table = "Csv";  ///< Text, Excel, Csv or CsvAndExcel
  /// @brief The OCR SDK's `makeContrastCorrection`; sent only when set.
  std::optional<bool> make_contrast_correction;
  /// @brief The OCR SDK's `resultType`: Text, Pdf, TextAndPdf, Hocr,
  /// TextAndHocr, PdfAndHocr, TextAndPdfAndHocr, ImagePNG or JSON; sent only
  /// when set.
  std::optional<std::string> result_type;
};

/// @brief Input of an OCR-shaped submit: the file's bytes and optional settings.
struct image_input {
  std::string bytes;                    ///< raw file bytes (PNG, DjVu, ...)
  std::optional<ocr_settings> settings; ///< omitted from the body when empty
};

/// @brief The result formats OMR offers.
enum class omr_format { csv, json, xml };

/// @brief Input of an OMR submit: filled form image(s) and the .omr pattern.
struct omr_input {
  std::vector<std::string> images;     ///< raw image bytes; the service reads the first
  std::string omr_file;                ///< raw bytes of the recognition pattern
  omr_format format = omr_format::csv; ///< requested result format
  int recognition_threshold = 35;      ///< mark recognition threshold (0-100)
};

} // namespace taskfetch

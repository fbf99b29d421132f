#include "receipts/internal/zip_reader.h"

#include <fmt/format.h>
#include <zip.h>

#include <memory>
#include <string>

namespace sealpost::receipts::internal {
namespace {

struct SourceDeleter {
  void operator()(zip_source_t* s) const { zip_source_free(s); }
};
using SourcePtr = std::unique_ptr<zip_source_t, SourceDeleter>;
struct ArchiveDeleter {
  void operator()(zip_t* z) const { zip_discard(z); }
};
using ArchivePtr = std::unique_ptr<zip_t, ArchiveDeleter>;
struct FileDeleter {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};
using FilePtr = std::unique_ptr<zip_file_t, FileDeleter>;

}  // namespace

Result<Bytes> ReadZipEntry(ByteView zip, std::string_view name, size_t max_bytes) {
  zip_error_t error;
  zip_error_init(&error);
  SourcePtr source(zip_source_buffer_create(zip.data(), zip.size(), 0, &error));
  if (!source) {
    zip_error_fini(&error);
    return Internal("libzip: cannot create a buffer source");
  }
  ArchivePtr archive(zip_open_from_source(source.get(), ZIP_RDONLY | ZIP_CHECKCONS, &error));
  zip_error_fini(&error);
  if (!archive) return InvalidArgument("not a ZIP archive");
  (void)source.release();  // the archive owns it now
  const std::string entry(name);
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_stat(archive.get(), entry.c_str(), ZIP_FL_ENC_GUESS, &stat) != 0) {
    return NotFound(fmt::format("the archive has no {}", entry));
  }
  if ((stat.valid & ZIP_STAT_SIZE) == 0 || stat.size > max_bytes) {
    return TooLarge(fmt::format("{} in the archive is over {} bytes", entry, max_bytes));
  }
  FilePtr file(zip_fopen(archive.get(), entry.c_str(), 0));
  if (!file) return InvalidArgument(fmt::format("cannot read {} in the archive", entry));
  Bytes out(static_cast<size_t>(stat.size) + 1);  // one more: a size that lies is caught
  size_t filled = 0;
  while (filled < out.size()) {
    const zip_int64_t n = zip_fread(file.get(), out.data() + filled, out.size() - filled);
    if (n < 0) return InvalidArgument(fmt::format("{} in the archive is damaged", entry));
    if (n == 0) break;
    filled += static_cast<size_t>(n);
  }
  if (filled != stat.size) {
    return InvalidArgument(fmt::format("{} in the archive is damaged", entry));
  }
  out.resize(filled);
  return out;
}

}  // namespace sealpost::receipts::internal

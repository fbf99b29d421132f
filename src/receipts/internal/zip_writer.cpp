#include "receipts/internal/zip_writer.h"

#include <fmt/format.h>
#include <zip.h>

#include <chrono>
#include <memory>

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

Status ZipError(std::string_view what, zip_error_t* error) {
  return Internal(fmt::format("libzip: {}: {}", what, zip_error_strerror(error)));
}

}  // namespace

Result<Bytes> WriteZip(const std::vector<ZipEntry>& entries, TimePoint mtime) {
  zip_error_t error;
  zip_error_init(&error);
  const SourcePtr buffer(zip_source_buffer_create(nullptr, 0, 0, &error));
  if (!buffer) return ZipError("buffer", &error);
  ArchivePtr archive(zip_open_from_source(buffer.get(), ZIP_TRUNCATE, &error));
  if (!archive) {
    const Status s = ZipError("open", &error);
    zip_error_fini(&error);
    return s;
  }
  zip_source_keep(buffer.get());  // the archive's close reads into it; we read it back after
  const time_t time = std::chrono::system_clock::to_time_t(mtime);
  for (const ZipEntry& e : entries) {
    // libzip reads the data at zip_close; `entries` outlives that (freep = 0: not ours to free).
    zip_source_t* data = zip_source_buffer(archive.get(), e.data.data(), e.data.size(), 0);
    if (data == nullptr) return ZipError("entry", zip_get_error(archive.get()));
    const zip_int64_t index =
        zip_file_add(archive.get(), e.name.c_str(), data, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
    if (index < 0) {
      zip_source_free(data);
      return ZipError("add " + e.name, zip_get_error(archive.get()));
    }
    const auto i = static_cast<zip_uint64_t>(index);
    if (zip_set_file_compression(archive.get(), i, ZIP_CM_DEFLATE, 9) != 0 ||
        zip_file_set_mtime(archive.get(), i, time, 0) != 0 ||
        zip_file_set_external_attributes(archive.get(), i, 0, ZIP_OPSYS_UNIX, 0100644U << 16) !=
            0) {
      return ZipError("attributes of " + e.name, zip_get_error(archive.get()));
    }
  }
  if (zip_close(archive.get()) != 0) return ZipError("close", zip_get_error(archive.get()));
  (void)archive.release();  // zip_close freed it

  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_source_stat(buffer.get(), &stat) != 0 || (stat.valid & ZIP_STAT_SIZE) == 0 ||
      zip_source_open(buffer.get()) != 0) {
    return ZipError("read back", zip_source_error(buffer.get()));
  }
  Bytes out(stat.size);
  const zip_int64_t read = zip_source_read(buffer.get(), out.data(), out.size());
  zip_source_close(buffer.get());
  if (read < 0 || static_cast<zip_uint64_t>(read) != stat.size) {
    return ZipError("read back", zip_source_error(buffer.get()));
  }
  return out;
}

}  // namespace sealpost::receipts::internal

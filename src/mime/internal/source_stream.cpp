#include "mime/internal/source_stream.h"

#include <algorithm>
#include <cerrno>

// One GObject type serves both directions: a GMimeStream subclass needs the C type system, and
// two types would repeat it. A stream has either a source (read) or a sink (write).
struct SealpostStream {
  GMimeStream parent;
  sealpost::mime::MessageSource* source;
  const std::function<sealpost::Status(sealpost::ByteView)>* sink;
  sealpost::Status* error;
};

struct SealpostStreamClass {
  GMimeStreamClass parent_class;
};

namespace {

using sealpost::mime::MessageSource;

GType SealpostStreamType();

SealpostStream* Self(GMimeStream* stream) { return reinterpret_cast<SealpostStream*>(stream); }

void Fail(SealpostStream* self, const sealpost::Status& status) {
  if (self->error != nullptr && self->error->ok()) *self->error = status;
  errno = EIO;
}

// The end of the stream: its bound, or else the end of the source.
gint64 EndOf(GMimeStream* stream) {
  SealpostStream* self = Self(stream);
  if (stream->bound_end != -1) return stream->bound_end;
  return self->source != nullptr ? static_cast<gint64>(self->source->size()) : stream->position;
}

ssize_t Read(GMimeStream* stream, char* buf, size_t len) {
  SealpostStream* self = Self(stream);
  if (self->source == nullptr) {
    errno = EBADF;
    return -1;
  }
  const gint64 n = std::min<gint64>(EndOf(stream) - stream->position, static_cast<gint64>(len));
  if (n <= 0) return n < 0 ? -1 : 0;
  // Filled whole, as a memory stream is: GMime's parser reads a header whose line holds a NUL
  // differently when the read ends inside it, so short reads (a spool's chunk boundary) would
  // parse the same bytes into another message than mime::ParseMessage does.
  size_t filled = 0;
  while (filled < static_cast<size_t>(n)) {
    auto got = self->source->ReadAt(static_cast<uint64_t>(stream->position) + filled,
                                    std::span<uint8_t>(reinterpret_cast<uint8_t*>(buf) + filled,
                                                       static_cast<size_t>(n) - filled));
    if (!got.ok()) {
      Fail(self, got.status());
      return -1;
    }
    if (*got == 0) break;  // the source ended before its size said
    filled += *got;
  }
  stream->position += static_cast<gint64>(filled);
  return static_cast<ssize_t>(filled);
}

ssize_t Write(GMimeStream* stream, const char* buf, size_t len) {
  SealpostStream* self = Self(stream);
  if (self->sink == nullptr) {
    errno = EBADF;
    return -1;
  }
  const sealpost::Status written =
      (*self->sink)(sealpost::ByteView(reinterpret_cast<const uint8_t*>(buf), len));
  if (!written.ok()) {
    Fail(self, written);
    return -1;
  }
  stream->position += static_cast<gint64>(len);
  return static_cast<ssize_t>(len);
}

int Flush(GMimeStream*) { return 0; }
int Close(GMimeStream*) { return 0; }
gboolean Eos(GMimeStream* stream) {
  return Self(stream)->source == nullptr || stream->position >= EndOf(stream);
}
int Reset(GMimeStream*) { return 0; }  // g_mime_stream_reset moves to bound_start

gint64 Seek(GMimeStream* stream, gint64 offset, GMimeSeekWhence whence) {
  if (Self(stream)->source == nullptr) {
    errno = ESPIPE;
    return -1;
  }
  gint64 to = offset;
  if (whence == GMIME_STREAM_SEEK_CUR) to = stream->position + offset;
  if (whence == GMIME_STREAM_SEEK_END) to = EndOf(stream) + offset;
  if (to < stream->bound_start || to > EndOf(stream)) {
    errno = EINVAL;
    return -1;
  }
  stream->position = to;
  return to;
}

gint64 Tell(GMimeStream* stream) { return stream->position; }

gint64 Length(GMimeStream* stream) {
  if (Self(stream)->source == nullptr) return -1;
  return EndOf(stream) - stream->bound_start;
}

GMimeStream* Substream(GMimeStream* stream, gint64 start, gint64 end) {
  auto* sub = static_cast<SealpostStream*>(g_object_new(SealpostStreamType(), nullptr));
  g_mime_stream_construct(&sub->parent, start, end);
  sub->source = Self(stream)->source;
  sub->sink = Self(stream)->sink;
  sub->error = Self(stream)->error;
  return &sub->parent;
}

void ClassInit(gpointer klass, gpointer) {
  auto* stream_class = static_cast<GMimeStreamClass*>(klass);
  stream_class->read = Read;
  stream_class->write = Write;
  stream_class->flush = Flush;
  stream_class->close = Close;
  stream_class->eos = Eos;
  stream_class->reset = Reset;
  stream_class->seek = Seek;
  stream_class->tell = Tell;
  stream_class->length = Length;
  stream_class->substream = Substream;
}

GType SealpostStreamType() {
  static const GType type = g_type_register_static_simple(
      GMIME_TYPE_STREAM, "SealpostStream", sizeof(SealpostStreamClass), ClassInit,
      sizeof(SealpostStream), nullptr, static_cast<GTypeFlags>(0));
  return type;
}

SealpostStream* NewStream() {
  auto* self = static_cast<SealpostStream*>(g_object_new(SealpostStreamType(), nullptr));
  g_mime_stream_construct(&self->parent, 0, -1);
  return self;
}

}  // namespace

namespace sealpost::mime::internal {

GObjectPtr<GMimeStream> NewSourceStream(MessageSource& source, Status* error) {
  SealpostStream* self = NewStream();
  self->source = &source;
  self->error = error;
  return GObjectPtr<GMimeStream>(&self->parent);
}

GObjectPtr<GMimeStream> NewSinkStream(const std::function<Status(ByteView)>& write, Status* error) {
  SealpostStream* self = NewStream();
  self->sink = &write;
  self->error = error;
  return GObjectPtr<GMimeStream>(&self->parent);
}

}  // namespace sealpost::mime::internal
